"""Concurrent writers inside one process: every thread has its own test client, hence its own
app context and Flask-SQLAlchemy session, and they race on the same learners.

What must hold (DESIGN.md invariants 2, 3 and 5): a learner's chain never forks or gaps
however many writers queue on it; a retried or duplicated post lands once; batches that
touch the same learners in opposite orders all finish (SQLite serialises writers with
``BEGIN IMMEDIATE``; PostgreSQL locks the accounts in ``learner_id`` order).
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditbank.conversion import evaluate
from creditbank.extensions import db as flask_db
from creditbank.models import Account, JournalEntry, OutcomeState
from creditbank.services.history import history_of, load_rulesets
from tests.integration.chains import (
    assert_chain_intact,
    assert_head_matches,
    assert_running_totals,
    stored_views,
)
from tests.integration.threads import run_in_threads

pytestmark = pytest.mark.usefixtures("cheap_secret_hashing")

THREADS = 16


def hours_body(learner_id: str, external_ref: str | None = None) -> dict[str, Any]:
    return {
        "learner_id": learner_id,
        "external_ref": external_ref or f"ref-{os.urandom(6).hex()}",
        "kind": "training_hours",
        "hours": "10",
        "category": "theory",
        "achieved_on": "2026-01-15",
    }


def post(app: Flask, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
    """One request through a test client of the calling thread's own."""
    response = app.test_client().post("/api/v1/outcomes", headers=headers, json=body)
    return response.status_code, response.get_json()


@pytest.fixture
def provider(api) -> dict[str, str]:
    """A ruleset in force (16 h per credit in steps of 0.5) and a provider's headers."""
    api.publish_ruleset()
    return api.new_provider()[1]


def outcome_entry_count(session: Session, learner_id: str | None = None) -> int:
    query = select(func.count()).select_from(JournalEntry).where(JournalEntry.kind == "outcome")
    if learner_id is not None:
        query = query.where(JournalEntry.learner_id == learner_id)
    return session.scalar(query) or 0


def assert_consistent(session: Session, learner_id: str) -> list[dict[str, Any]]:
    """The learner's chain is intact, its account caches head and balance; returns the views."""
    views = stored_views(session, learner_id)
    account = session.get(Account, learner_id)
    assert_chain_intact(views)
    assert_head_matches(account, views)
    total, _ = assert_running_totals(views)
    assert account.balance == total
    return views


def test_sixteen_writers_on_one_learner_append_forty_outcomes_to_one_chain(app, api, provider):
    learner = api.new_learner(password=None)
    bodies = [hours_body(learner, f"hours-{index:02d}") for index in range(40)]

    results = run_in_threads(
        THREADS, lambda index: [post(app, provider, body) for body in bodies[index::THREADS]]
    )
    responses = [response for batch in results for response in batch]

    assert [status for status, _ in responses] == [201] * 40, responses
    with Session(flask_db.engine) as session:
        views = assert_consistent(session, learner)
        outcome_refs = sorted(view["external_ref"] for view in views if view["kind"] == "outcome")
        balance = session.get(Account, learner).balance
    assert outcome_refs == sorted(body["external_ref"] for body in bodies)
    assert len({body["outcome"]["id"] for _, body in responses}) == 40
    assert balance == 250  # 400 h at 16 h per credit: 25.0 credits, in tenths, however ordered


def test_sixteen_copies_of_one_post_land_once(app, api, provider):
    body = hours_body(api.new_learner(password=None), "the-same-ref")

    responses = run_in_threads(THREADS, lambda _: post(app, provider, body))

    statuses = Counter(status for status, _ in responses)
    assert statuses == {201: 1, 200: THREADS - 1}, responses
    assert len({reply["outcome"]["id"] for _, reply in responses}) == 1
    assert [reply["replayed"] for status, reply in responses if status == 201] == [False]
    with Session(flask_db.engine) as session:
        assert outcome_entry_count(session) == 1
        assert_consistent(session, body["learner_id"])


