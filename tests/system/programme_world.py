"""The world of PROGRAMMES.md's acceptance scenarios, over HTTP against a real gunicorn: an
empty bank with ``config/rulesets/yunyang-2026.json``, provider YYZJ, college CQ1024 with one
client, programme 510203 with catalogue C1, and 张三 enrolled; fresh learners opened and
enrolled the same way, with the S1 outcomes."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

from tests.api.helpers import national_id
from tests.support.programmes import C1, ZHANG_SAN_ID, s1_outcomes, worked_example_items
from tests.system.servers import Bank

RULESET = Path(__file__).resolve().parents[2] / "config" / "rulesets" / "yunyang-2026.json"
PASSWORD = "correct horse battery"
_SERIALS = itertools.count(100)


@dataclass
class Learner:
    learner_id: str
    headers: dict[str, str]
    o: dict[str, str] = field(default_factory=dict)  # S1 short name -> outcome id


@dataclass
class World:
    bank: Bank
    provider: dict[str, str]
    college_id: str
    college: dict[str, str]
    programme_id: str
    zhang: Learner

    # -- calls ---------------------------------------------------------------------------
    def call(self, method: str, path: str, headers: dict[str, str], **kwargs: Any):
        return self.bank.call(method, path, headers, **kwargs)

    def get(self, path: str, headers: dict[str, str], **kwargs: Any) -> requests.Response:
        return self.call("GET", path, headers, **kwargs)

    def post(self, path: str, headers: dict[str, str], **kwargs: Any) -> requests.Response:
        return self.call("POST", path, headers, **kwargs)

    def ok(self, method: str, path: str, headers: dict[str, str], status: int = 200, **kw: Any):
        response = self.call(method, path, headers, **kw)
        assert response.status_code == status, (method, path, response.status_code, response.text)
        return response.json()

    @property
    def workstation(self) -> dict[str, str]:
        return self.bank.workstation

    # -- the bank's people ---------------------------------------------------------------
    def fresh_learner(self, *, outcomes: bool = True, programme_id: str | None = None) -> Learner:
        """A learner opened with a national ID, enrolled, with the S1 outcomes posted."""
        serial = f"{next(_SERIALS):03d}"
        learner = open_learner(self.bank, national_id(serial=serial), serial)
        self.enrol(learner.learner_id, programme_id or self.programme_id)
        if outcomes:
            learner.o = post_s1(self.bank, self.provider, learner.learner_id)
        return learner

    def enrol(self, learner_id: str, programme_id: str) -> dict[str, Any]:
        body = {
            "learner_id": learner_id,
            "student_no": f"S{learner_id[-8:]}",
            "enrolled_on": "2026-09-01",
        }
        return self.ok(
            "POST", f"/programmes/{programme_id}/enrolments", self.workstation, 201, json=body
        )

    def file(self, learner: Learner, items: list[dict[str, Any]], ref: str, **more: Any):
        body = {"programme_id": self.programme_id, "external_ref": ref, "items": items, **more}
        return self.post("/applications", learner.headers, json=body)

    def decide(
        self, application_id: str, item_id: str, headers: dict[str, str] | None = None, **body: Any
    ):
        path = f"/applications/{application_id}/items/{item_id}/decision"
        return self.post(path, headers or self.college, json=body)

    def balance(self, learner: Learner) -> dict[str, Any]:
        return self.ok("GET", f"/learners/{learner.learner_id}/balance", learner.headers)

    def worked_example(self) -> tuple[str, list[str]]:
        """Scenario 1's filing and decisions for 张三: (application id, item ids)."""
        filed = self.file(self.zhang, worked_example_items(self.zhang.o), "ZS-2026-01")
        assert filed.status_code == 201, filed.text
        application = filed.json()
        ti = [item["id"] for item in application["items"]]
        for i, (decision, status) in enumerate(
            (
                ("approve", 201),
                ("approve", 201),
                ("approve", 409),
                ("reject", 201),
                ("approve", 201),
                ("approve", 201),
            )
        ):
            index = i if i < 3 else i - 1
            extra = {"reason": "超过单一证书认定上限（8学分）"} if decision == "reject" else {}
            answer = self.decide(application["id"], ti[index], decision=decision, **extra)
            assert answer.status_code == status, answer.text
        return application["id"], ti


def open_learner(bank: Bank, national: str, tag: str = "") -> Learner:
    body = {
        "name": "张三" if national == ZHANG_SAN_ID else f"学员{tag}",
        "national_id": national,
        "password": PASSWORD,
    }
    learner_id = bank.created("/learners", bank.workstation, json=body)["learner_id"]
    return Learner(learner_id, bank.learner_token(learner_id, PASSWORD))


def post_s1(bank: Bank, provider: dict[str, str], learner_id: str) -> dict[str, str]:
    posted = {}
    for name, body in s1_outcomes(learner_id).items():
        reply = bank.created("/outcomes", provider, json=body)
        posted[name] = reply["outcome"]["id"]
    return posted


def build_world(bank: Bank) -> World:
    """Everything each scenario starts from, made through the API as the workstation would."""
    bank.publish_ruleset(json.loads(RULESET.read_text(encoding="utf-8")))
    provider = bank.created(
        "/providers", bank.workstation, json={"code": "YYZJ", "name": "云阳职教中心"}
    )
    client = bank.created(f"/providers/{provider['id']}/clients", bank.workstation)
    provider_headers = bank.token(client["client_id"], client["client_secret"])
    college = bank.created(
        "/colleges", bank.workstation, json={"school_code": "CQ1024", "name": "渝东北职业技术学院"}
    )
    officer = bank.created(
        f"/colleges/{college['id']}/clients", bank.workstation, json={"name": "教务处 李老师"}
    )
    programme = bank.created(
        f"/colleges/{college['id']}/programmes",
        bank.workstation,
        json={"code": "510203", "name": "软件技术", "level_code": "21", "category_code": "30"},
    )
    bank.created(f"/programmes/{programme['id']}/catalogues", bank.workstation, json=C1)
    zhang = open_learner(bank, ZHANG_SAN_ID)
    world = World(
        bank,
        provider_headers,
        college["id"],
        bank.token(officer["client_id"], officer["client_secret"]),
        programme["id"],
        zhang,
    )
    enrolment = {
        "learner_id": zhang.learner_id,
        "national_id": ZHANG_SAN_ID,
        "student_no": "2026510203001",
        "enrolled_on": "2026-09-01",
    }
    world.ok(
        "POST", f"/programmes/{programme['id']}/enrolments", bank.workstation, 201, json=enrolment
    )
    zhang.o = post_s1(bank, provider_headers, zhang.learner_id)
    return world


def shanghai_now() -> datetime:
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))


def problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == slug, body
    return body


def void_and_revoke(world: World, ta: str, ti: list[str]) -> None:
    """Scenario 5's void of o_NCRE and revocation of ICT100."""
    voided = world.post(
        f"/outcomes/{world.zhang.o['NCRE']}/void", world.provider, json={"reason": "证书撤销"}
    )
    assert voided.status_code == 201, voided.text
    revoked = world.post(
        f"/applications/{ta}/items/{ti[3]}/revoke",
        world.college,
        json={"reason": "来源证书已被撤销"},
    )
    assert revoked.status_code == 201, revoked.text
