"""The worked example of PROGRAMMES.md as the documents' tests need it (the certificate, the
national conversion record, the transcript): 张三 with the S1 outcomes posted by 云阳职教中心,
enrolled in CQ1024's programme 510203 (seeded in process: tests/support/programmes.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.api.test_transcript import run_tool
from tests.support.programmes import ZHANG_SAN_ID, s1_outcomes, seed_programme, worked_example_items

PROVIDER_NAME = "云阳职教中心"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def this_month() -> str:
    """``M`` of the scenarios: the Shanghai month the test runs in, ``YYYYMM``."""
    return datetime.now(UTC).astimezone(SHANGHAI).strftime("%Y%m")


def provider_named(api: Any, code: str, name: str) -> dict[str, str]:
    """A provider of that name and the headers of a client of it."""
    created = api.post("/api/v1/providers", api.workstation, json={"code": code, "name": name})
    assert created.status_code == 201, created.get_json()
    client = api.post(f"/api/v1/providers/{created.get_json()['id']}/clients", api.workstation)
    assert client.status_code == 201, client.get_json()
    return api.token_for(client.get_json()["client_id"], client.get_json()["client_secret"])


def post_s1(api: Any, provider: dict[str, str], learner_id: str, tag: str = "") -> dict[str, str]:
    outcomes = {}
    for name, body in s1_outcomes(learner_id, tag).items():
        response = api.post("/api/v1/outcomes", provider, json=body)
        assert response.status_code == 201, response.get_json()
        outcomes[name] = response.get_json()["outcome"]["id"]
    return outcomes


def document_bank(api: Any) -> dict[str, Any]:
    """The bank of the scenarios, before 张三 files anything."""
    document = json.loads(Path("config/rulesets/yunyang-2026.json").read_text(encoding="utf-8"))
    assert api.post("/api/v1/rulesets", api.workstation, json=document).status_code == 201
    provider = provider_named(api, "YYZJ", PROVIDER_NAME)
    learner_id = api.new_learner(name="张三", national_id=ZHANG_SAN_ID)
    seeded = seed_programme(api, learner_id)
    return {
        "learner": learner_id,
        "me": api.learner_headers(learner_id),
        "college": seeded.college,
        "college_id": seeded.college_id,
        "provider": provider,
        "o": post_s1(api, provider, learner_id),
        "pg": seeded.programme_id,
    }


def decide(api: Any, college: dict[str, str], app_id: str, item_id: str, **body: Any) -> Any:
    path = f"/api/v1/applications/{app_id}/items/{item_id}/decision"
    return api.post(path, college, json=body)


def approve_the_example(api: Any, bank: dict[str, Any]) -> tuple[str, list[str]]:
    """Scenario 1: the five items filed; WEB101, JS102, ICT100, PRAC201 approved, UI103
    rejected. The application id and its item ids."""
    body = {
        "programme_id": bank["pg"],
        "external_ref": "ZS-1",
        "items": worked_example_items(bank["o"]),
    }
    filed = api.post("/api/v1/applications", bank["me"], json=body)
    assert filed.status_code == 201, filed.get_json()
    application = filed.get_json()
    ti = [item["id"] for item in application["items"]]
    for i, decision in enumerate(("approve", "approve", "reject", "approve", "approve")):
        extra = {"reason": "超过单一证书认定上限"} if decision == "reject" else {}
        answer = decide(api, bank["college"], application["id"], ti[i], decision=decision, **extra)
        assert answer.status_code == 201, answer.get_json()
    return application["id"], ti


def void_and_revoke_ict100(api: Any, bank: dict[str, Any], app_id: str, ti: list[str]) -> None:
    """Scenario 5: the provider voids o_NCRE; the college revokes ICT100 (seq 17)."""
    voided = api.post(
        f"/api/v1/outcomes/{bank['o']['NCRE']}/void", bank["provider"], json={"reason": "撤销"}
    )
    assert voided.status_code == 201, voided.get_json()
    revoke = f"/api/v1/applications/{app_id}/items/{ti[3]}/revoke"
    revoked = api.post(revoke, bank["college"], json={"reason": "来源证书已被撤销"})
    assert revoked.status_code == 201, revoked.get_json()


def ledger(api: Any, learner_id: str) -> dict[int, dict[str, Any]]:
    path = f"/api/v1/learners/{learner_id}/ledger?limit=100"
    response = api.get(path, api.workstation)
    assert response.status_code == 200, response.get_json()
    return {entry["seq"]: entry for entry in response.get_json()["items"]}


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The text pdftotext reads from ``pdf`` (the transcripts' poppler runner: skipped, and so
    failed under CI=true, when it is not installed)."""
    return run_tool("pdftotext", pdf, tmp_path, "-enc", "UTF-8", "transcript.pdf", "-")
