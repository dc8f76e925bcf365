"""Reviews: the workstation decides outcomes no rule covers (API.md § Reviews)."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem, ledger_of, walk_pages

REVIEWS = "/api/v1/reviews"
DECISION = {"credits": "2.0", "category": "general", "note": "社区服务，经审核认定"}


@pytest.fixture
def pending(api):
    """A ruleset, a learner and one informal outcome: (api, learner_id, outcome_id)."""
    api.publish_ruleset(caps={"per_year": "3.0"})
    learner = api.new_learner()
    _, provider = api.new_provider()
    body = {
        "learner_id": learner,
        "external_ref": "YYPX-2026-0415-17",
        "kind": "informal",
        "description": "社区志愿服务 40 小时",
        "achieved_on": "2026-04-15",
    }
    response = api.post("/api/v1/outcomes", provider, json=body)
    assert response.status_code == 201, response.get_json()
    return api, learner, response.get_json()["outcome"]


def decide(api, outcome_id, headers=None, **changes):
    return api.post(f"{REVIEWS}/{outcome_id}", headers or api.workstation, json=DECISION | changes)


def test_informal_outcome_is_pending_review(pending):
    _, _, outcome = pending

    assert outcome["status"] == "pending_review"
    assert outcome["reason"] == "pending_review"
    assert outcome["credits"] == "0.0"


def test_pending_outcome_is_listed_until_decided(pending):
    api, _, outcome = pending

    before = walk_pages(api, f"{REVIEWS}?status=pending", api.workstation)
    decide(api, outcome["id"])
    after = walk_pages(api, f"{REVIEWS}?status=pending", api.auditor)
    decided = walk_pages(api, f"{REVIEWS}?status=decided", api.workstation)

    assert [item["id"] for item in before] == [outcome["id"]]
    assert after == []
    assert [item["id"] for item in decided] == [outcome["id"]]


def test_review_grants_credits_with_reason_reviewed_and_moves_the_balance(pending):
    api, learner, outcome = pending

    response = decide(api, outcome["id"])

    assert response.status_code == 201
    body = response.get_json()
    assert body["review"]["kind"] == "review"
    assert body["review"]["outcome_id"] == outcome["id"]
    assert [(c["outcome_id"], c["delta"], c["category"], c["reason"]) for c in body["credits"]] == [
        (outcome["id"], "2.0", "general", "reviewed")
    ]
    balance = api.get(f"/api/v1/learners/{learner}/balance", api.workstation).get_json()
    assert balance["total"] == "2.0"
    assert balance["by_category"] == {"general": "2.0"}
    stored = api.get(f"/api/v1/outcomes/{outcome['id']}", api.workstation).get_json()
    assert (stored["status"], stored["reason"], stored["credits"]) == (
        "credited",
        "reviewed",
        "2.0",
    )
    kinds = [entry["kind"] for entry in ledger_of(api, learner, api.workstation)]
    assert kinds == ["outcome", "review", "credit"]


def test_review_of_zero_credits_decides_without_a_credit_entry(pending):
    api, _, outcome = pending

    response = decide(api, outcome["id"], credits="0")

    assert response.status_code == 201
    assert response.get_json()["credits"] == []
    stored = api.get(f"/api/v1/outcomes/{outcome['id']}", api.workstation).get_json()
    assert (stored["status"], stored["reason"]) == ("not_credited", "reviewed")
    assert_problem(decide(api, outcome["id"]), 409, "not_pending_review")


def test_deciding_twice_is_409_not_pending_review(pending):
    api, learner, outcome = pending
    assert decide(api, outcome["id"]).status_code == 201
    entries = ledger_of(api, learner, api.workstation)

    response = decide(api, outcome["id"], credits="1.0")

    assert_problem(response, 409, "not_pending_review")
    assert ledger_of(api, learner, api.workstation) == entries


def test_a_credited_outcome_cannot_be_reviewed(api):
    api.publish_ruleset()
    learner = api.new_learner()
    _, provider = api.new_provider()
    outcome = api.post_outcome(provider, learner, hours="16").get_json()["outcome"]
    assert outcome["status"] == "credited"

    assert_problem(decide(api, outcome["id"]), 409, "not_pending_review")


def test_a_voided_outcome_cannot_be_reviewed(pending):
    api, _, outcome = pending
    voided = api.post(
        f"/api/v1/outcomes/{outcome['id']}/void", api.workstation, json={"reason": "重复"}
    )
    assert voided.status_code == 201

    assert_problem(decide(api, outcome["id"]), 409, "not_pending_review")


def test_review_is_capped_by_the_yearly_cap(pending):
    api, learner, outcome = pending

    response = decide(api, outcome["id"], credits="5.0")

    assert response.status_code == 201
    assert [(c["delta"], c["reason"]) for c in response.get_json()["credits"]] == [
        ("3.0", "capped")
    ]
    stored = api.get(f"/api/v1/outcomes/{outcome['id']}", api.workstation).get_json()
    assert (stored["status"], stored["reason"], stored["credits"]) == ("credited", "capped", "3.0")
    balance = api.get(f"/api/v1/learners/{learner}/balance", api.workstation).get_json()
    assert balance["total"] == "3.0"


def test_only_the_workstation_decides(pending):
    api, learner, outcome = pending
    _, provider = api.new_provider()

    for headers in (api.auditor, provider, api.learner_headers(learner)):
        assert_problem(decide(api, outcome["id"], headers), 403, "forbidden")
    assert [i["id"] for i in walk_pages(api, REVIEWS, api.workstation)] == [outcome["id"]]


def test_only_staff_list_reviews(pending):
    api, learner, _ = pending
    _, provider = api.new_provider()

    for headers in (provider, api.learner_headers(learner)):
        assert_problem(api.get(REVIEWS, headers), 403, "forbidden")


def test_review_of_an_unknown_outcome_is_404(pending):
    api, _, _ = pending

    assert_problem(decide(api, "o_nobody"), 404, "not_found")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"credits": "2.25"}, "credits"),
        ({"credits": "-1"}, "credits"),
        ({"category": ""}, "category"),
        ({"category": "general\n"}, "category"),
    ],
    ids=["over-precise", "negative", "empty-category", "category-with-a-trailing-newline"],
)
def test_invalid_decision_is_422_and_decides_nothing(pending, changes, field):
    api, _, outcome = pending

    assert_problem(decide(api, outcome["id"], **changes), 422, "validation_error", field)
    assert [i["id"] for i in walk_pages(api, REVIEWS, api.workstation)] == [outcome["id"]]
