"""The learner portal's door (/learner/): sign in by account number (as printed too) or national
ID with the password, a first sign-in after the workstation set the password goes to the change
form first, a wrong pair says so and is throttled, a password change ends other sessions."""

from __future__ import annotations

import re

import pytest

from creditbank.domain.account_numbers import format_account_number
from creditbank.domain.roles import Principal, Role
from creditbank.extensions import db
from creditbank.models import Identity
from creditbank.services.learners import change_password, open_learner
from tests.api.browsers import csrf_token, new_browser
from tests.api.helpers import national_id

INITIAL, CHOSEN = "initial-pw-123", "my-own-password-9"
WORKSTATION = Principal(subject="staff:test", role=Role.WORKSTATION)


@pytest.fixture
def learner(app):
    return open_learner("陈晓雨", national_id(serial="417"), INITIAL)


@pytest.fixture
def browser(app):
    return new_browser(app)


def log_in(client, username: str, password: str = INITIAL, **extra: str):
    token = csrf_token(client, "/learner/login")
    form = {"username": username, "password": password, "csrf_token": token, **extra}
    return client.post("/learner/login", data=form)


def change(client, old: str, new: str, confirm: str | None = None):
    token = csrf_token(client, "/learner/password")
    form = {
        "old_password": old,
        "new_password": new,
        "confirm_password": new if confirm is None else confirm,
        "csrf_token": token,
    }
    return client.post("/learner/password", data=form)


def test_a_stranger_is_sent_to_the_sign_in_form(browser):
    response = browser.get("/learner/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/learner/login?next=/learner/"


@pytest.mark.parametrize("key", ["account_number", "printed", "national_id"])
def test_signing_in_by_account_number_or_national_id_asks_first_for_a_new_password(
    browser, learner, key
):
    username = {
        "account_number": learner.account_number,
        "printed": format_account_number(learner.account_number),
        "national_id": national_id(serial="417"),
    }[key]

    signed_in = log_in(browser, username)

    assert signed_in.status_code == 302
    assert browser.get("/learner/").headers["Location"] == "/learner/password"
    form = browser.get("/learner/password").get_data(as_text=True)
    assert "首次登录" in form


def test_after_choosing_a_password_the_home_shows_the_account(browser, learner):
    log_in(browser, learner.account_number)

    assert change(browser, INITIAL, CHOSEN).headers["Location"].startswith("/learner/")
    home = browser.get("/learner/")

    assert home.status_code == 200
    html = home.get_data(as_text=True)
    assert "陈晓雨" in html and format_account_number(learner.account_number) in html
    assert national_id(serial="417") not in html
    assert db.session.get(Identity, learner.learner_id).must_change_password is False
    assert log_in(new_browser(browser.application), learner.account_number).status_code == 200
    assert (
        log_in(new_browser(browser.application), learner.account_number, CHOSEN).status_code == 302
    )


@pytest.mark.parametrize(
    ("old", "new", "confirm", "field", "message"),
    [
        ("wrong-old-pw", CHOSEN, None, "old_password", "原密码不正确"),
        (INITIAL, "short", None, "new_password", "至少 8 位"),
        (INITIAL, CHOSEN, "something-else", "confirm_password", "不一致"),
    ],
)
def test_a_bad_change_says_why_beside_the_field_and_changes_nothing(
    browser, learner, old, new, confirm, field, message
):
    log_in(browser, learner.account_number)
    before = db.session.get(Identity, learner.learner_id).password_hash

    refused = change(browser, old, new, confirm)

    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    beside = re.search(rf'<p class="error field-error" id="{field}-error">([^<]*)</p>', html)
    assert beside and message in beside.group(1)
    assert f'aria-describedby="{field}-error"' in html
    db.session.expire_all()
    assert db.session.get(Identity, learner.learner_id).password_hash == before


def test_a_wrong_pair_shows_the_form_again_and_is_throttled(app, browser, learner):
    settings = app.extensions["creditbank.settings"]
    allowed = int(re.match(r"\d+", settings.failed_login_limit_per_client).group())

    for _ in range(allowed):
        wrong = log_in(browser, learner.account_number, "a-wrong-guess")
        assert wrong.status_code == 200
        assert "账号或密码不正确" in wrong.get_data(as_text=True)

    throttled = log_in(browser, learner.account_number)  # the right password, too late
    assert throttled.status_code == 429 and throttled.headers["Retry-After"]
    assert browser.get("/learner/").status_code == 302


def test_an_unknown_national_id_or_a_learner_without_password_is_the_same_refusal(browser, app):
    no_password = open_learner("李雷", national_id(serial="555"), None)

    for username in (national_id(serial="999"), no_password.account_number, "nonsense"):
        refused = log_in(new_browser(app), username)
        assert refused.status_code == 200
        assert "账号或密码不正确" in refused.get_data(as_text=True)


def test_a_reset_by_the_workstation_ends_the_session_and_asks_for_a_new_password(
    app, browser, learner
):
    log_in(browser, learner.account_number)
    change(browser, INITIAL, CHOSEN)
    assert browser.get("/learner/").status_code == 200

    change_password(WORKSTATION, learner.learner_id, "reset-by-clerk-1", None)

    assert browser.get("/learner/").status_code == 302  # the old session ended
    log_in(browser, learner.account_number, "reset-by-clerk-1")
    assert browser.get("/learner/").headers["Location"] == "/learner/password"


def test_the_sign_in_goes_back_to_a_portal_page_but_never_elsewhere(browser, learner):
    assert (
        log_in(browser, learner.account_number, next="https://evil.example/").headers["Location"]
        == "/learner/"
    )
    other = new_browser(browser.application)
    assert (
        log_in(other, learner.account_number, next="/learner/password").headers["Location"]
        == "/learner/password"
    )


def test_signing_out_ends_the_portal_session(browser, learner):
    log_in(browser, learner.account_number)
    token = csrf_token(browser, "/learner/password")

    assert browser.post("/learner/logout", data={"csrf_token": token}).status_code == 302
    assert browser.get("/learner/").status_code == 302
