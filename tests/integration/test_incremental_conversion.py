"""Posting folds only new outcomes into a remembered engine state; the result must be exactly
what a full replay of the journal gives (DESIGN.md invariant 4)."""

from __future__ import annotations

import dataclasses
import os

from sqlalchemy import select

from creditbank.conversion import evaluate
from creditbank.extensions import db
from creditbank.models import OutcomeState
from creditbank.services.evaluator_state import EVALUATOR_STATES
from creditbank.services.history import history_of, load_rulesets


def _post_mix(api, provider, learner, count):
    for index in range(count):
        kind = index % 3
        if kind == 0:
            fields = {"kind": "training_hours", "hours": "7.5", "category": "theory"}
        elif kind == 1:
            level = ("junior", "intermediate", "senior")[index % 3]
            fields = {
                "kind": "certificate",
                "certificate_code": "1X-WEB",
                "level": level,
                "certificate_no": f"N{index}",
            }
        else:
            fields = {"kind": "competition", "scope": "national", "rank": 1, "event": f"赛{index}"}
        body = {
            "learner_id": learner,
            "external_ref": f"mix-{index}-{os.urandom(6).hex()}",
            "achieved_on": "2026-01-15",
            **fields,
        }
        assert api.post("/api/v1/outcomes", provider, json=body).status_code == 201


def _stored_decisions(learner):
    states = db.session.scalars(select(OutcomeState).where(OutcomeState.learner_id == learner))
    return {s.outcome_id: (s.status, s.reason, s.credits, s.category) for s in states}


def _replayed_decisions(learner):
    history = history_of(db.session, learner)
    decisions = evaluate(history, load_rulesets(db.session))
    return {
        d.outcome_id: (d.status.value, d.reason.value, d.credits, d.category)
        for d in decisions.values()
    }


def test_incremental_posts_store_what_a_full_replay_decides(api):
    api.publish_ruleset(caps={"per_year": "12.0"})
    learner = api.new_learner()
    _, provider = api.new_provider()

    _post_mix(api, provider, learner, 24)

    assert learner in EVALUATOR_STATES  # the incremental path was taken
    assert _stored_decisions(learner) == _replayed_decisions(learner)


def test_a_forgotten_or_stale_snapshot_falls_back_to_a_full_replay(api):
    api.publish_ruleset()
    learner = api.new_learner()
    _, provider = api.new_provider()
    _post_mix(api, provider, learner, 6)
    snapshot = EVALUATOR_STATES.peek(learner)
    assert snapshot is not None
    # A snapshot whose anchor hash no longer matches the journal must not be trusted.
    stale = dataclasses.replace(snapshot, hash="0" * 64, evaluator=snapshot.evaluator.copy())
    EVALUATOR_STATES.put(learner, stale)

    _post_mix(api, provider, learner, 6)
    EVALUATOR_STATES.forget(learner)
    _post_mix(api, provider, learner, 3)

    assert _stored_decisions(learner) == _replayed_decisions(learner)


def test_a_snapshot_behind_the_chain_catches_up_with_what_another_worker_posted(api):
    """Another worker posted since this process remembered the learner: the post reads only
    the entries after the remembered head and still stores what a full replay decides."""
    api.publish_ruleset(caps={"per_year": "12.0"})
    learner = api.new_learner()
    _, provider = api.new_provider()
    _post_mix(api, provider, learner, 6)
    older = EVALUATOR_STATES.peek(learner)
    assert older is not None
    _post_mix(api, provider, learner, 9)  # as if posted through the other worker
    EVALUATOR_STATES.put(learner, older)

    _post_mix(api, provider, learner, 6)

    brought = EVALUATOR_STATES.peek(learner)
    assert brought is not None and brought.seq > older.seq  # brought forward, not dropped
    assert _stored_decisions(learner) == _replayed_decisions(learner)


def test_a_void_since_the_remembered_head_means_a_full_replay(api):
    api.publish_ruleset(caps={"per_year": "12.0"})
    learner = api.new_learner()
    _, provider = api.new_provider()
    _post_mix(api, provider, learner, 6)
    older = EVALUATOR_STATES.peek(learner)
    assert older is not None
    first = sorted(_stored_decisions(learner))[0]
    voided = api.post(f"/api/v1/outcomes/{first}/void", provider, json={"reason": "posted twice"})
    assert voided.status_code == 201, voided.text
    EVALUATOR_STATES.put(learner, older)  # remembered from before the void

    _post_mix(api, provider, learner, 6)

    assert _stored_decisions(learner) == _replayed_decisions(learner)
    assert _stored_decisions(learner)[first][0] == "voided"
