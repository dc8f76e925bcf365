"""Where every table lives on Citus, and the calls that put it there (docs/scaling.md).

Every table of the metadata is one of:

- **distributed by learner** (``learner_id``), co-located with ``accounts``: a learner's rows
  on one worker, so a post, a void, a review, a balance or a ledger page is a single-worker
  transaction; every primary key and unique index includes ``learner_id``, and foreign keys
  between these tables join on it;
- **distributed by another column**: ``idempotency_keys`` by ``provider_id``, the one
  bank-wide uniqueness of the design, ``(provider_id, external_ref)``;
- **reference** (copied to every worker): small or rarely written, read everywhere, and the
  bank-wide lookups keyed by what they look up (creditbank/lookup_models.py);
- **on the coordinator**: the bank's own records, written by one job at a time.

``tests/unit/test_scale_metadata.py`` holds the metadata to these rules, and a new table fails
it until it is classified here. ``creditbank db distribution-sql`` prints :func:`calls`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import MetaData, text
from sqlalchemy.orm import Session

LEARNER = "learner_id"
# The table every by-learner table is co-located with: distributed first, in a group of its own.
ANCHOR = "accounts"

# The journal and what is kept in step with it, one learner's rows on one worker.
#   accounts         the chain's cached head and balance (locked FOR UPDATE per learner)
#   journal_entries  the chain itself, keyed (learner_id, seq)
#   outcomes         the projection of each outcome, rewritten with the learner's credits
#   identities       personal data, read with the account (learner tokens, transcripts)
#   enrolments, transfer_applications, transfer_items, transfer_claims
#                    the learner's side of the college half: filed and decided under the
#                    learner's account lock, with the transfer entries they project
#   evidence         a deposited outcome's files, written with its outcome entry
#   documents        the learner's issued transcripts and certificates (numbered by the
#                    coordinator's document_counters, so no bank-wide unique index)
#   credential_status  the learner's index in the credential status list
BY_LEARNER = frozenset(
    {
        "accounts",
        "journal_entries",
        "outcomes",
        "identities",
        "enrolments",
        "transfer_applications",
        "transfer_items",
        "transfer_claims",
        "evidence",
        "documents",
        "credential_status",
    }
)

# The one bank-wide uniqueness of the design, (provider, external_ref): distributed by
# provider; a post touches the learner's worker and the provider's in one transaction.
BY_OTHER_COLUMN = {"idempotency_keys": "provider_id"}

# Copied to every worker. Small, rarely written, read by every request somewhere; and the two
# bank-wide lookups, one row per learner written once at opening, whose primary key is the
# uniqueness a by-learner table cannot keep (national_id_index, account_number_index).
REFERENCE = frozenset(
    {
        "providers",
        "clients",
        "rulesets",
        "staff_accounts",
        "colleges",
        "programmes",
        "catalogues",
        "national_id_index",
        "account_number_index",
    }
)

# The bank's own records of audits and checkpoints, written by one job at a time and read by
# the workstation (an audit reads the journal on a replica). certificate_counters and
# document_counters hand out numbers under a row lock (a sequence per series on one node);
# uploads: the console's uploads of providers' sheets, each row its own progress.
COORDINATOR = frozenset(
    {
        "audits",
        "audit_findings",
        "checkpoints",
        "checkpoint_leaves",
        "audit_events",
        "certificate_counters",
        "document_counters",
        "uploads",
    }
)

# Rows of the journal refuse UPDATE and DELETE by trigger (migrations 0001, 0005); Citus
# distributes a table with triggers only when this is on (docs/scaling.md).
ENABLE_TRIGGERS = "SET citus.enable_unsafe_triggers TO on;"


class UnclassifiedTable(LookupError):
    """A table that is in none of the classes above (or in two)."""


@dataclass(frozen=True)
class Placement:
    table: str
    kind: str  # "learner", "other", "reference" or "coordinator"
    column: str | None = None  # the distribution column, for the two distributed kinds

    @property
    def distributed(self) -> bool:
        return self.column is not None


def placement(table: str) -> Placement:
    """Where ``table`` lives; :class:`UnclassifiedTable` when nobody decided yet."""
    found = [
        Placement(table, kind, column)
        for kind, names, column in (
            ("learner", BY_LEARNER, LEARNER),
            ("other", BY_OTHER_COLUMN.keys(), BY_OTHER_COLUMN.get(table)),
            ("reference", REFERENCE, None),
            ("coordinator", COORDINATOR, None),
        )
        if table in names
    ]
    if len(found) != 1:
        raise UnclassifiedTable(f"{table}: in {len(found)} classes of creditbank/distribution.py")
    return found[0]


def calls(metadata: MetaData) -> list[str]:
    """The statements that distribute a migrated database, in an order Citus accepts: the
    reference tables (which the others' foreign keys point at) in the order of their own
    foreign keys, then ``accounts``, then every other by-learner table co-located with it,
    then the tables distributed by another column, each in a group of its own."""
    ordered = [placement(table.name) for table in metadata.sorted_tables]
    statements = [ENABLE_TRIGGERS]
    statements += [
        f"SELECT create_reference_table('{p.table}');" for p in ordered if p.kind == "reference"
    ]
    statements.append(
        f"SELECT create_distributed_table('{ANCHOR}', '{LEARNER}', colocate_with => 'none');"
    )
    statements += [
        f"SELECT create_distributed_table('{p.table}', '{LEARNER}', colocate_with => '{ANCHOR}');"
        for p in ordered
        if p.kind == "learner" and p.table != ANCHOR
    ]
    statements += [
        f"SELECT create_distributed_table('{p.table}', '{p.column}', colocate_with => 'none');"
        for p in ordered
        if p.kind == "other"
    ]
    return statements


# -- on a Citus database, at run time -------------------------------------------------------------
_CITUS = "creditbank_on_citus"  # in each pooled connection's info: whether its database is Citus
_SHARDS = text(
    "SELECT value, get_shard_id_for_distribution_column(CAST(:table AS regclass), value) "
    "FROM unnest(CAST(:values AS text[])) AS value"
)


def on_citus(session: Session) -> bool:
    """Whether ``session``'s database has the Citus extension (asked once per connection)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return False
    if _CITUS not in connection.info:
        found = connection.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
        connection.info[_CITUS] = found.first() is not None
    return bool(connection.info[_CITUS])


def by_shard(session: Session, table: str, values: Sequence[str]) -> list[list[str]]:
    """``values`` of ``table``'s distribution column grouped by the shard they live on, shards
    in id order and each group sorted. Citus takes ``SELECT … FOR UPDATE`` only when every row
    is on one shard, so a lock of many learners runs one statement per group; locking the
    groups in this order, each in sorted order, keeps one order for every transaction."""
    groups: dict[int, list[str]] = {}
    for value, shard in session.execute(_SHARDS, {"table": table, "values": list(values)}):
        groups.setdefault(shard, []).append(value)
    return [sorted(groups[shard]) for shard in sorted(groups)]
