"""Filing and deciding: the worked example of PROGRAMMES.md (scenario 1) and its neighbours,
in process, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.api.helpers import assert_problem
from tests.support.programmes import (
    ZHANG_SAN_ID,
    s1_outcomes,
    seed_programme,
    worked_example_items,
)


@pytest.fixture
def bank(api: Any) -> dict[str, Any]:
    from pathlib import Path

    document = json.loads(Path("config/rulesets/yunyang-2026.json").read_text())
    assert api.post("/api/v1/rulesets", api.workstation, json=document).status_code == 201
    _, provider = api.new_provider("YYZJ")
    learner_id = api.new_learner(national_id=ZHANG_SAN_ID)
    seeded = seed_programme(api, learner_id)
    outcomes = {}
    for name, body in s1_outcomes(learner_id).items():
        response = api.post("/api/v1/outcomes", provider, json=body)
        assert response.status_code == 201, response.get_json()
        outcomes[name] = response.get_json()["outcome"]["id"]
    return {
        "learner": learner_id,
        "me": api.learner_headers(learner_id),
        "college": seeded.college,
        "provider": provider,
        "o": outcomes,
        "pg": seeded.programme_id,
    }


def _decide(api: Any, bank: dict[str, Any], app_id: str, item_id: str, **body: Any):
    return api.post(
        f"/api/v1/applications/{app_id}/items/{item_id}/decision", bank["college"], json=body
    )


def test_the_worked_example_partial_approval(api, bank):
    balance = api.get(f"/api/v1/learners/{bank['learner']}/balance", bank["me"]).get_json()
    assert balance["total"] == "14.5"
    body = {
        "programme_id": bank["pg"],
        "external_ref": "ZS-2026-01",
        "note": "申请软件技术专业课程免修",
        "items": worked_example_items(bank["o"]),
    }
    filed = api.post("/api/v1/applications", bank["me"], json=body)
    assert filed.status_code == 201, filed.get_json()
    application = filed.get_json()
    assert application["requested_credits"] == "14.0"
    assert application["items"][0]["sources"][0]["title"] == "Web前端开发职业技能等级证书（高级）"
    app_id = application["id"]
    ti = [item["id"] for item in application["items"]]

    first = _decide(api, bank, app_id, ti[0], decision="approve")
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["transfer"]["amount"] == "6.0"
    second = _decide(api, bank, app_id, ti[1], decision="approve").get_json()
    assert second["transfer"]["amount"] == "0.0"
    assert second["transfer"]["sources"][0]["held_by"] == ti[0]
    capped = _decide(api, bank, app_id, ti[2], decision="approve")
    problem = assert_problem(capped, 409, "source_cap_exceeded")
    assert problem["cap"]["recognised"] == "7.0"
    rejected = _decide(api, bank, app_id, ti[2], decision="reject", reason="超过单一证书认定上限")
    assert rejected.status_code == 201, rejected.get_json()
    assert (
        _decide(api, bank, app_id, ti[3], decision="approve").get_json()["transfer"]["amount"]
        == "2.0"
    )
    last = _decide(api, bank, app_id, ti[4], decision="approve").get_json()
    assert last["transfer"]["amount"] == "3.5"
    assert last["application"]["status"] == "closed"
    year = datetime.now(UTC).astimezone().year
    assert last["application"]["certificate_no"] == f"CQ1024-{year}-00001"
    now = api.get(f"/api/v1/applications/{app_id}", bank["college"]).get_json()
    assert now["approved_credits"] == "12.0"

    again = _decide(api, bank, app_id, ti[0], decision="approve")
    assert again.status_code == 200 and again.get_json()["transfer"]["seq"] == 11
    assert_problem(
        _decide(api, bank, app_id, ti[0], decision="approve", grade="良好"), 409, "already_decided"
    )
    ledger = api.get(f"/api/v1/learners/{bank['learner']}/ledger?limit=100", bank["me"]).get_json()
    assert [e["kind"] for e in ledger["items"]][10:] == ["transfer"] * 4


def _approve_the_example(api: Any, bank: dict[str, Any]) -> tuple[str, list[str]]:
    body = {
        "programme_id": bank["pg"],
        "external_ref": "ZS-1",
        "items": worked_example_items(bank["o"]),
    }
    application = api.post("/api/v1/applications", bank["me"], json=body).get_json()
    ti = [item["id"] for item in application["items"]]
    for i, decision in enumerate(("approve", "approve", "reject", "approve", "approve")):
        extra = {"reason": "超过上限"} if decision == "reject" else {}
        answer = _decide(api, bank, application["id"], ti[i], decision=decision, **extra)
        assert answer.status_code == 201, answer.get_json()
    return application["id"], ti


def test_a_void_after_approval_flags_the_item_and_a_revocation_returns_the_credits(api, bank):
    app_id, ti = _approve_the_example(api, bank)
    balance_path = f"/api/v1/learners/{bank['learner']}/balance"
    balance = api.get(balance_path, bank["me"]).get_json()
    assert (balance["converted"], balance["available"]) == ("11.5", "3.0")
    assert balance["available_by_category"] == {
        "certificate": "0.0",
        "course": "3.0",
        "practice": "0.0",
    }

    voided = api.post(
        f"/api/v1/outcomes/{bank['o']['NCRE']}/void", bank["provider"], json={"reason": "撤销"}
    )
    assert voided.status_code == 201, voided.get_json()
    balance = api.get(balance_path, bank["me"]).get_json()
    assert (balance["total"], balance["converted"], balance["available"]) == ("12.5", "11.5", "1.0")
    assert balance["available_by_category"]["certificate"] == "-2.0"
    items = api.get(f"/api/v1/applications/{app_id}", bank["college"]).get_json()["items"]
    assert [item["flag"] for item in items] == [None, None, None, "source_changed", None]
    flagged = api.get("/api/v1/applications?flagged=true", bank["college"]).get_json()
    assert [a["id"] for a in flagged["items"]] == [app_id]

    not_flagged = api.post(f"/api/v1/applications/{app_id}/items/{ti[1]}/confirm", bank["college"])
    assert_problem(not_flagged, 409, "not_flagged")
    revoke = f"/api/v1/applications/{app_id}/items/{ti[3]}/revoke"
    revoked = api.post(revoke, bank["college"], json={"reason": "来源证书已被撤销"})
    assert revoked.status_code == 201, revoked.get_json()
    answer = revoked.get_json()
    assert (answer["reversal"]["seq"], answer["reversal"]["amount"]) == (17, "2.0")
    assert answer["application"]["certificate_revision"] == 1
    balance = api.get(balance_path, bank["me"]).get_json()
    assert (balance["converted"], balance["available"]) == ("9.5", "3.0")
    assert balance["available_by_category"]["certificate"] == "0.0"
    again = api.post(revoke, bank["college"], json={"reason": "again"})
    assert_problem(again, 409, "already_revoked")


def test_the_eligibility_preview_before_and_after_the_example(api, bank):
    path = f"/api/v1/programmes/{bank['pg']}/eligibility"
    before = api.get(path, bank["me"])
    assert before.status_code == 200, before.get_json()
    preview = before.get_json()
    assert (preview["enrolled"], preview["remaining"], preview["remaining_online"]) == (
        True,
        "60.0",
        "30.0",
    )
    assert preview["caps"] == {
        "total_credits": "120.0",
        "share_cap": "60.0",
        "online_cap": "30.0",
        "per_source": "8.0",
    }
    by_code = {course["course_code"]: course for course in preview["courses"]}
    assert [o["outcome_ids"] for o in by_code["JS102"]["options"]] == [
        [bank["o"]["CERT"]],
        [bank["o"]["MOOC"]],
    ]
    assert by_code["JS102"]["options"][1]["grade"] == "85"
    assert by_code["PRAC201"]["options"][0]["bank_credits"] == "3.5"
    assert by_code["MATH101"]["status"] == "no_equivalence"

    _approve_the_example(api, bank)
    after = api.get(path, bank["me"]).get_json()
    statuses = {course["course_code"]: course["status"] for course in after["courses"]}
    assert statuses == {
        "WEB101": "recognised",
        "JS102": "recognised",
        "UI103": "not_eligible",
        "ICT100": "recognised",
        "PRAC201": "recognised",
        "MATH101": "no_equivalence",
    }
    assert (after["recognised"], after["remaining"]) == ("12.0", "48.0")


def test_decisions_are_counted_at_commit_and_refusals_are_not(api, bank):
    from tests.api.test_metrics import scrape, value

    name = "creditbank_transfer_decisions_total"
    before = scrape(api)
    app_id, ti = _approve_the_example(api, bank)  # 4 approvals, 1 rejection
    refused = _decide(api, bank, app_id, ti[0], decision="approve", grade="良好")
    assert refused.status_code == 409
    revoke = f"/api/v1/applications/{app_id}/items/{ti[3]}/revoke"
    assert api.post(revoke, bank["college"], json={"reason": "撤销"}).status_code == 201
    after = scrape(api)

    counted = {
        d: value(after, name, decision=d) - value(before, name, decision=d)
        for d in ("approve", "reject", "revoke")
    }
    assert counted == {"approve": 4, "reject": 1, "revoke": 1}
