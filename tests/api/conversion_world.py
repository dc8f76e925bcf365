"""The world of the conversion pages' in-process tests: the ruleset, provider YYZJ, college
CQ1024 with programme 510203 and catalogue C1, 张三 enrolled with the S1 outcomes, and staff
accounts (a college's, the workstation's, an auditor's) signed in through the forms."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from creditbank.domain.roles import Role
from creditbank.extensions import db
from creditbank.models import AuditEvent
from creditbank.services.staff import create_staff
from tests.api.browsers import CSRF_FIELD, STAFF_PASSWORD, csrf_token, new_browser, sign_in
from tests.support.programmes import ZHANG_SAN_ID, s1_outcomes, seed_programme

LEARNER_PASSWORD = "correct horse battery"
NEW_PASSWORD = "zhangsan-2026-new"
RULESET = Path(__file__).resolve().parents[2] / "config" / "rulesets" / "yunyang-2026.json"


@dataclass
class World:
    api: Any
    learner: str
    learner_headers: dict[str, str]
    college: dict[str, str]  # headers of the college's API client
    college_id: str
    programme_id: str
    o: dict[str, str] = field(default_factory=dict)

    def file(self, codes: tuple[str, ...] = ("WEB101", "JS102", "UI103")) -> dict[str, Any]:
        """An application of 张三's, filed by the workstation through the API (the learner's
        token dies with the portal's first password change): each course offered the
        certificate."""
        items = [{"course_code": code, "outcome_ids": [self.o["CERT"]]} for code in codes]
        body = {
            "learner_id": self.learner,
            "programme_id": self.programme_id,
            "external_ref": "T-1",
            "items": items,
        }
        response = self.api.post("/api/v1/applications", self.api.workstation, json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def decide(self, application: dict[str, Any], index: int, **body: Any) -> Any:
        item = application["items"][index]["id"]
        path = f"/api/v1/applications/{application['id']}/items/{item}/decision"
        return self.api.post(path, self.college, json=body)


def build_world(api: Any) -> World:
    document = json.loads(RULESET.read_text(encoding="utf-8"))
    assert api.post("/api/v1/rulesets", api.workstation, json=document).status_code == 201
    _, provider = api.new_provider("YYZJ")
    learner = api.new_learner(national_id=ZHANG_SAN_ID, password=LEARNER_PASSWORD)
    seeded = seed_programme(api, learner)
    outcomes = {}
    for name, body in s1_outcomes(learner).items():
        response = api.post("/api/v1/outcomes", provider, json=body)
        assert response.status_code == 201, response.get_json()
        outcomes[name] = response.get_json()["outcome"]["id"]
    world = World(
        api,
        learner,
        api.learner_headers(learner, LEARNER_PASSWORD),
        seeded.college,
        seeded.college_id,
        seeded.programme_id,
        outcomes,
    )
    create_staff("li.college", Role.COLLEGE, STAFF_PASSWORD, college_id=seeded.college_id)
    create_staff("wang.ws", Role.WORKSTATION, STAFF_PASSWORD)
    create_staff("zhao.audit", Role.AUDITOR, STAFF_PASSWORD)
    return world


def staff_browser(app: Any, username: str) -> FlaskClient:
    browser = new_browser(app)
    assert sign_in(browser, username).status_code == 302
    return browser


def learner_browser(app: Any, learner_id: str, password: str = LEARNER_PASSWORD) -> FlaskClient:
    """A learner signed in to the portal, past the first sign-in's password change."""
    browser = new_browser(app)
    token = csrf_token(browser, "/learner/login")
    form = {"username": learner_id, "password": password, "csrf_token": token}
    assert browser.post("/learner/login", data=form).status_code == 302
    token = csrf_token(browser, "/learner/password")
    change = {
        "old_password": password,
        "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD,
        "csrf_token": token,
    }
    assert browser.post("/learner/password", data=change).status_code == 302
    return browser


def token_of(browser: FlaskClient, path: str) -> str:
    page = browser.get(path)
    assert page.status_code == 200, page.status_code
    found = CSRF_FIELD.search(page.get_data(as_text=True))
    assert found
    return found.group(1)


def post_form(browser: FlaskClient, page: str, action: str, **form: Any) -> Any:
    """Post ``form`` to ``action`` with the CSRF token of ``page`` (as a person would)."""
    return browser.post(action, data={**form, "csrf_token": token_of(browser, page)})


def events(tag: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.query(AuditEvent).filter(AuditEvent.tag == tag))
