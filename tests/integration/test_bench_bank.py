"""The bank the audit benchmark generates (bench/_bank.py) is a bank that passes its audit, on
both databases: cloned chains are re-linked and re-hashed, never copied, and written with the
same bytes the audit reads back (``COPY`` on PostgreSQL, ``executemany`` on SQLite)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bench._bank import build_bank, fresh_ids
from bench._harness import Api
from bench.audit import RULESET
from creditbank.extensions import db as flask_db
from creditbank.services.audits import run_audit

pytestmark = pytest.mark.usefixtures("cheap_secret_hashing")


def test_a_generated_bank_passes_the_audit_entry_for_entry(app):
    api = Api(app)
    api.publish_ruleset(RULESET)

    bank = build_bank(api, 1_000, api.new_provider("BENCH"))
    audit = run_audit()

    assert (audit.status, audit.findings_total) == ("passed", 0)
    assert (audit.entries_checked, audit.learners_checked) == (bank["entries"], bank["learners"])
    assert bank["entries"] >= 1_000


def test_clones_get_learner_and_outcome_ids_of_their_own_and_are_found_by_number(app):
    api = Api(app)
    api.publish_ruleset(RULESET)

    bank = build_bank(api, 500, api.new_provider("BENCH"))

    shared = sa.text(
        "SELECT outcome_id FROM journal_entries WHERE outcome_id IS NOT NULL "
        "GROUP BY outcome_id HAVING count(DISTINCT learner_id) > 1"
    )
    indexed = sa.text(
        "SELECT count(*) FROM accounts a JOIN account_number_index i "
        "ON i.account_number = a.account_number AND i.learner_id = a.learner_id"
    )
    with flask_db.engine.connect() as connection:
        assert connection.execute(shared).all() == []
        learners = connection.execute(sa.text("SELECT count(*) FROM accounts")).scalar()
        found_by_number = connection.execute(indexed).scalar()
    assert learners == found_by_number == bank["learners"] > 3


def test_fresh_ids_look_like_new_ids_and_never_repeat():
    learners, outcomes = fresh_ids("L"), fresh_ids("o")
    made = [next(learners) for _ in range(3000)] + [next(outcomes) for _ in range(3000)]

    assert len(set(made)) == len(made)
    assert {len(i) for i in made[:3000]} == {27} and made[0].startswith("L0")
    assert {len(i) for i in made[3000:]} == {28} and made[3000].startswith("o_0")
