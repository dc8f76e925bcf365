"""Models and migrations agree, on both databases (the check ``flask db check`` runs in CI),
an empty database migrates to head and back, and ``/readyz`` tells whether it is at head."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask_migrate import check, downgrade, upgrade

from creditbank.app import create_app
from creditbank.domain.account_numbers import parse_account_number
from creditbank.extensions import db as flask_db
from tests.api.helpers import national_id
from tests.integration.guards import GUARDS, installed_guards
from tests.support.banks import make_settings
from tests.support.databases import scratch_database


def schema_diff(metadata: sa.MetaData) -> list:
    """What autogenerate would write to bring the database to ``metadata``, compared with the
    options the app's Flask-Migrate gives Alembic (``compare_type`` among them)."""
    options = dict(current_app.extensions["migrate"].configure_args)
    with flask_db.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection, opts=options), metadata)


def script_heads(app: Flask) -> list[str]:
    return sorted(ScriptDirectory(app.extensions["migrate"].directory).get_heads())


def database_heads() -> list[str]:
    with flask_db.engine.connect() as connection:
        return sorted(MigrationContext.configure(connection).get_current_heads())


def test_models_and_migrations_agree_at_head(app):
    assert schema_diff(flask_db.metadata) == []


def test_flask_db_check_finds_nothing_to_migrate(app):
    """``flask db check`` exits 1 (SystemExit) when the models drifted from the migrations."""
    check()


def test_the_comparison_sees_a_model_that_drifted(app):
    """The agreement test above can fail: a column and an index the migrations lack show up."""
    drifted = sa.MetaData(naming_convention=flask_db.metadata.naming_convention)
    for table in flask_db.metadata.sorted_tables:
        table.to_metadata(drifted)
    journal = drifted.tables["journal_entries"]
    journal.append_column(sa.Column("signature", sa.String(128), nullable=True))
    sa.Index("ix_journal_entries_kind", journal.c.kind)

    diff = schema_diff(drifted)

    assert ("add_column", None, "journal_entries", journal.c.signature) in diff
    assert any(op[0] == "add_index" and op[1].name == "ix_journal_entries_kind" for op in diff)


def test_readyz_reports_the_head_the_database_is_at(api):
    response = api.get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "database": "ok",
        "migrations": script_heads(api.app),
    }
    assert database_heads() == script_heads(api.app)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_app(request: pytest.FixtureRequest, tmp_path: Path, keys_dir: Path) -> Iterator[Flask]:
    """The app on a database of its own that no migration has touched yet."""
    if request.param == "postgresql" and not os.environ.get("CREDITBANK_TEST_DATABASE_URL"):
        pytest.skip("PostgreSQL tier: set CREDITBANK_TEST_DATABASE_URL to run it")
    with scratch_database(request.param, tmp_path, "creditbank_migrations") as url:
        app = create_app(make_settings(url, tmp_path, keys_dir))
        with app.app_context():
            yield app
            flask_db.session.remove()
            flask_db.engine.dispose()


def test_an_empty_database_is_not_ready_until_migrated_to_head(empty_app):
    client = empty_app.test_client()
    before = client.get("/readyz")

    upgrade()
    after = client.get("/readyz")

    assert before.status_code == 503
    assert before.headers["Retry-After"] == "5"
    assert before.get_json() == {
        "status": "unavailable",
        "reason": f"schema at [], migrations at {script_heads(empty_app)}",
    }
    assert after.status_code == 200
    assert after.get_json()["migrations"] == script_heads(empty_app) == database_heads()
    assert schema_diff(flask_db.metadata) == []


def test_downgrade_to_base_removes_everything_and_upgrade_restores_the_guards(empty_app):
    upgrade()
    downgrade(revision="base")
    with flask_db.engine.connect() as connection:
        tables_at_base = sa.inspect(connection).get_table_names()
        guards_at_base = installed_guards(connection)

    upgrade()
    with flask_db.engine.connect() as connection:
        guards_at_head = installed_guards(connection)
        dialect = connection.dialect.name

    assert tables_at_base == ["alembic_version"]
    assert guards_at_base == {}
    assert database_heads() == script_heads(empty_app)
    assert GUARDS[dialect].items() <= guards_at_head.items()  # later migrations may add more
    assert schema_diff(flask_db.metadata) == []


