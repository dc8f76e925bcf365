"""Throw-away databases for tests that must not share the session's migrated one: an empty
SQLite file, or a PostgreSQL database of its own on the server of
``CREDITBANK_TEST_DATABASE_URL``, dropped (``WITH (FORCE)``) afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from config.settings import normalise_database_url


@contextmanager
def scratch_postgres(server_url: str, prefix: str, template: str | None = None) -> Iterator[str]:
    """A database ``<prefix>_<random>`` on ``server_url``'s server — empty, or a copy of
    ``template`` — dropped (connections and all) afterwards; yields its URL."""
    url = sa.make_url(normalise_database_url(server_url))
    name = f"{prefix}_{os.urandom(4).hex()}"
    copy_of = f' TEMPLATE "{template}"' if template else ""
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"{copy_of}')
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@contextmanager
def scratch_database(backend: str, folder: Path, prefix: str) -> Iterator[str]:
    """An empty (unmigrated) database of ``backend``; PostgreSQL needs the test server."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'{prefix}.sqlite3'}"
        return
    server_url = os.environ.get("CREDITBANK_TEST_DATABASE_URL")
    if not server_url:
        raise RuntimeError("set CREDITBANK_TEST_DATABASE_URL for a PostgreSQL scratch database")
    with scratch_postgres(server_url, prefix) as url:
        yield url


# The append-only guards (DESIGN.md invariant 1) as the migrations create them (0001; 0005 the
# SQLite guards against INSERT OR REPLACE): trigger name -> table.
GUARDS = {
    "sqlite": {
        "journal_entries_no_update": "journal_entries",
        "journal_entries_no_delete": "journal_entries",
        "rulesets_no_update": "rulesets",
        "rulesets_no_delete": "rulesets",
        "journal_entries_no_replace": "journal_entries",
        "rulesets_no_replace": "rulesets",
    },
    "postgresql": {
        "journal_entries_append_only": "journal_entries",
        "journal_entries_no_truncate": "journal_entries",
        "rulesets_append_only": "rulesets",
        "rulesets_no_truncate": "rulesets",
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
