"""The append-only guards (DESIGN.md invariant 1) as the migrations install them, and the
triggers a database actually has enabled."""

from __future__ import annotations

import sqlalchemy as sa

# The append-only guards (DESIGN.md invariant 1) as migrations/versions/0001 creates them:
# trigger name -> table.
GUARDS = {
    "sqlite": {
        "journal_entries_no_update": "journal_entries",
        "journal_entries_no_delete": "journal_entries",
        "rulesets_no_update": "rulesets",
        "rulesets_no_delete": "rulesets",
        "journal_entries_no_replace": "journal_entries",
        "rulesets_no_replace": "rulesets",
        # migration 0006: the catalogues, guarded as the rulesets are
        "catalogues_no_update": "catalogues",
        "catalogues_no_delete": "catalogues",
        "catalogues_no_replace": "catalogues",
    },
    "postgresql": {
        "journal_entries_append_only": "journal_entries",
        "journal_entries_no_truncate": "journal_entries",
        "rulesets_append_only": "rulesets",
        "rulesets_no_truncate": "rulesets",
        "catalogues_append_only": "catalogues",
        "catalogues_no_truncate": "catalogues",
    },
}


def installed_guards(connection: sa.Connection) -> dict[str, str]:
    """Enabled triggers of the database: name -> table."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'"
        )
    else:
        # tgenabled 'O' fires in normal sessions, 'A' always; 'D' and 'R' would not protect.
        rows = connection.exec_driver_sql(
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgenabled IN ('O', 'A')"
        )
    return {name: table for name, table in rows}
