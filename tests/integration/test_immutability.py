"""Invariant 1: the journal and the rulesets are append-only *inside the database*.

Every statement here goes through a raw connection (``exec_driver_sql``), past the ORM and
the services, as a person with a SQL prompt would; the triggers created by the migrations
must refuse it and leave every row as it was.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from creditbank.extensions import db as flask_db
from tests.integration.guards import GUARDS, installed_guards

pytestmark = pytest.mark.usefixtures("cheap_secret_hashing")

REFUSED_ON_BOTH = [
    "UPDATE journal_entries SET reason = 'forged'",
    "UPDATE journal_entries SET delta = delta + 10 WHERE kind = 'credit'",
    "UPDATE journal_entries SET hash = prev_hash WHERE seq = 1",
    "DELETE FROM journal_entries",
    "DELETE FROM journal_entries WHERE seq = (SELECT max(seq) FROM journal_entries)",
    "UPDATE rulesets SET document = '{}'",
    "UPDATE rulesets SET effective_from = published_at",
    "DELETE FROM rulesets",
]

REFUSED_ON_POSTGRES = [
    "TRUNCATE journal_entries",
    "TRUNCATE rulesets",
    # A cascade from the accounts must not empty the journal by the back door either.
    "TRUNCATE accounts CASCADE",
]


@pytest.fixture
def engine(api) -> sa.Engine:
    """The app's engine, after a ruleset and a few postings have filled both tables."""
    api.publish_ruleset()
    api.publish_ruleset(name="第二版规则", effective_from="2021-01-01T00:00:00+08:00")
    _, provider = api.new_provider()
    for learner in (api.new_learner(), api.new_learner()):
        for hours in ("10", "14"):
            assert api.post_outcome(provider, learner, hours=hours).status_code == 201
    return flask_db.engine


def snapshot(engine: sa.Engine) -> dict[str, list[tuple]]:
    """Every row of the guarded tables (and the accounts), in a stable order."""
    with engine.connect() as connection:
        return {
            table: [
                tuple(row)
                for row in connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1, 2")
            ]
            for table in ("journal_entries", "rulesets", "accounts")
        }


def assert_refused(engine: sa.Engine, statement: str) -> None:
    before = snapshot(engine)
    assert before["journal_entries"] and before["rulesets"], "nothing to tamper with"
    with pytest.raises(sa.exc.IntegrityError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql(statement)
    assert snapshot(engine) == before


@pytest.mark.parametrize("statement", REFUSED_ON_BOTH)
def test_raw_update_and_delete_are_refused_and_change_nothing(engine, statement):
    assert_refused(engine, statement)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("statement", REFUSED_ON_POSTGRES)
def test_raw_truncate_is_refused_on_postgresql_and_changes_nothing(engine, statement):
    assert_refused(engine, statement)


def test_appending_still_works_after_a_refused_tampering(api, engine):
    """The guards refuse changes, not inserts: the ledger keeps accepting postings."""
    assert_refused(engine, "DELETE FROM journal_entries")
    _, provider = api.new_provider()
    response = api.post_outcome(provider, api.new_learner(), hours="16")

    assert response.status_code == 201
    assert response.get_json()["outcome"]["credits"] == "1.0"


def test_every_guard_exists_and_is_enabled_at_head(app):
    with flask_db.engine.connect() as connection:
        installed = installed_guards(connection)
        expected = GUARDS[connection.dialect.name]

    missing = {name: table for name, table in expected.items() if installed.get(name) != table}
    assert not missing, f"guards missing at head: {missing} (installed: {installed})"
