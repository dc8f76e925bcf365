"""What the workstation console's page tests share: a clerk's and an auditor's signed-in
browsers, posting a form with its CSRF token, reading a page's sections and field errors, and
posts to show (tests/api/test_ws_dashboard_pages.py, test_ws_admin_pages.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from creditbank.domain.roles import Role
from creditbank.extensions import db
from creditbank.services.staff import create_staff
from tests.api.browsers import STAFF_PASSWORD, csrf_token, new_browser, sign_in

CLERK, AUDITOR = "wang.fang", "zhao.li"


@pytest.fixture
def clerk(app) -> FlaskClient:
    create_staff(CLERK, Role.WORKSTATION, STAFF_PASSWORD)
    browser = new_browser(app)
    assert sign_in(browser, CLERK).status_code == 302
    return browser


@pytest.fixture
def auditor(app) -> FlaskClient:
    create_staff(AUDITOR, Role.AUDITOR, STAFF_PASSWORD)
    browser = new_browser(app)
    assert sign_in(browser, AUDITOR).status_code == 302
    return browser


def post_form(browser: FlaskClient, path: str, **form: str) -> Any:
    token = csrf_token(browser, "/workstation/")
    return browser.post(path, data={"csrf_token": token, **form})


def page(browser: FlaskClient, path: str) -> str:
    response = browser.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def section(html: str, name: str) -> str:
    found = re.search(rf'<section id="{name}"[^>]*>(.*?)</section>', html, re.S)
    assert found, f"no section {name}"
    return found.group(1)


def field_error(html: str, name: str) -> str:
    assert re.search(rf'id="{name}"[^>]*aria-invalid="true" aria-describedby="{name}-error"', html)
    found = re.search(rf'<span class="field-error error" id="{name}-error">([^<]+)</span>', html)
    assert found, f"no error beside {name}"
    return found.group(1)


def secret_on(html: str) -> tuple[str, str]:
    client_id = re.search(r'<code id="client-id">([^<]+)</code>', html).group(1)
    secret = re.search(r'<code id="client-secret">([^<]+)</code>', html).group(1)
    return client_id, secret


def token_status(api, client_id: str, secret: str) -> int:
    body = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return api.post("/api/v1/auth/token", json=body).status_code


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def seed_posts(api) -> tuple[str, str]:
    """Two credited posts and one waiting for a review, today, for 陈晓雨 at YYZJ."""
    learner = api.new_learner(name="陈晓雨")
    api.publish_ruleset()
    _, provider = api.new_provider("YYZJ")
    for hours in ("16", "32"):
        assert api.post_outcome(provider, learner, hours=hours).status_code == 201
    informal = {
        "learner_id": learner,
        "external_ref": "informal-1",
        "kind": "informal",
        "description": "社区志愿服务讲解员",
        "achieved_on": "2026-01-20",
    }
    assert api.post("/api/v1/outcomes", provider, json=informal).status_code == 201
    return learner, provider
