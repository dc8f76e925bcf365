"""The decision benchmark's setup (bench/decisions.py) on both databases: items approved in bulk
(bench/_approvals.py) are approved as a college's decisions approve them — the same entries,
items, applications and balances, a bank that passes its audit — and the decisions the load
generator takes are pending items of different learners in turn."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest

from bench._approvals import approve_items
from bench._college import (
    APPROVE,
    course_outcome,
    decision_path,
    enrol,
    file_applications,
    open_college,
    post_outcomes,
    source_items,
    uncapped_ruleset,
)
from bench._harness import Api, add_learners
from bench.decisions import PROGRAMMES, learners_with_transfers, pending_decisions
from creditbank.services.audits import run_audit

pytestmark = pytest.mark.usefixtures("cheap_secret_hashing")

COURSES = 6
_OWN = {"learner_id", "application_id", "item_id", "hash", "prev_hash", "recorded_at"}


def test_bulk_approvals_write_what_a_college_s_decisions_write(app):
    api = Api(app)
    uncapped_ruleset(api)
    provider = api.new_provider("BENCH")
    college = open_college(api, 1)
    decided, bulk = add_learners(2)
    filed = {}
    for learner in (decided, bulk):
        ids = post_outcomes(api, provider, [course_outcome(learner, 0, c) for c in range(COURSES)])
        enrol(api, college.programmes[0], learner)
        sources = source_items(ids, learner, 0, range(COURSES))
        filed[learner] = file_applications(api, learner, college.programmes[0], sources)

    for application_id, item_id in filed[decided]:
        path = decision_path(application_id, item_id)
        api.expect(201, api.post(path, college.headers, APPROVE))
    approved = approve_items(college.client_id, bulk, [filed[bulk][0][0]])

    assert approved == COURSES
    assert _transfers(api, bulk) == _transfers(api, decided)
    assert [e["item_id"] for e in _transfers(api, bulk, own=True)] == [i for _, i in filed[bulk]]
    assert _application(api, bulk, filed) == _application(api, decided, filed)
    assert _balance(api, bulk) == _balance(api, decided)
    assert _balance(api, bulk)["converted"] == f"{COURSES}.0"
    # The decision's hash is the service's: the same decision again is answered, not refused.
    again = api.post(decision_path(*filed[bulk][0]), college.headers, APPROVE)
    assert again.status_code == 200, again.text


def test_a_veteran_given_transfers_in_bulk_passes_the_audit_and_can_be_decided_on(app):
    api = Api(app)
    uncapped_ruleset(api)
    college = open_college(api, PROGRAMMES)

    veteran, newcomer, pending = learners_with_transfers(
        api, api.new_provider("BENCH"), college, courses=4, timed=2
    )
    for learner in (veteran, newcomer):  # the next decision reads the ledger the bulk wrote
        api.expect(201, api.post(decision_path(*pending[learner][0]), college.headers, APPROVE))
    audit = run_audit()

    assert (audit.status, audit.findings_total) == ("passed", 0)
    assert (_balance(api, veteran)["converted"], _balance(api, newcomer)["converted"]) == (
        "21.0",
        "1.0",
    )
    assert len(_transfers(api, veteran)) == 21


def test_the_load_decides_pending_items_of_different_learners_in_turn(app):
    api = Api(app)
    uncapped_ruleset(api)
    college = open_college(api, PROGRAMMES)

    paths = pending_decisions(api, api.new_provider("BENCH"), college, learners=4, items=3, slots=2)
    answers = [api.post(path, college.headers, APPROVE) for path in paths]

    assert [answer.status_code for answer in answers] == [201] * 11  # the second files 2 items
    learners = [answer.get_json()["transfer"]["learner_id"] for answer in answers]
    assert len(set(learners)) == 4
    assert all(one != next_one for one, next_one in pairwise(learners))
    statuses = [answer.get_json()["application"]["status"] for answer in answers]
    closing = [position for position, status in enumerate(statuses) if status == "closed"]
    assert closing == [3, 4, 9, 10]  # out of step: the second slot's first learner is shorter


def _transfers(api: Api, learner_id: str, *, own: bool = False) -> list[dict[str, Any]]:
    """The learner's transfer entries, without what is the learner's own unless ``own``."""
    path = f"/api/v1/learners/{learner_id}/ledger?limit=500"
    entries = api.expect(200, api.client.get(path, headers=api.workstation))["items"]
    transfers = [entry for entry in entries if entry["kind"] == "transfer"]
    if own:
        return transfers
    return [
        {
            **{name: value for name, value in entry.items() if name not in _OWN},
            "sources": [{**line, "outcome_id": None} for line in entry["sources"]],
        }
        for entry in transfers
    ]


def _application(api: Api, learner_id: str, filed: dict[str, Any]) -> dict[str, Any]:
    path = f"/api/v1/applications/{filed[learner_id][0][0]}"
    body = api.expect(200, api.client.get(path, headers=api.workstation))
    items = [
        (i["course_code"], i["status"], i["grade"], i["transfer_seq"], i["decided_by"])
        for i in body["items"]
    ]
    kept = ("status", "approved_credits", "certificate_revision")
    return {
        **{name: body[name] for name in kept},
        "numbered": bool(body["certificate_no"]),
        "items": items,
    }


def _balance(api: Api, learner_id: str) -> dict[str, Any]:
    path = f"/api/v1/learners/{learner_id}/balance"
    body = api.expect(200, api.client.get(path, headers=api.workstation))
    return {name: value for name, value in body.items() if name not in ("learner_id", "as_of")}
