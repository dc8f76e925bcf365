"""The journal the scale curve generates (bench/_scale_bank.py) is a bank that passes its audit,
on both databases: every clone's chain is re-hashed, its outcomes, keys and identity are rows of
its own, and on PostgreSQL the indexes and keys dropped for the load are back after it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bench._harness import Api, as_served
from bench._scale_bank import account_number, build_journal, learner_name, national_id
from bench.audit import RULESET
from creditbank.domain.account_numbers import is_account_number
from creditbank.domain.national_id import validate_national_id
from creditbank.extensions import db as flask_db
from creditbank.services.audits import run_audit

pytestmark = pytest.mark.usefixtures("cheap_secret_hashing")

_COUNT = "SELECT count(*) FROM {}"
_SCHEMA = {
    "postgresql": "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema()",
    "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'index'",
}
_KEYS = "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"


def _scalar(statement: str) -> int:
    with flask_db.engine.connect() as connection:
        return int(connection.execute(sa.text(statement)).scalar_one())


def test_a_generated_journal_passes_the_audit_with_the_counts_it_reports(app):
    api = Api(app)
    api.publish_ruleset(RULESET)
    dialect = flask_db.engine.dialect.name
    indexes = _scalar(_SCHEMA[dialect])
    keys = _scalar(_KEYS) if dialect == "postgresql" else 0

    made = build_journal(api, 3_000, api.new_provider("SCALE"), processes=2)
    audit = run_audit()

    assert (audit.status, audit.findings_total) == ("passed", 0)
    assert (audit.entries_checked, audit.learners_checked) == (made["entries"], made["learners"])
    assert made["entries"] >= 3_000
    assert _scalar(_COUNT.format("journal_entries")) == made["entries"]
    for table in ("accounts", "identities"):
        assert _scalar(_COUNT.format(table)) == made["learners"]
    # every outcome of the journal has its state and its idempotency key, and is one learner's
    outcomes = _scalar("SELECT count(DISTINCT outcome_id) FROM journal_entries")
    assert _scalar(_COUNT.format("outcomes")) == outcomes
    assert _scalar(_COUNT.format("idempotency_keys")) == outcomes
    assert _scalar("SELECT count(DISTINCT learner_id) FROM outcomes") == made["learners"]
    assert _scalar(_SCHEMA[dialect]) == indexes
    if dialect == "postgresql":
        assert _scalar(_KEYS) == keys


def test_a_cloned_learner_is_found_by_name_account_number_and_national_id(app):
    api = Api(app)
    api.publish_ruleset(RULESET)
    plan = build_journal(api, 1_000, api.new_provider("SCALE"))["plan"]
    last = plan.learners - 1
    learner_id = plan.learner(last)

    by = {
        "name": f"/api/v1/learners?name={learner_name(last)}",
        "account": f"/api/v1/learners?account_number={account_number(plan.account_start, last)}",
    }
    found = {
        k: api.expect(200, api.client.get(path, headers=api.workstation)) for k, path in by.items()
    }
    by_id = api.post("/api/v1/learners/search", api.workstation, {"national_id": national_id(last)})

    assert learner_id in [item["learner_id"] for item in found["name"]["items"]]
    assert [item["learner_id"] for item in found["account"]["items"]] == [learner_id]
    assert [item["learner_id"] for item in api.expect(200, by_id)["items"]] == [learner_id]
    balance = api.client.get(f"/api/v1/learners/{learner_id}/balance", headers=api.workstation)
    assert api.expect(200, balance)["learner_id"] == learner_id


@pytest.mark.parametrize("start", [10**9, 4_999_999_999, 8 * 10**9 - 1])
def test_account_numbers_and_national_ids_are_valid_and_never_repeat(start):
    numbers = [account_number(start, n) for n in range(30_000)]
    ids = [national_id(n) for n in range(0, 3_000_000, 100)]

    assert len(set(numbers)) == len(numbers)
    assert all(is_account_number(number) for number in numbers)
    assert len(set(ids)) == len(ids)
    assert all(validate_national_id(number) == number for number in ids)


def test_reads_timed_as_served_take_a_connection_each_as_under_a_server(app):
    """Inside the app context a benchmark holds, the test client's requests to that app reuse
    it, session and connection included; :func:`as_served` gives each request its own app
    context, which checks out (and returns) a connection of its own, as under gunicorn."""
    api = Api(app)
    checkouts: list[object] = []
    sa.event.listen(flask_db.engine, "checkout", lambda *_: checkouts.append(1))

    def three_reads() -> None:
        for _ in range(3):
            api.expect(200, api.client.get("/api/v1/learners", headers=api.workstation))

    three_reads()
    held = len(checkouts)
    as_served(three_reads)

    assert (held, len(checkouts) - held) == (0, 3)  # held: the session kept its connection
