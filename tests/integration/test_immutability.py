"""Invariant 1: the journal, the rulesets and the catalogues are append-only *inside the
database*.

Every statement here goes through a raw connection (``exec_driver_sql``), past the ORM and
the services, as a person with a SQL prompt would; the triggers created by the migrations
must refuse it and leave every row as it was.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from creditbank.extensions import db as flask_db
from tests.api.catalogue_helpers import new_college, new_programme, publish
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
    "UPDATE catalogues SET document = '{}'",
    "UPDATE catalogues SET effective_from = published_at WHERE version = 1",
    "DELETE FROM catalogues",
    "DELETE FROM catalogues WHERE version = (SELECT max(version) FROM catalogues)",
]

# An upsert is an UPDATE or a DELETE by another name. SQLite's REPLACE deletes the row it
# collides with without firing its delete trigger (recursive_triggers is off), so the guards
# refuse an INSERT of an existing key; PostgreSQL's ON CONFLICT DO UPDATE and MERGE fire the
# update and delete triggers. Each collides on a key of a row that exists: the first entry of a
# chain, the head of one, a ruleset's id, a ruleset's version (the other unique key).
_FORGED_ENTRY = (
    "SELECT learner_id, seq, kind, recorded_at, prev_hash, hash, outcome_id, provider_id, "
    "ruleset_id, category, delta, running_total, 'forged', data FROM journal_entries"
)
_SAME_RULESET = (
    "SELECT id, version, 'forged', effective_from, '{}', published_at, published_by FROM rulesets"
)
_NEW_ID_SAME_VERSION = (
    "SELECT 'rs_forged', version, name, effective_from, '{}', published_at, published_by "
    "FROM rulesets WHERE version = 1"
)
_SAME_CATALOGUE = (
    "SELECT id, programme_id, version, 'forged', effective_from, '{}', published_at, "
    "published_by FROM catalogues WHERE version = 1"
)
_NEW_ID_SAME_CATALOGUE_VERSION = (
    "SELECT 'cat_forged', programme_id, version, name, effective_from, '{}', published_at, "
    "published_by FROM catalogues WHERE version = 1"
)
REPLACES = {
    "sqlite": [
        f"INSERT OR REPLACE INTO journal_entries {_FORGED_ENTRY} WHERE seq = 1",
        f"REPLACE INTO journal_entries {_FORGED_ENTRY} "
        "WHERE seq = (SELECT max(seq) FROM journal_entries)",
        f"INSERT OR REPLACE INTO rulesets {_SAME_RULESET}",
        f"REPLACE INTO rulesets {_NEW_ID_SAME_VERSION}",
        f"INSERT OR REPLACE INTO catalogues {_SAME_CATALOGUE}",
        f"REPLACE INTO catalogues {_NEW_ID_SAME_CATALOGUE_VERSION}",
    ],
    "postgresql": [
        f"INSERT INTO journal_entries {_FORGED_ENTRY} WHERE seq = 1 "
        "ON CONFLICT (learner_id, seq) DO UPDATE SET reason = excluded.reason",
        "MERGE INTO journal_entries j USING journal_entries s "
        "ON j.learner_id = s.learner_id AND j.seq = s.seq WHEN MATCHED THEN DELETE",
        f"INSERT INTO rulesets {_SAME_RULESET} "
        "ON CONFLICT (id) DO UPDATE SET document = excluded.document",
        f"INSERT INTO rulesets {_NEW_ID_SAME_VERSION} "
        "ON CONFLICT (version) DO UPDATE SET name = excluded.name",
        f"INSERT INTO catalogues {_SAME_CATALOGUE} "
        "ON CONFLICT (id) DO UPDATE SET document = excluded.document",
        f"INSERT INTO catalogues {_NEW_ID_SAME_CATALOGUE_VERSION} "
        "ON CONFLICT (programme_id, version) DO UPDATE SET name = excluded.name",
    ],
}

REFUSED_ON_POSTGRES = [
    "TRUNCATE journal_entries",
    "TRUNCATE rulesets",
    "TRUNCATE catalogues",
    # nor a cascade from the programmes the catalogues belong to
    "TRUNCATE programmes CASCADE",
    # A cascade from the accounts must not empty the journal by the back door either.
    "TRUNCATE accounts CASCADE",
]


@pytest.fixture
def engine(api) -> sa.Engine:
    """The app's engine, after a ruleset, a few postings and two catalogue versions have filled
    the guarded tables."""
    programme = new_programme(new_college())
    for _ in range(2):
        assert publish(api, programme, api.workstation).status_code == 201
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
            for table in ("journal_entries", "rulesets", "catalogues", "accounts")
        }


def assert_refused(engine: sa.Engine, statement: str) -> None:
    before = snapshot(engine)
    assert before["journal_entries"] and before["rulesets"], "nothing to tamper with"
    assert before["catalogues"], "no catalogue to tamper with"
    with pytest.raises(sa.exc.IntegrityError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql(statement)
    assert snapshot(engine) == before


@pytest.mark.parametrize("statement", REFUSED_ON_BOTH)
def test_raw_update_and_delete_are_refused_and_change_nothing(engine, statement):
    assert_refused(engine, statement)


@pytest.mark.parametrize("replace", range(len(REPLACES["sqlite"])))
def test_an_upsert_of_an_existing_key_is_refused_and_changes_nothing(engine, replace):
    assert_refused(engine, REPLACES[engine.dialect.name][replace])


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