def seed_at_0002(learners: int) -> dict[str, str]:
    """Accounts as revision 0002 held them, each with an identity masked the old way
    (first 6 + last 4) and a journal entry (so the accounts are referenced): learner → ID."""
    opened = "2026-01-05 08:00:00"
    ids = {f"L{n:026d}": national_id(serial=f"{n:03d}") for n in range(learners)}
    statements = [
        (
            "INSERT INTO accounts (learner_id, opened_at, head_seq, head_hash, balance, "
            "balance_by_category) VALUES (:learner, :opened, 1, :hash, 0, '{}')"
        ),
        (
            "INSERT INTO identities (learner_id, name, national_id_masked, token_version, "
            "updated_at) VALUES (:learner, '张三', :masked, 0, :opened)"
        ),
        (
            "INSERT INTO journal_entries (learner_id, seq, kind, recorded_at, prev_hash, hash, "
            "data) VALUES (:learner, 1, 'outcome', :opened, :genesis, :hash, '{}')"
        ),
    ]
    rows = [
        {
            "learner": learner,
            "opened": opened,
            "masked": f"{whole[:6]}********{whole[-4:]}",
            "genesis": "0" * 64,
            "hash": "a" * 64,
        }
        for learner, whole in ids.items()
    ]
    with flask_db.engine.begin() as connection:
        for statement in statements:
            connection.execute(sa.text(statement), rows)
    return ids


def pairs(connection: sa.Connection, query: str) -> dict[str, str]:
    return {key: value for key, value in connection.execute(sa.text(query))}


def test_0003_gives_every_account_a_valid_unique_number_and_shortens_the_masks(empty_app):
    upgrade(revision="0002")
    ids = seed_at_0002(learners=30)

    upgrade()
    with flask_db.engine.connect() as connection:
        numbers = pairs(connection, "SELECT learner_id, account_number FROM accounts")
        masks = pairs(connection, "SELECT learner_id, national_id_masked FROM identities")

    assert numbers.keys() == ids.keys()
    assert all(parse_account_number(number) == number for number in numbers.values())
    assert len(set(numbers.values())) == len(numbers)
    assert masks == {learner: f"**************{whole[-4:]}" for learner, whole in ids.items()}
    assert schema_diff(flask_db.metadata) == []


def test_0003_refuses_a_second_account_with_the_same_number_and_downgrades_with_rows(empty_app):
    upgrade(revision="0002")
    seed_at_0002(learners=2)
    upgrade(revision="0003")  # from 0012 on, account_number_index keeps the numbers unique
    with flask_db.engine.connect() as connection:
        first, second = connection.execute(sa.text("SELECT account_number FROM accounts")).scalars()

    with pytest.raises(sa.exc.IntegrityError), flask_db.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE accounts SET account_number = :first WHERE account_number = :second"),
            {"first": first, "second": second},
        )
    downgrade(revision="0002")
    with flask_db.engine.connect() as connection:
        columns = {column["name"] for column in sa.inspect(connection).get_columns("accounts")}
        accounts = connection.execute(sa.text("SELECT count(*) FROM accounts")).scalar()

    assert "account_number" not in columns
    assert accounts == 2


