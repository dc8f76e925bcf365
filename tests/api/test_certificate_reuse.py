"""A certificate number already credited on another learner's account is accepted but goes to
review, reason ``certificate_no_reused``, and is never credited automatically (DESIGN.md
§ Conversion); on the same account it is a ``duplicate``. The fact is recorded in the outcome's
journal entry, so the audit's replay decides the same."""

from __future__ import annotations

import os

import pytest

from tests.api.helpers import assert_problem


@pytest.fixture
def bank(api):
    """A ruleset, a provider and three learners, in learner_id order."""
    api.publish_ruleset()
    _, provider = api.new_provider()
    return provider, sorted(api.new_learner() for _ in range(3))


def outcome(learner_id: str, kind: str, **fields) -> dict:
    return {
        "learner_id": learner_id,
        "external_ref": f"ref-{os.urandom(6).hex()}",
        "kind": kind,
        "achieved_on": "2026-01-15",
        **fields,
    }


def certificate(learner_id: str, number: str, code: str = "1X-WEB", **fields) -> dict:
    return outcome(
        learner_id,
        "certificate",
        certificate_code=code,
        level="senior",
        certificate_no=number,
        **fields,
    )


def skill(learner_id: str, number: str, occupation: str = "6-20-01-01", level: int = 3) -> dict:
    return outcome(
        learner_id, "skill_level", occupation_code=occupation, level=level, certificate_no=number
    )


def post(api, provider, body: dict) -> dict:
    response = api.post("/api/v1/outcomes", provider, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["outcome"]


def said(outcome: dict) -> tuple[str, str, str]:
    return outcome["status"], outcome["reason"], outcome["credits"]


def test_a_number_credited_for_one_learner_goes_to_review_for_another(api, bank):
    provider, (first, second, _) = bank
    credited = post(api, provider, certificate(first, "WEB-2026-001"))

    reused = post(api, provider, certificate(second, "WEB-2026-001"))
    again = post(api, provider, certificate(first, "WEB-2026-001"))

    assert said(credited) == ("credited", "credited", "6.0")
    assert said(reused) == ("pending_review", "certificate_no_reused", "0.0")
    assert reused["certificate_no_reused"] is True
    assert said(again) == ("not_credited", "duplicate", "0.0")  # the same account: duplicate
    pending = api.get("/api/v1/reviews?status=pending", api.workstation).get_json()["items"]
    assert [item["id"] for item in pending] == [reused["id"]]


def test_skill_levels_too_and_the_number_is_per_kind_and_code(api, bank):
    provider, (first, second, _) = bank
    post(api, provider, skill(first, "S-1"))
    post(api, provider, skill(first, "N-1", occupation="4-10-01-01"))

    reused = post(api, provider, skill(second, "S-1"))
    other_kind = post(api, provider, certificate(second, "S-1"))
    other_code = post(api, provider, skill(second, "N-1", occupation="6-20-01-01", level=5))

    assert said(reused) == ("pending_review", "certificate_no_reused", "0.0")
    assert said(other_kind) == ("credited", "credited", "6.0")
    assert said(other_code) == ("credited", "credited", "2.0")


def test_a_batch_with_one_number_for_two_learners_credits_the_first_in_journal_order(api, bank):
    provider, (first, second, third) = bank
    # In the order the batch gives them; the journal takes them in learner_id order.
    items = [certificate(learner, "WEB-7") for learner in (third, first, second)]

    response = api.post("/api/v1/outcomes", provider, json={"items": items})

    assert response.status_code == 201, response.get_json()
    outcomes = {
        item["outcome"]["learner_id"]: item["outcome"] for item in response.get_json()["items"]
    }
    assert said(outcomes[first]) == ("credited", "credited", "6.0")
    for learner in (second, third):
        assert said(outcomes[learner]) == ("pending_review", "certificate_no_reused", "0.0")


def test_a_number_no_longer_credited_elsewhere_is_credited(api, bank):
    provider, (first, second, third) = bank
    credited = post(api, provider, certificate(first, "WEB-9"))
    expired = post(api, provider, certificate(second, "WEB-8", valid_until="2020-12-31"))

    void = api.post(f"/api/v1/outcomes/{credited['id']}/void", provider, json={"reason": "录错人"})
    after_void = post(api, provider, certificate(second, "WEB-9"))
    never_credited = post(api, provider, certificate(third, "WEB-8"))

    assert void.status_code == 201, void.get_json()
    assert said(expired) == ("not_credited", "expired", "0.0")
    assert said(after_void) == ("credited", "credited", "6.0")
    assert said(never_credited) == ("credited", "credited", "6.0")
    assert "certificate_no_reused" not in after_void


def test_a_review_decides_it_and_the_audit_replays_every_decision_clean(api, bank):
    provider, (first, second, third) = bank
    post(api, provider, certificate(first, "WEB-5"))
    decided = post(api, provider, certificate(second, "WEB-5"))
    waiting = post(api, provider, certificate(third, "WEB-5"))

    review = api.post(
        f"/api/v1/reviews/{decided['id']}",
        api.workstation,
        json={
            "credits": "3.0",
            "category": "certificate",
            "note": "两证编号相同，已核实为发证机构重号",
        },
    )
    twice = api.post(
        f"/api/v1/reviews/{decided['id']}",
        api.workstation,
        json={"credits": "3.0", "category": "certificate", "note": "again"},
    )
    audit = api.post("/api/v1/audits", api.workstation, json={})

    assert review.status_code == 201, review.get_json()
    assert_problem(twice, 409, "not_pending_review")
    now = api.get(f"/api/v1/outcomes/{decided['id']}", api.workstation).get_json()
    assert said(now) == ("credited", "reviewed", "3.0")
    still = api.get(f"/api/v1/outcomes/{waiting['id']}", api.workstation).get_json()
    assert said(still) == ("pending_review", "certificate_no_reused", "0.0")
    assert audit.status_code == 201, audit.get_json()
    assert (audit.get_json()["status"], audit.get_json()["findings_total"]) == ("passed", 0)