def test_one_reference_raced_for_two_learners_lands_once_and_conflicts_otherwise(
    app, api, provider
):
    """Two learners' locks do not serialise these posts: on PostgreSQL the loser hits the
    ``(provider, external_ref)`` key, retries, and answers like any later request."""
    first, second = (hours_body(api.new_learner(password=None), "raced-ref") for _ in range(2))

    responses = run_in_threads(
        THREADS, lambda index: post(app, provider, (first, second)[index % 2])
    )

    statuses = Counter(status for status, _ in responses)
    winner = next(reply for status, reply in responses if status == 201)
    assert statuses == {201: 1, 200: THREADS // 2 - 1, 409: THREADS // 2}, responses
    assert {reply["outcome"]["id"] for status, reply in responses if status != 409} == {
        winner["outcome"]["id"]
    }
    assert all(
        reply["type"].endswith("idempotency_conflict")
        for status, reply in responses
        if status == 409
    )
    with Session(flask_db.engine) as session:
        assert outcome_entry_count(session) == 1
        for body in (first, second):
            assert_consistent(session, body["learner_id"])


def test_batches_over_overlapping_learners_in_opposite_orders_all_complete(app, api, provider):
    learners = [api.new_learner(password=None) for _ in range(4)]
    forward, backward = learners[:3], learners[:0:-1]  # both touch learners[1] and [2]
    sent: Counter[str] = Counter()

    for _ in range(3):
        batches = [
            {"items": [hours_body(learner) for learner in (forward, backward)[index % 2]]}
            for index in range(8)
        ]
        sent.update(item["learner_id"] for batch in batches for item in batch["items"])
        responses = run_in_threads(
            len(batches), lambda index, b=batches: post(app, provider, b[index])
        )
        assert [status for status, _ in responses] == [201] * len(batches), responses

    with Session(flask_db.engine) as session:
        for learner in learners:
            assert outcome_entry_count(session, learner) == sent[learner]
            assert_consistent(session, learner)
    assert sent[learners[1]] == sent[learners[2]] == 24


def void(app: Flask, headers: dict[str, str], outcome_id: str) -> tuple[int, Any]:
    client = app.test_client()
    response = client.post(
        f"/api/v1/outcomes/{outcome_id}/void", headers=headers, json={"reason": "重复录入"}
    )
    return response.status_code, response.get_json()


def test_posts_and_voids_racing_on_one_learner_store_what_a_replay_decides(app, api, provider):
    """Posting folds new outcomes into a per-process engine state; voids racing with posts
    from other threads must still leave every outcome as a full replay decides it."""
    learner = api.new_learner(password=None)
    posted = run_in_threads(THREADS, lambda _: post(app, provider, hours_body(learner)))
    doomed = [reply["outcome"]["id"] for _, reply in posted[::2]]

    raced = run_in_threads(
        THREADS,
        lambda index: (
            void(app, provider, doomed[index // 2])
            if index % 2 == 0
            else post(app, provider, hours_body(learner))
        ),
    )

    assert [status for status, _ in posted + raced] == [201] * (2 * THREADS), raced
    with Session(flask_db.engine) as session:
        assert_consistent(session, learner)
        states = session.scalars(select(OutcomeState).where(OutcomeState.learner_id == learner))
        stored = {state.outcome_id: (state.status, state.credits) for state in states}
        replayed = evaluate(history_of(session, learner), load_rulesets(session))
        balance = session.get(Account, learner).balance
    assert stored == {d.outcome_id: (d.status.value, d.credits) for d in replayed.values()}
    assert [stored[outcome_id][0] for outcome_id in doomed] == ["voided"] * len(doomed)
    assert balance == sum(credits for _, credits in stored.values()) == 100  # 160 h: 10.0


def test_one_certificate_number_raced_for_many_learners_is_credited_once(app, api, provider):
    """Different learners' row locks do not serialise these posts: the number's own lock
    does, so each sees whether another has been credited it (DESIGN.md § Conversion)."""
    learners = [api.new_learner(password=None) for _ in range(8)]

    def certificate(index: int) -> tuple[int, Any]:
        body = {
            **hours_body(learners[index]),
            "kind": "certificate",
            "certificate_code": "1X-WEB",
            "level": "senior",
            "certificate_no": "WEB-RACED",
        }
        del body["hours"], body["category"]
        return post(app, provider, body)

    responses = run_in_threads(len(learners), certificate)

    assert [status for status, _ in responses] == [201] * len(learners), responses
    reasons = Counter(reply["outcome"]["reason"] for _, reply in responses)
    assert reasons == {"credited": 1, "certificate_no_reused": len(learners) - 1}, responses


def test_one_national_id_raced_by_sixteen_openings_opens_one_account(app, api):
    """The openings' own check cannot see each other's uncommitted rows: the key of
    national_id_index refuses all but one, and each loser gets the same 409 as a later try."""
    from creditbank.lookup_models import NationalIdIndex
    from tests.api.helpers import national_id

    body = {"name": "张三", "national_id": national_id(serial="777")}
    workstation = api.workstation

    def open_one(_: int) -> tuple[int, Any]:
        response = app.test_client().post("/api/v1/learners", headers=workstation, json=body)
        return response.status_code, response.get_json()

    responses = run_in_threads(THREADS, open_one)

    assert Counter(status for status, _ in responses) == {201: 1, 409: THREADS - 1}, responses
    assert {reply["detail"] for status, reply in responses if status == 409} == {
        "An account with this national ID already exists"
    }
    [opened] = [reply["learner_id"] for status, reply in responses if status == 201]
    with Session(flask_db.engine) as session:
        assert session.scalars(select(NationalIdIndex.learner_id)).all() == [opened]
        assert session.scalar(select(func.count()).select_from(Account)) == 1
