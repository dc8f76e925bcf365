"""Invariants 2 and 3 on stored rows: after a mix of posts (single and batch), voids and
reviews for several learners, every chain is contiguous, linked and hashes what it stores;
each account caches its head and its balance; instants come back exactly as they were hashed.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank.domain.amounts import format_tenths
from creditbank.domain.canonical import entry_hash, format_instant
from creditbank.extensions import db as flask_db
from creditbank.journal import entries_at, entry_document
from creditbank.models import Account, JournalEntry
from creditbank.services import posting
from tests.integration.chains import (
    assert_chain_intact,
    assert_head_matches,
    assert_running_totals,
    stored_entries,
    stored_views,
)

pytestmark = pytest.mark.usefixtures("cheap_secret_hashing")

# Expected balances of the history below, worked by hand from DESIGN.md § Conversion.
EXPECTED_BALANCES = {
    "ann": {"theory": "0.5", "certificate": "4.0", "volunteering": "1.5"},
    "bo": {"practice": "1.0", "skill_level": "3.0", "competition": "3.0", "course": "2.0"},
    "chen": {"certificate": "0.0"},
}


def outcome_body(learner_id: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "learner_id": learner_id,
        "external_ref": f"ref-{os.urandom(6).hex()}",
        "kind": kind,
        "achieved_on": "2026-01-15",
        **fields,
    }


def hours(learner_id: str, amount: str, category: str) -> dict[str, Any]:
    return outcome_body(learner_id, "training_hours", hours=amount, category=category)


def certificate(learner_id: str, level: str) -> dict[str, Any]:
    number = f"C-{os.urandom(4).hex()}"
    return outcome_body(
        learner_id, "certificate", certificate_code="1X-WEB", level=level, certificate_no=number
    )


def informal(learner_id: str) -> dict[str, Any]:
    return outcome_body(learner_id, "informal", description="社区志愿服务 120 小时")


class History:
    """Posts, voids and reviews through the API, asserting each is accepted."""

    def __init__(self, api) -> None:
        self.api = api
        _, self.provider = api.new_provider()

    def post(self, body: dict[str, Any]) -> str:
        response = self.api.post("/api/v1/outcomes", self.provider, json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["outcome"]["id"]

    def post_batch(self, *bodies: dict[str, Any]) -> list[str]:
        response = self.api.post("/api/v1/outcomes", self.provider, json={"items": list(bodies)})
        assert response.status_code == 201, response.get_json()
        return [item["outcome"]["id"] for item in response.get_json()["items"]]

    def void(self, outcome_id: str) -> None:
        response = self.api.post(
            f"/api/v1/outcomes/{outcome_id}/void", self.provider, json={"reason": "录入错误"}
        )
        assert response.status_code == 201, response.get_json()

    def review(self, outcome_id: str, credits: str, category: str) -> None:
        body = {"credits": credits, "category": category, "note": "工作站认定"}
        response = self.api.post(f"/api/v1/reviews/{outcome_id}", self.api.workstation, json=body)
        assert response.status_code == 201, response.get_json()


@pytest.fixture
def learners(api) -> dict[str, str]:
    """Three learners with interleaved histories of every entry kind."""
    api.publish_ruleset()
    ids = {name: api.new_learner(password=None) for name in EXPECTED_BALANCES}
    ann, bo, chen = ids["ann"], ids["bo"], ids["chen"]
    history = History(api)
    first_hours = history.post(hours(ann, "10", "theory"))
    history.post(hours(ann, "14", "theory"))
    history.post(certificate(ann, "junior"))
    ann_informal = history.post(informal(ann))
    chen_senior = history.post(certificate(chen, "senior"))
    history.post_batch(certificate(ann, "intermediate"), hours(bo, "30", "practice"))
    skill_no = f"S-{os.urandom(4).hex()}"
    history.post(
        outcome_body(
            bo, "skill_level", occupation_code="4-04-05-01", level=4, certificate_no=skill_no
        )
    )
    history.post_batch(
        outcome_body(bo, "competition", scope="national", rank=2, event="全国职业院校技能大赛"),
        outcome_body(
            bo, "course", course_code="CS101", credits="2.0", score=85, institution="职教中心"
        ),
        informal(chen),
    )
    history.void(first_hours)  # ann's remaining 14 h regroup: 1.5 -> 0.5
    history.void(chen_senior)
    history.review(ann_informal, "1.5", "volunteering")
    chen_informal = history.post(informal(chen))
    history.review(chen_informal, "0", "volunteering")
    return ids


def fresh_session() -> Session:
    """A session of its own, so every row is read back from the database, not the identity map."""
    return Session(flask_db.engine)


def test_every_entry_kind_appears_in_the_history(learners):
    with fresh_session() as session:
        kinds = {
            row.kind for learner in learners.values() for row in stored_entries(session, learner)
        }

    assert kinds == {"outcome", "credit", "void", "review"}


def test_each_chain_is_contiguous_linked_and_hashes_its_stored_rows(learners):
    with fresh_session() as session:
        for learner in learners.values():
            rows = stored_entries(session, learner)
            assert rows, learner
            for row in rows:
                assert entry_hash(entry_document(row)) == row.hash, (learner, row.seq)
            assert_chain_intact(stored_views(session, learner))


def test_the_account_caches_the_head_of_its_chain(learners):
    with fresh_session() as session:
        for learner in learners.values():
            account = session.get(Account, learner)
            rows = stored_entries(session, learner)
            assert_head_matches(account, stored_views(session, learner))
            assert account.head_recorded_at == rows[-1].recorded_at


def test_balance_is_the_sum_of_deltas_and_the_last_running_total(api, learners):
    with fresh_session() as session:
        for name, learner in learners.items():
            account = session.get(Account, learner)
            total, by_category = assert_running_totals(stored_views(session, learner))
            served = api.get(f"/api/v1/learners/{learner}/balance", api.workstation).get_json()

            assert account.balance == total, name
            assert json.loads(account.balance_by_category) == by_category, name
            assert served["total"] == format_tenths(total), name
            assert served["by_category"] == EXPECTED_BALANCES[name], name


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):
    """Set the instant the posting service reads as "now"."""

    def set_now(instant: datetime) -> None:
        monkeypatch.setattr(posting, "utcnow", lambda: instant)

    return set_now


def test_recorded_at_never_goes_backwards_when_the_clock_steps_back(api, clock):
    api.publish_ruleset()
    learner = api.new_learner(password=None)
    history = History(api)
    later = datetime(2026, 3, 1, 10, 0, 0, 500000, tzinfo=UTC)

    clock(later)
    history.post(hours(learner, "10", "theory"))
    clock(later - timedelta(hours=1))
    history.post(hours(learner, "14", "theory"))

    with fresh_session() as session:
        instants = [row.recorded_at for row in stored_entries(session, learner)]
        assert_chain_intact(stored_views(session, learner))
    assert instants == [later] * 4  # two outcomes, two credits


SHANGHAI = timezone(timedelta(hours=8))
INSTANTS = [
    datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=SHANGHAI),  # the previous day in UTC
    datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 3, 1, 0, 0, 0, 0, tzinfo=UTC),
]


def test_a_stored_instant_round_trips_exactly_in_utc_with_microseconds(api, clock):
    api.publish_ruleset()
    learner = api.new_learner(password=None)
    history = History(api)
    served = []
    for instant in INSTANTS:
        clock(instant)
        outcome_id = history.post(hours(learner, "16", "theory"))
        served.append(api.get(f"/api/v1/outcomes/{outcome_id}", api.workstation).get_json())

    with fresh_session() as session:
        outcome_rows = [row for row in stored_entries(session, learner) if row.kind == "outcome"]
        assert_chain_intact(stored_views(session, learner))
    with flask_db.engine.connect() as connection:
        raw = list(
            connection.exec_driver_sql(
                "SELECT recorded_at FROM journal_entries WHERE kind = 'outcome' ORDER BY seq"
            ).scalars()
        )

    assert [row.recorded_at for row in outcome_rows] == INSTANTS
    assert all(row.recorded_at.utcoffset() == timedelta(0) for row in outcome_rows)
    assert [row.recorded_at.microsecond for row in outcome_rows] == [1, 999999, 0]
    assert [view["recorded_at"] for view in served] == [
        "2025-12-31T16:00:00.000001Z",
        "2026-02-28T23:59:59.999999Z",
        "2026-03-01T00:00:00.000000Z",
    ]
    assert [format_instant(row.recorded_at) for row in outcome_rows] == [
        view["recorded_at"] for view in served
    ]
    if flask_db.engine.dialect.name == "sqlite":  # text without a zone, and it is UTC
        assert raw == [i.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") for i in INSTANTS]
    else:  # timestamptz
        assert raw == INSTANTS


def test_an_outcome_is_converted_under_the_ruleset_in_force_at_its_recorded_at(api, clock):
    """A request that read the clock before another's append (a lock wait, a clock step)
    is recorded at the chain head's instant; the ruleset must be chosen at that instant."""
    api.publish_ruleset()
    boundary = datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC)
    newer = api.publish_ruleset(
        name="新版规则", effective_from="2026-03-01T10:00:00Z", hours_per_credit={"theory": "8"}
    )
    learner = api.new_learner(password=None)
    history = History(api)
    clock(boundary + timedelta(seconds=1))
    history.post(hours(learner, "8", "theory"))

    clock(boundary - timedelta(seconds=1))
    late = history.post(hours(learner, "8", "theory"))
    view = api.get(f"/api/v1/outcomes/{late}", api.workstation).get_json()

    assert view["recorded_at"] == "2026-03-01T10:00:01.000000Z"
    assert view["ruleset_id"] == newer["id"]


