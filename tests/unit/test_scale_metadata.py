"""The schema stays distributable by learner (docs/scaling.md, DESIGN.md § Scale).

On Citus every table is one of: distributed by a column (its rows spread over the workers by
that column's hash; every primary key and unique index must include it, and a foreign key
between two distributed tables must join on it), a reference table (copied to every worker),
or a table local to the coordinator. creditbank/distribution.py classifies every table of the
metadata, so that a new table fails here until someone decides where it lives, and writes the
calls that docs/scaling.md prints and ``creditbank db distribution-sql`` gives.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import ForeignKeyConstraint, MetaData, Table, UniqueConstraint

import creditbank.app  # noqa: F401 (imports every module that declares a table)
from creditbank import distribution
from creditbank.cli import main
from creditbank.distribution import UnclassifiedTable, placement
from creditbank.extensions import db

SCALING = Path(__file__).parents[2] / "docs" / "scaling.md"


def tables() -> dict[str, Table]:
    return dict(db.metadata.tables)


def distributed() -> list[str]:
    return sorted(name for name in tables() if placement(name).distributed)


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


def foreign_keys(table: Table) -> list[ForeignKeyConstraint]:
    return [c for c in table.constraints if isinstance(c, ForeignKeyConstraint)]


def test_every_table_is_classified_once():
    for name in tables():
        placement(name)  # raises UnclassifiedTable when in no class or in two
    classified = (
        distribution.BY_LEARNER
        | distribution.BY_OTHER_COLUMN.keys()
        | distribution.REFERENCE
        | distribution.COORDINATOR
    )
    assert classified == set(tables()), "stale entries in creditbank/distribution.py must go"


def test_a_table_nobody_classified_is_refused():
    with pytest.raises(UnclassifiedTable, match="ledger_notes: in 0 classes"):
        placement("ledger_notes")


@pytest.mark.parametrize("name", sorted(distribution.BY_LEARNER))
def test_every_growing_table_has_learner_id_in_its_primary_key(name):
    table = tables()[name]
    assert "learner_id" in {c.name for c in table.primary_key.columns}
    assert not table.columns["learner_id"].nullable


@pytest.mark.parametrize("name", sorted(distribution.BY_OTHER_COLUMN))
def test_tables_distributed_by_another_column_carry_it_in_their_primary_key(name):
    column = distribution.BY_OTHER_COLUMN[name]
    table = tables()[name]
    assert column in {c.name for c in table.primary_key.columns}
    assert not table.columns[column].nullable


def test_every_distributed_table_is_checked():
    assert distributed() == sorted(distribution.BY_LEARNER | distribution.BY_OTHER_COLUMN.keys())


@pytest.mark.parametrize("name", distributed())
def test_every_unique_key_of_a_distributed_table_includes_its_distribution_column(name):
    column = placement(name).column
    missing = {
        key: sorted(columns)
        for key, columns in unique_keys(tables()[name]).items()
        if column not in columns
    }
    assert missing == {}, f"unique across {column}s, which Citus cannot enforce"


@pytest.mark.parametrize("name", distributed())
def test_foreign_keys_of_distributed_tables_are_co_located_or_point_at_reference_tables(name):
    """Foreign keys between learner-distributed tables join on learner_id (co-located);
    anything else a distributed table references must be a reference table."""
    here = placement(name)
    for constraint in foreign_keys(tables()[name]):
        target = placement(constraint.referred_table.name)
        if target.kind == "reference":
            continue
        pairs = {(e.parent.name, e.column.name) for e in constraint.elements}
        assert here.kind == target.kind == "learner", f"{name} → {target.table}: not co-located"
        assert ("learner_id", "learner_id") in pairs, f"{name} → {target.table}: not co-located"


@pytest.mark.parametrize("name", sorted(distribution.REFERENCE))
def test_reference_tables_reference_only_reference_tables(name):
    """Citus refuses a foreign key from a reference table to anything but another one."""
    for constraint in foreign_keys(tables()[name]):
        assert constraint.referred_table.name in distribution.REFERENCE, name


def test_reference_tables_hold_no_learner_data_only_bank_wide_lookups():
    """A reference table is copied to every worker: the only ones naming a learner are the
    lookups of a bank-wide unique value, keyed by that value (one small row per learner)."""
    naming_a_learner = {n for n in distribution.REFERENCE if "learner_id" in tables()[n].columns}
    assert naming_a_learner == {"national_id_index", "account_number_index"}
    for name in naming_a_learner:
        table = tables()[name]
        assert {c.name for c in table.primary_key.columns} == set(table.columns.keys()) - {
            "learner_id"
        }


@pytest.mark.parametrize(
    ("name", "column"),
    [("identities", "national_id_fingerprint"), ("accounts", "account_number")],
)
def test_the_bank_wide_values_are_unique_only_in_their_lookup_table(name, column):
    table = tables()[name]
    assert all(column not in cols for cols in unique_keys(table).values())
    assert all(column not in {c.name for c in i.columns} for i in table.indexes)


def test_the_calls_distribute_every_table_but_the_coordinators_once_in_a_valid_order():
    statements = distribution.calls(db.metadata)
    named = [re.search(r"\('(\w+)'", s).group(1) for s in statements[1:]]  # type: ignore[union-attr]

    assert statements[0] == "SET citus.enable_unsafe_triggers TO on;"
    assert sorted(named) == sorted(set(tables()) - distribution.COORDINATOR)
    assert named.index("accounts") == min(named.index(n) for n in distribution.BY_LEARNER)
    for name in named:  # what a table's foreign keys point at is placed before it
        for constraint in foreign_keys(tables()[name]):
            target = constraint.referred_table.name
            assert named.index(target) < named.index(name), f"{name} before {target}"
    assert (
        "SELECT create_distributed_table('journal_entries', 'learner_id', "
        "colocate_with => 'accounts');" in statements
    )
    assert (
        "SELECT create_distributed_table('idempotency_keys', 'provider_id', "
        "colocate_with => 'none');" in statements
    )
    assert "SELECT create_reference_table('national_id_index');" in statements


def test_the_calls_refuse_a_metadata_with_an_unclassified_table():
    extra = MetaData()
    for table in db.metadata.sorted_tables:
        table.to_metadata(extra)
    Table("ledger_notes", extra)

    with pytest.raises(UnclassifiedTable):
        distribution.calls(extra)


def test_the_command_prints_the_calls_and_the_docs_show_the_same_block():
    result = CliRunner().invoke(main, ["db", "distribution-sql"])

    assert result.exit_code == 0, result.output
    printed = result.output.splitlines()
    assert printed == distribution.calls(db.metadata)
    docs = SCALING.read_text(encoding="utf-8")
    block = re.search(r"## The calls, in order\n.*?```sql\n(.*?)```", docs, re.S)
    assert block is not None, "docs/scaling.md § The calls, in order: a ```sql block"
    assert block.group(1).splitlines() == printed
