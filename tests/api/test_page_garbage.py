"""No form of the console, however strange what it is sent, answers with a server error: every
POST route of the pages (the workstation's, the college's, the learner portal's) is posted by a
signed-in session of the role it is for, with its CSRF token, with each of a handful of hostile
bodies and with ids that name nothing or something. Whatever the page says (a field's error, a
404, a 403, a redirect), it is not a 500, and the database keeps no half-written change."""

from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient

from creditbank.domain.roles import Role
from creditbank.services.staff import create_staff
from tests.api.browsers import csrf_token, new_browser, sign_in
from tests.support.programmes import seed_programme

PASSWORD = "garbage-pw-123"
HOSTILE = {
    "empty": {},
    "long": dict.fromkeys(
        (
            "name",
            "national_id",
            "phone",
            "reason",
            "credits",
            "category",
            "code",
            "username",
            "password",
            "confirm_password",
            "staged",
            "grade",
            "learner",
            "query",
            "title",
            "kind",
            "from",
            "to",
            "programme_id",
            "student_number",
            "confirm",
        ),
        "九" * 5000,
    ),
    "control": {
        "name": "a\x00b\r\n<script>",
        "national_id": "50023519900101417\x00",
        "credits": "1e999",
        "reason": "\x00",
        "staged": "../../keys/signing.pem",
        "category": "../..",
        "password": "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        "from": "0000-13",
        "to": "-1",
    },
    "a file that is not one": {
        "file": (io.BytesIO(b"PK\x03\x04 not a zip at all" * 100), "sheet.xlsx"),
        "sheet": (io.BytesIO(b"\xff\xfe\x00garbage"), "sheet.csv"),
        "evidence": (io.BytesIO(b"%PDF-no"), "e.pdf"),
    },
}
ID_LIKE = ("L01J0000000000000000000000", "o_01J0000000000000000000000", "x", "9" * 300)


def post_routes(app: Flask, prefix: str) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(prefix)
        and "POST" in (rule.methods or ())
        and "login" not in rule.rule
    )


def filled(rule: str, value: str) -> str:
    return re.sub(r"<[^>]+>", value, rule)


def staff_session(app: Flask, role: Role, college_id: str | None = None) -> FlaskClient:
    username = f"garbage.{role.value}"
    create_staff(username, role, PASSWORD, college_id=college_id)
    browser = new_browser(app)
    assert sign_in(browser, username, PASSWORD).status_code == 302
    return browser


def assert_no_server_error(browser: FlaskClient, home: str, routes: list[str]) -> None:
    errors, answers = {}, set()
    token = csrf_token(browser, home)
    for rule in routes:
        for value in ID_LIKE:
            for name, body in HOSTILE.items():
                form = {
                    key: (io.BytesIO(v[0].getvalue()), v[1]) if isinstance(v, tuple) else v
                    for key, v in body.items()
                }
                response = browser.post(
                    filled(rule, value),
                    data={**form, "csrf_token": token},
                    content_type="multipart/form-data",
                )
                answers.add(response.status_code)
                if response.status_code >= 500:
                    errors[(rule, value, name)] = response.status_code
    assert errors == {}
    # the forms were read, not all refused at the door for a missing CSRF token
    assert answers - {400} and {404, 422} & answers, answers


def test_no_workstation_form_answers_with_a_server_error(app, api):
    api.publish_ruleset()
    api.new_learner()
    browser = staff_session(app, Role.WORKSTATION)

    routes = post_routes(app, "/workstation/")

    assert len(routes) > 20
    assert_no_server_error(browser, "/workstation/", routes)


def test_no_learner_form_answers_with_a_server_error(app, api):
    api.publish_ruleset()
    learner = api.new_learner(password=PASSWORD)
    browser = new_browser(app)
    token = csrf_token(browser, "/learner/login")
    form = {"username": learner, "password": PASSWORD, "csrf_token": token}
    assert browser.post("/learner/login", data=form).status_code == 302
    change = {
        "old_password": PASSWORD,
        "new_password": PASSWORD,
        "confirm_password": PASSWORD,
        "csrf_token": csrf_token(browser, "/learner/password"),
    }
    assert browser.post("/learner/password", data=change).status_code == 302

    routes = [rule for rule in post_routes(app, "/learner/") if rule != "/learner/logout"]

    assert len(routes) >= 3
    assert_no_server_error(browser, "/learner/", routes)


def test_no_college_form_answers_with_a_server_error(app, api):
    api.publish_ruleset()
    seeded = seed_programme(api, api.new_learner())
    browser = staff_session(app, Role.COLLEGE, college_id=seeded.college_id)

    routes = post_routes(app, "/college/")

    assert len(routes) >= 3
    assert_no_server_error(browser, "/college/", routes)
