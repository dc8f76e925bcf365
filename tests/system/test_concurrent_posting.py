"""Many clients at once through a real gunicorn with several worker processes, on SQLite and
on PostgreSQL (issue 5 § Concurrency): every 201 lands in the journal exactly once, every
chain stays contiguous and linked, balances equal the sum of their deltas, and a yearly cap
holds when the posts race for the last credits.

The journal is read straight from the database (``journals.read_journal``), not through the
API under test.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from creditbank.domain.amounts import parse_tenths
from tests.system.journals import audit, read_journal
from tests.system.servers import BASE_RULESET, Bank, Templates, bank_server, hours_body

pytestmark = pytest.mark.system

WORKERS, THREADS = 3, 4
CLIENTS = 32


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bank(request: pytest.FixtureRequest, tmp_path_factory, bank_templates: Templates):
    template = bank_templates(request.param)
    instance: Path = tmp_path_factory.mktemp(f"concurrent-{request.param}")
    with bank_server(
        request.param, instance, workers=WORKERS, threads=THREADS, template=template
    ) as bank:
        yield bank


def assert_each_created_once(bank: Bank, replies, bodies) -> None:
    """Every 201 names an outcome whose entry is in the journal once, under its own ref."""
    journal = read_journal(bank.database_url)
    by_id = Counter(
        entry["outcome_id"]
        for entries in journal.entries.values()
        for entry in entries
        if entry["kind"] == "outcome"
    )
    for (status, reply), body in zip(replies, bodies, strict=True):
        assert status == 201, reply
        assert by_id[reply["outcome"]["id"]] == 1, reply["outcome"]["id"]
        assert journal.outcome_refs[(bank.provider_id, body["external_ref"])] == 1


def test_thirty_two_clients_posting_for_one_learner_land_every_post_once(bank: Bank):
    learner = bank.new_learner()
    bodies = [hours_body(learner, f"one-{index:03d}") for index in range(2 * CLIENTS)]

    replies = bank.post_all(bodies, clients=CLIENTS)

    assert_each_created_once(bank, replies, bodies)
    journal = read_journal(bank.database_url)
    assert len(journal.outcomes_of(learner)) == len(bodies)
    # 64 × 10 h of theory at 16 h per credit, steps of 0.5: 40.0, so no update was lost.
    assert journal.balances[learner] == 400
    balance = bank.call("GET", f"/learners/{learner}/balance", bank.workstation).json()
    assert (balance["total"], balance["seq"]) == ("40.0", len(journal.entries[learner]))


def test_five_hundred_learners_posted_at_once_each_get_their_one_entry(bank: Bank):
    learners = bank.open_learners(500)
    bodies = [hours_body(learner, f"many-{learner}") for learner in learners]

    replies = bank.post_all(bodies, clients=CLIENTS)

    assert_each_created_once(bank, replies, bodies)
    journal = read_journal(bank.database_url)
    assert {learner: len(journal.outcomes_of(learner)) for learner in learners} == dict.fromkeys(
        learners, 1
    )
    assert {learner: journal.balances[learner] for learner in learners} == dict.fromkeys(
        learners, 5
    )  # 10 h earn 0.5 each


def course_body(learner_id: str, external_ref: str, credits: str) -> dict[str, object]:
    return {
        "learner_id": learner_id,
        "external_ref": external_ref,
        "kind": "course",
        "course_code": external_ref,  # a new course each time: never a duplicate
        "institution": "重庆三峡职业学院",
        "credits": credits,
        "score": 85,
        "achieved_on": "2026-01-15",
    }


def test_posts_racing_for_the_last_credits_never_exceed_the_yearly_cap(bank: Bank):
    """Cap 5.0 a year; 4.0 already earned; 32 posts of 1.5 race for the last 1.0."""
    bank.publish_ruleset({**BASE_RULESET, "name": "封顶规则", "caps": {"per_year": "5.0"}})
    try:
        learner = bank.new_learner()
        first = bank.post_all([course_body(learner, "cap-first", "4.0")], clients=1)
        assert first[0][1]["outcome"]["credits"] == "4.0"
        bodies = [course_body(learner, f"cap-{index:02d}", "1.5") for index in range(CLIENTS)]

        replies = bank.post_all(bodies, clients=CLIENTS)

        assert_each_created_once(bank, replies, bodies)
        earned = sorted(parse_tenths(reply["outcome"]["credits"]) for _, reply in replies)
        assert earned == [0] * (CLIENTS - 1) + [10], earned  # one gets the remainder
        assert Counter(reply["outcome"]["reason"] for _, reply in replies) == {"capped": CLIENTS}
        journal = read_journal(bank.database_url)
        assert journal.balances[learner] == 50  # the cap, exactly: nothing over, nothing lost
        balance = bank.call("GET", f"/learners/{learner}/balance", bank.workstation).json()
        assert balance["total"] == "5.0"
    finally:
        # A newer version of the uncapped rules wins the tie on effective_from: the module's
        # other tests see the bank as before, whatever order they run in.
        bank.publish_ruleset(BASE_RULESET)


def test_after_the_races_the_banks_own_audit_passes(bank: Bank):
    """``creditbank audit`` replays every learner's history through the conversion engine:
    whatever the races above interleaved, each credit is what a replay decides."""
    journal = read_journal(bank.database_url)
    report = audit(bank.server, bank.database_url)
    assert report["learners_checked"] == len(journal.entries) >= 500
