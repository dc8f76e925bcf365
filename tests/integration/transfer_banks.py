"""The college half's worked example (PROGRAMMES.md) as a bank to audit, built the real way:
the Yunyang ruleset, provider YYZJ, the S1 outcomes posted, the application filed and decided,
voids and revocations through the API. College, programme, catalogue C1 and the enrolment are
rows put in directly (their services are not what an audit tests)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tests.support.programmes import C1, ZHANG_SAN_ID, s1_outcomes, worked_example_items

ROOT = Path(__file__).resolve().parents[2]
DECISIONS = ("approve", "approve", "reject", "approve", "approve")  # scenario 1, ti_1..ti_5


@dataclass
class College:
    programme_id: str
    headers: dict[str, str]


@dataclass
class Learner:
    learner_id: str
    headers: dict[str, str]
    outcomes: dict[str, str] = field(default_factory=dict)  # short name -> outcome id
    application_id: str = ""
    items: list[str] = field(default_factory=list)


def open_college(api: Any) -> College:
    """College CQ1024, programme 510203 with catalogue C1, and a college client."""
    from creditbank.college_models import CatalogueVersion, Programme
    from creditbank.college_models import College as CollegeRow
    from creditbank.domain.canonical import canonical_bytes
    from creditbank.domain.ids import new_id
    from creditbank.domain.roles import Role
    from creditbank.extensions import db
    from creditbank.services.clients import create_client
    from creditbank.transfer import validate_catalogue_document

    now = datetime.now(UTC)
    college_id, programme_id = new_id("col"), new_id("pg")
    name = "渝东北职业技术学院"
    db.session.add(CollegeRow(id=college_id, school_code="CQ1024", name=name, created_at=now))
    db.session.flush()
    db.session.add(
        Programme(
            id=programme_id,
            college_id=college_id,
            code="510203",
            name="软件技术",
            level_code="21",
            category_code="30",
            created_at=now,
        )
    )
    db.session.flush()
    document = validate_catalogue_document(C1)
    db.session.add(
        CatalogueVersion(
            id=new_id("cat"),
            programme_id=programme_id,
            version=1,
            name=document["name"],
            effective_from=datetime.fromisoformat(document["effective_from"]),
            document=canonical_bytes(document).decode(),
            published_at=now,
        )
    )
    db.session.commit()
    credentials = create_client(Role.COLLEGE, "教务处 李老师", college_id=college_id)
    return College(programme_id, api.token_for(credentials.client_id, credentials.client_secret))


def enrol(learner_id: str, college: College) -> None:
    from creditbank.college_models import Enrolment
    from creditbank.extensions import db

    db.session.add(
        Enrolment(
            learner_id=learner_id,
            programme_id=college.programme_id,
            student_no=f"2026510203{os.urandom(2).hex()}",
            enrolled_on=date(2026, 9, 1),
            created_at=datetime.now(UTC),
        )
    )
    db.session.commit()


def open_bank(api: Any) -> tuple[College, dict[str, str]]:
    """The Yunyang ruleset, provider YYZJ and its headers, and the college."""
    document = json.loads((ROOT / "config/rulesets/yunyang-2026.json").read_text("utf-8"))
    assert api.post("/api/v1/rulesets", api.workstation, json=document).status_code == 201
    _, provider = api.new_provider("YYZJ")
    return open_college(api), provider


def post(api: Any, provider: dict[str, str], body: dict[str, Any]) -> str:
    response = api.post("/api/v1/outcomes", provider, json=body)
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["outcome"]["id"])


def fresh_learner(api: Any, college: College, **fields: Any) -> Learner:
    learner_id = api.new_learner(**fields)
    enrol(learner_id, college)
    return Learner(learner_id, api.learner_headers(learner_id))


def file(api: Any, college: College, learner: Learner, items: list[dict[str, Any]]) -> None:
    body = {"programme_id": college.programme_id, "external_ref": "ZS-2026-01", "items": items}
    filed = api.post("/api/v1/applications", learner.headers, json=body)
    assert filed.status_code == 201, filed.get_json()
    learner.application_id = filed.get_json()["id"]
    learner.items = [item["id"] for item in filed.get_json()["items"]]


def decide(api: Any, college: College, learner: Learner, index: int, decision: str) -> None:
    path = f"/api/v1/applications/{learner.application_id}/items/{learner.items[index]}"
    extra = {"reason": "超过单一证书认定上限（8学分）"} if decision == "reject" else {}
    answer = api.post(f"{path}/decision", college.headers, json={"decision": decision, **extra})
    assert answer.status_code == 201, answer.get_json()


def revoke(api: Any, college: College, learner: Learner, index: int) -> None:
    path = f"/api/v1/applications/{learner.application_id}/items/{learner.items[index]}"
    answer = api.post(f"{path}/revoke", college.headers, json={"reason": "来源证书已被撤销"})
    assert answer.status_code == 201, answer.get_json()


def zhang_san(api: Any, college: College, provider: dict[str, str]) -> Learner:
    """Scenario 1: the S1 outcomes (seq 1–10), then ta_1 decided — transfers at seq 11–14."""
    learner = fresh_learner(api, college, national_id=ZHANG_SAN_ID)
    for name, body in s1_outcomes(learner.learner_id).items():
        learner.outcomes[name] = post(api, provider, body)
    file(api, college, learner, worked_example_items(learner.outcomes))
    for index, decision in enumerate(DECISIONS):
        decide(api, college, learner, index, decision)
    return learner


def void_and_revoke(api: Any, college: College, provider: dict[str, str], learner: Learner) -> None:
    """Scenario 5: the provider voids o_NCRE (seq 15–16), the college revokes ICT100 (17)."""
    voided = api.post(
        f"/api/v1/outcomes/{learner.outcomes['NCRE']}/void", provider, json={"reason": "撤销"}
    )
    assert voided.status_code == 201, voided.get_json()
    revoke(api, college, learner, 3)


def lines(api: Any, college: College, provider: dict[str, str]) -> Learner:
    """Scenario 10: a junior then a senior 1X-WEB-FRONTEND; WEB101 ← the senior, approved."""
    learner = fresh_learner(api, college)
    tag = os.urandom(3).hex()  # another learner's copies have other numbers
    for level, number in (("junior", f"WEB-J-0101{tag}"), ("senior", f"WEB-S-0101{tag}")):
        body = {
            "learner_id": learner.learner_id,
            "external_ref": f"s10-{number}",
            "kind": "certificate",
            "certificate_code": "1X-WEB-FRONTEND",
            "level": level,
            "certificate_no": number,
            "achieved_on": "2026-06-01",
        }
        learner.outcomes[level] = post(api, provider, body)
    senior = [{"course_code": "WEB101", "outcome_ids": [learner.outcomes["senior"]]}]
    file(api, college, learner, senior)
    decide(api, college, learner, 0, "approve")
    return learner