@pytest.mark.usefixtures("cheap_secret_hashing")
def test_0005_fills_in_the_certificate_keys_posting_writes(empty_app):
    """Outcomes posted before 0005 get the key posting gives new ones, read from the journal:
    posted at head, the column dropped (down to 0004) and filled in again (up to head)."""
    from tests.conftest import ApiClient
    from tests.integration.banks import outcome

    upgrade()
    api = ApiClient(empty_app)
    api.publish_ruleset()
    _, provider = api.new_provider()
    learner = api.new_learner()
    for body in (
        outcome(learner, "certificate", certificate_code="1X-WEB", certificate_no="W:1"),
        outcome(learner, "certificate", certificate_code="计算机:二级", certificate_no="证-2"),
        outcome(learner, "skill_level", occupation_code="6-20-01", level=4, certificate_no="S"),
        outcome(learner, "training_hours", hours="10", category="theory"),
    ):
        assert api.post("/api/v1/outcomes", provider, json=body).status_code == 201
    keys = "SELECT outcome_id, certificate_key FROM outcomes ORDER BY outcome_id"
    with flask_db.engine.connect() as connection:
        posted = connection.exec_driver_sql(keys).all()
    flask_db.session.remove()

    downgrade(revision="0004")
    upgrade()
    with flask_db.engine.connect() as connection:
        filled = connection.exec_driver_sql(keys).all()

    assert filled == posted
    assert sorted(key for _, key in posted if key) == [
        "certificate:6:1X-WEB:W:1",
        "certificate:6:计算机:二级:证-2",
        "skill_level:7:6-20-01:S",
    ]


def seed_at_0011(learners: int) -> dict[str, tuple[str, str | None]]:
    """Accounts and identities as revision 0011 held them, every other one with a national ID's
    fingerprint: learner → (account number, fingerprint)."""
    held = {
        f"L{n:026d}": (f"{100000000000 + n}", f"{n:064x}" if n % 2 else None)
        for n in range(learners)
    }
    rows = [
        {"learner": learner, "number": number, "fingerprint": fingerprint}
        for learner, (number, fingerprint) in held.items()
    ]
    with flask_db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO accounts (learner_id, account_number, opened_at, head_seq, "
                "head_hash, balance, balance_by_category) VALUES (:learner, :number, "
                "'2026-01-05 08:00:00', 0, :genesis, 0, '{}')"
            ),
            [{**row, "genesis": "0" * 64} for row in rows],
        )
        connection.execute(
            sa.text(
                "INSERT INTO identities (learner_id, name, national_id_fingerprint, "
                "token_version, updated_at) VALUES (:learner, '张三', :fingerprint, 0, "
                "'2026-01-05 08:00:00')"
            ),
            rows,
        )
    return held


def test_0012_fills_the_lookup_tables_which_then_keep_the_values_unique(empty_app):
    upgrade(revision="0011")
    held = seed_at_0011(learners=6)

    upgrade()
    with flask_db.engine.connect() as connection:
        numbers = pairs(connection, "SELECT account_number, learner_id FROM account_number_index")
        ids = pairs(connection, "SELECT national_id_fingerprint, learner_id FROM national_id_index")
    taken_fingerprint = next(fingerprint for _, fingerprint in held.values() if fingerprint)
    with pytest.raises(sa.exc.IntegrityError), flask_db.engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO national_id_index VALUES (:fingerprint, 'L-another')"),
            {"fingerprint": taken_fingerprint},
        )

    assert numbers == {number: learner for learner, (number, _) in held.items()}
    assert ids == {fp: learner for learner, (_, fp) in held.items() if fp is not None}
    assert len(ids) == 3
    assert schema_diff(flask_db.metadata) == []


def test_0012_downgrades_with_rows_to_the_unique_indexes_of_0011(empty_app):
    upgrade(revision="0011")
    held = seed_at_0011(learners=4)
    upgrade()

    downgrade(revision="0011")
    with flask_db.engine.connect() as connection:
        inspector = sa.inspect(connection)
        tables = set(inspector.get_table_names())
        unique_numbers = [i["unique"] for i in inspector.get_indexes("accounts")]
        unique_ids = [c["column_names"] for c in inspector.get_unique_constraints("identities")]
        accounts = connection.execute(sa.text("SELECT count(*) FROM accounts")).scalar()
    first, second = [number for number, _ in held.values()][:2]
    with pytest.raises(sa.exc.IntegrityError), flask_db.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE accounts SET account_number = :first WHERE account_number = :second"),
            {"first": first, "second": second},
        )

    assert not tables & {"national_id_index", "account_number_index"}
    assert unique_numbers == [True]
    assert unique_ids == [["national_id_fingerprint"]]
    assert accounts == 4