def test_a_read_in_the_same_transaction_sees_what_was_just_appended(api):
    """Appends are written set-based, but before the transaction's next statement: nothing that
    reads the journal (a replay, an audit query) can miss them."""
    from creditbank.journal import append, lock_accounts
    from creditbank.models import JournalEntry
    from creditbank.services.transaction import utcnow, write_transaction

    learner = api.new_learner()
    with write_transaction() as session:
        account = lock_accounts(session, [learner])[learner]
        entry = append(session, account, "outcome", utcnow(), data={"note": "x"})
        stored = session.get(JournalEntry, (learner, entry.seq))
        assert stored is not None and stored.hash == entry.hash
        row = session.get(Account, learner)
        assert (row.head_seq, row.head_hash) == (entry.seq, entry.hash)


def test_a_rolled_back_append_leaves_nothing_behind_for_the_next_transaction(api):
    from creditbank.journal import append, lock_accounts
    from creditbank.models import JournalEntry
    from creditbank.services.transaction import utcnow, write_transaction

    learner = api.new_learner()
    with pytest.raises(RuntimeError), write_transaction() as session:
        account = lock_accounts(session, [learner])[learner]
        append(session, account, "outcome", utcnow(), data={"note": "rolled back"})
        raise RuntimeError("the request failed after appending")
    with write_transaction() as session:
        account = lock_accounts(session, [learner])[learner]
        assert account.head_seq == 0
        append(session, account, "outcome", utcnow(), data={"note": "kept"})
    rows = flask_db.session.query(JournalEntry).filter_by(learner_id=learner).all()
    assert [json.loads(row.data)["note"] for row in rows] == ["kept"]


def test_entries_at_finds_the_entries_of_the_keys_given_and_no_others(learners):
    with fresh_session() as session:
        every = session.scalars(select(JournalEntry)).all()
        wanted = [(e.learner_id, e.seq) for e in every if e.seq % 2 == 1]
        absent = [(learners["ann"], 10_000), ("L-nobody", 1)]

        found = entries_at(session, [*wanted, *absent])

        assert sorted((e.learner_id, e.seq) for e in found) == sorted(wanted)
        assert {e.learner_id for e in found} == set(learners.values())
        assert entries_at(session, []) == []
