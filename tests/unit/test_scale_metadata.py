"""The schema stays distributable by learner (docs/scaling.md, DESIGN.md § Scale).

On Citus every table is one of: distributed by a column (its rows spread over the workers by
that column's hash; every primary key and unique index must include it, and a foreign key
between two distributed tables must join on it), a reference table (copied to every worker:
small, rarely written), or a table local to the coordinator. Every table of the metadata is
classified here, so that a new table fails this test until someone decides where it lives.
"""

from __future__ import annotations

import pytest
from sqlalchemy import ForeignKeyConstraint, Table, UniqueConstraint

import creditbank.app  # noqa: F401 (imports every module that declares a table)
from creditbank.extensions import db

# The journal and what is kept in step with it, one learner's rows on one worker: a post, a
# void, a review, a balance or ledger read touches one learner and so one worker; chains, locks
# and running totals are per learner, and nothing needs a global sequence.
#   accounts         the chain's cached head and balance (locked FOR UPDATE per learner)
#   journal_entries  the chain itself, keyed (learner_id, seq)
#   outcomes         the projection of each outcome, rewritten with the learner's credits
#   identities       personal data, read with the account (learner tokens, transcripts)
#   enrolments, transfer_applications, transfer_items, transfer_claims
#                    the learner's side of the college half: filed and decided under the
#                    learner's account lock, with the transfer entries they project
#   evidence         a deposited outcome's files, written with its outcome entry
BY_LEARNER = {
    "evidence",
    "accounts",
    "journal_entries",
    "outcomes",
    "identities",
    "enrolments",
    "transfer_applications",
    "transfer_items",
    "transfer_claims",
    # documents: the learner's issued transcripts and certificates (numbered by the
    # coordinator's document_counters, so no bank-wide unique index); credential_status: the
    # learner's index in the credential status list.
    "documents",
    "credential_status",
}

# The one bank-wide uniqueness of the design, (provider, external_ref): distributed by
# provider; a post touches the learner's worker and the provider's in one transaction.
BY_PROVIDER = {"idempotency_keys"}

# Small, rarely written, read by every request somewhere: copied to every worker.
REFERENCE = {
    "providers",
    "clients",
    "rulesets",
    "staff_accounts",
    "colleges",
    "programmes",
    "catalogues",
}

# The bank's own records of audits and checkpoints, written by one job at a time and read by
# the workstation: kept on the coordinator (an audit reads the journal on a replica).
# certificate_counters: one row per college and year, locked FOR UPDATE when a certificate
# number is given (a sequence per college on one node).
# uploads: the console's uploads of providers' sheets, each row its own progress, written by
# the one worker importing it and read by the workstation.
COORDINATOR = {
    "audits",
    "audit_findings",
    "checkpoints",
    "checkpoint_leaves",
    "audit_events",
    "certificate_counters",
    "uploads",
    # document_counters: document numbers per kind and year, and status-list indexes, handed
    # out under a row lock (the one place a document number's uniqueness is kept).
    "document_counters",
}

CLASSES = {
    "learner_id": BY_LEARNER,
    "provider_id": BY_PROVIDER,
    "reference": REFERENCE,
    "coordinator": COORDINATOR,
}
DISTRIBUTION_COLUMN = {
    **dict.fromkeys(BY_LEARNER, "learner_id"),
    **dict.fromkeys(BY_PROVIDER, "provider_id"),
}

# Known not to be distributable yet, each with what would make it so (strict: fixing it makes
# the xfail below pass, which fails the run until the entry is removed).
KNOWN_GAPS = {
    ("identities", "uq_identities_national_id_fingerprint"): "one account per national ID is "
    "a second bank-wide uniqueness: it needs a table of its own keyed and distributed by the "
    "fingerprint, as idempotency_keys is by provider",
    ("accounts", "ix_accounts_account_number"): "account numbers (学习账号) are unique across "
    "the bank: they need a lookup table of their own keyed and distributed by the number "
    "(account_number → learner_id), as idempotency_keys is by provider",
}


def tables() -> dict[str, Table]:
    return dict(db.metadata.tables)


def unique_keys(table: Table) -> dict[str, set[str]]:
    """The primary key and every unique constraint or index, by name: their column names."""
    keys = {str(table.primary_key.name or "pk"): {c.name for c in table.primary_key.columns}}
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            keys[str(constraint.name)] = {c.name for c in constraint.columns}
    for index in table.indexes:
        if index.unique:
            keys[str(index.name)] = {c.name for c in index.columns}
    return keys


def test_every_table_is_classified_once():
    classified = [name for group in CLASSES.values() for name in group]
    assert len(classified) == len(set(classified)), "a table is in two classes"
    assert set(classified) == set(tables()), (
        "classify each new table in tests/unit/test_scale_metadata.py (docs/scaling.md); "
        "stale entries must go"
    )


@pytest.mark.parametrize("name", sorted(DISTRIBUTION_COLUMN))
def test_distributed_tables_carry_their_distribution_column(name):
    column = tables()[name].columns.get(DISTRIBUTION_COLUMN[name])
    assert column is not None
    assert not column.nullable


@pytest.mark.parametrize("name", sorted(DISTRIBUTION_COLUMN))
def test_every_unique_key_of_a_distributed_table_includes_its_distribution_column(name):
    column = DISTRIBUTION_COLUMN[name]
    missing = {
        key: sorted(columns)
        for key, columns in unique_keys(tables()[name]).items()
        if column not in columns and (name, key) not in KNOWN_GAPS
    }
    assert missing == {}, f"unique across {column}s, which Citus cannot enforce"


@pytest.mark.parametrize("name", sorted(BY_LEARNER))
def test_journal_tables_reference_learners_only_through_the_learner(name):
    """Foreign keys between learner-distributed tables join on learner_id (co-located);
    anything else they reference must be a reference table."""
    for constraint in tables()[name].constraints:
        if not isinstance(constraint, ForeignKeyConstraint):
            continue
        target = constraint.referred_table.name
        if target in BY_LEARNER:
            pairs = {(e.parent.name, e.column.name) for e in constraint.elements}
            assert ("learner_id", "learner_id") in pairs, f"{name} → {target} is not co-located"
        else:
            assert target in REFERENCE, f"{name} → {target}: not co-located, not a reference"


def test_reference_tables_hold_nothing_per_learner():
    """A reference table is copied to every worker: per-learner rows do not belong there."""
    for name in REFERENCE:
        assert "learner_id" not in tables()[name].columns, name


@pytest.mark.parametrize(("name", "key"), sorted(KNOWN_GAPS))
@pytest.mark.xfail(strict=True, raises=AssertionError, reason="known gap, see KNOWN_GAPS")
def test_known_gaps_are_still_gaps(name, key):
    column = DISTRIBUTION_COLUMN[name]
    assert column in unique_keys(tables()[name])[key]
