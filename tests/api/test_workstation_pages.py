"""The workstation's web pages (/workstation/) through Flask's test client: sign in with a form
and a CSRF token, a signed session cookie, read-only lists of learners, recent posts, pending
reviews and the dashboard, sign out."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from creditbank.conversion.calendar import SHANGHAI
from creditbank.domain.roles import Role
from creditbank.extensions import db
from creditbank.models import Audit, StaffAccount
from creditbank.services.learners import open_learner
from creditbank.services.staff import create_staff
from tests.api.browsers import CSRF_FIELD, csrf_token, new_browser, sign_in
from tests.api.browsers import STAFF_PASSWORD as PASSWORD
from tests.api.helpers import national_id

PAGES = ("/workstation/", "/workstation/learners", "/workstation/outcomes", "/workstation/reviews")
COOKIE = "creditbank_session"
MINUTE, HOUR = 60, 3600


def section(html: str, name: str) -> str:
    found = re.search(rf'<section id="{name}"[^>]*>(.*?)</section>', html, re.S)
    assert found, f"no section {name}"
    return found.group(1)


@pytest.fixture
def staff(app) -> str:
    create_staff("wang.fang", Role.WORKSTATION, PASSWORD)
    return "wang.fang"


def browser_with(app, cookie: str) -> FlaskClient:
    """Another browser holding a copy of a session cookie."""
    other = new_browser(app)
    other.set_cookie(COOKIE, cookie)
    return other


def age_session(client: FlaskClient, **seconds_ago: int) -> None:
    """Move the session's stored instants (``since``: signed in, ``seen``: last request) into
    the past, as a clock would: the cookie is signed again, as the app signs it."""
    now = int(time.time())
    with client.session_transaction() as session:
        for key, ago in seconds_ago.items():
            session[key] = now - ago


@pytest.fixture
def browser(app) -> FlaskClient:
    return new_browser(app)


@pytest.fixture
def signed_in(browser: FlaskClient, staff: str) -> FlaskClient:
    assert sign_in(browser, staff).status_code == 302
    return browser


# -- signing in and out ------------------------------------------------------------------------
@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_a_stranger_to_the_sign_in_form(browser, path):
    response = browser.get(path)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/workstation/login?next={path}"


def test_the_sign_in_form_renders_with_a_csrf_token_and_strict_headers(browser):
    response = browser.get("/workstation/login")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert CSRF_FIELD.search(html) and 'name="username"' in html and 'type="password"' in html
    assert "script-src" not in response.headers["Content-Security-Policy"]  # none at all
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_signing_in_sets_an_httponly_samesite_session_cookie_and_shows_the_overview(browser, staff):
    response = sign_in(browser, staff)

    assert response.status_code == 302
    assert response.headers["Location"] == "/workstation/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("creditbank_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the HTTPS test
    page = browser.get("/workstation/")
    assert page.status_code == 200
    assert f'<span id="staff-user">{staff}</span>' in page.get_data(as_text=True)


def test_over_https_the_session_cookie_is_secure(browser, staff):
    token = csrf_token(browser)
    response = browser.post(
        "/workstation/login",
        data={"username": staff, "password": PASSWORD, "csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/workstation/login"},
    )

    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_sign_in_goes_back_to_the_page_asked_for_but_never_to_another_site(browser, staff):
    assert sign_in(browser, staff, next="/workstation/reviews").headers["Location"] == (
        "/workstation/reviews"
    )
    for target in ("https://evil.example/", "//evil.example/workstation/", "/api/v1/learners"):
        other = new_browser(browser.application)
        assert sign_in(other, staff, next=target).headers["Location"] == "/workstation/"


@pytest.mark.parametrize(
    "target",
    [
        "/workstation/\r\nSet-Cookie: x=1",
        "/workstation/reviews\n",
        "/workstation/\rx",
        "/workstation/\tx",
    ],
    ids=["crlf", "lf", "cr", "tab"],
)
def test_a_next_with_a_line_break_or_control_character_falls_back_to_the_overview(
    browser, staff, target
):
    signed = sign_in(browser, staff, next=target)
    again = browser.get("/workstation/login", query_string={"next": target})  # signed in: away

    for response in (signed, again):
        assert response.status_code == 302
        assert response.headers["Location"] == "/workstation/"


def test_a_form_posted_without_its_csrf_token_is_refused(browser, staff):
    browser.get("/workstation/login")  # a session exists, but the token is not sent

    response = browser.post("/workstation/login", data={"username": staff, "password": PASSWORD})

    assert response.status_code == 400
    assert "表单已过期或来源无效" in response.get_data(as_text=True)
    assert browser.get("/workstation/").status_code == 302  # not signed in


def test_a_forged_csrf_token_is_refused(browser, staff):
    csrf_token(browser)
    response = browser.post(
        "/workstation/login",
        data={"username": staff, "password": PASSWORD, "csrf_token": "forged.token.value"},
    )

    assert response.status_code == 400
    assert browser.get("/workstation/").status_code == 302


@pytest.mark.parametrize(
    ("username", "password"),
    [("wang.fang", "not-the-password"), ("nobody", PASSWORD), ("wang.fang", "")],
)
def test_wrong_credentials_show_the_form_again_and_sign_no_one_in(
    browser, staff, username, password
):
    response = sign_in(browser, username, password)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "用户名或密码不正确" in html  # the same words for every failure
    assert "staff" not in _session_of(browser)
    assert browser.get("/workstation/").status_code == 302


def test_a_disabled_account_cannot_sign_in(browser, staff):
    db.session.get(StaffAccount, staff).disabled_at = datetime.now(UTC)
    db.session.commit()

    response = sign_in(browser, staff)

    assert response.status_code == 200
    assert "用户名或密码不正确，或账号已停用" in response.get_data(as_text=True)
    assert browser.get("/workstation/").status_code == 302


def test_disabling_an_account_ends_its_open_session_for_good(signed_in, staff):
    from creditbank.services.staff import disable_staff

    copied = signed_in.get_cookie(COOKIE).value
    disable_staff(staff)

    assert signed_in.get("/workstation/").status_code == 302
    db.session.get(StaffAccount, staff).disabled_at = None  # enabled again, by hand
    db.session.commit()
    assert browser_with(signed_in.application, copied).get("/workstation/").status_code == 302


def test_logging_out_needs_the_csrf_token_and_then_ends_the_session(signed_in):
    refused = signed_in.post("/workstation/logout")
    assert refused.status_code == 400
    assert signed_in.get("/workstation/").status_code == 200  # still signed in

    token = csrf_token(signed_in, "/workstation/")
    response = signed_in.post("/workstation/logout", data={"csrf_token": token})

    assert response.status_code == 302
    assert response.headers["Location"] == "/workstation/login"
    for path in PAGES:
        assert signed_in.get(path).status_code == 302


def test_logging_out_is_a_post_only(signed_in):
    assert signed_in.get("/workstation/logout").status_code == 405
    assert signed_in.get("/workstation/").status_code == 200


def test_failed_sign_ins_are_throttled(app, browser, staff):
    settings = app.extensions["creditbank.settings"]
    allowed = int(re.match(r"\d+", settings.failed_login_limit_per_client).group())

    for _ in range(allowed):
        assert sign_in(browser, staff, "a-wrong-guess").status_code == 200

    throttled = sign_in(browser, staff)  # the right password, too late
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"]
    assert browser.get("/workstation/").status_code == 302


# -- how long a session lasts ------------------------------------------------------------------
def test_a_session_cookie_copied_before_signing_out_no_longer_works(app, signed_in):
    copied = signed_in.get_cookie(COOKIE).value
    assert browser_with(app, copied).get("/workstation/").status_code == 200  # a working copy

    token = csrf_token(signed_in, "/workstation/")
    assert signed_in.post("/workstation/logout", data={"csrf_token": token}).status_code == 302

    response = browser_with(app, copied).get("/workstation/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/workstation/login?next=/workstation/"


def test_signing_out_ends_the_accounts_sessions_in_every_browser(app, signed_in, staff):
    elsewhere = new_browser(app)
    assert sign_in(elsewhere, staff).status_code == 302

    token = csrf_token(signed_in, "/workstation/")
    signed_in.post("/workstation/logout", data={"csrf_token": token})

    assert elsewhere.get("/workstation/").status_code == 302
    assert sign_in(elsewhere, staff).status_code == 302  # signing in again works at once
    assert elsewhere.get("/workstation/").status_code == 200


@pytest.mark.parametrize(
    ("signed_in_ago", "allowed"), [(8 * HOUR - 60, True), (8 * HOUR + 60, False)]
)
def test_a_session_ends_eight_hours_after_signing_in_however_busy(
    signed_in, signed_in_ago, allowed
):
    age_session(signed_in, since=signed_in_ago, seen=60)  # used a minute ago

    response = signed_in.get("/workstation/")

    assert response.status_code == (200 if allowed else 302)
    if not allowed:
        assert signed_in.get("/workstation/").status_code == 302  # and it stays ended


@pytest.mark.parametrize(("idle", "allowed"), [(29 * MINUTE, True), (31 * MINUTE, False)])
def test_a_session_ends_after_thirty_minutes_without_a_request(signed_in, idle, allowed):
    age_session(signed_in, since=idle, seen=idle)

    assert signed_in.get("/workstation/").status_code == (200 if allowed else 302)


def test_each_page_restarts_the_idle_clock_but_not_the_lifetime(signed_in):
    age_session(signed_in, since=2 * HOUR, seen=29 * MINUTE)
    before = int(time.time())

    assert signed_in.get("/workstation/learners").status_code == 200

    with signed_in.session_transaction() as session:
        assert session["seen"] >= before
        assert session["since"] <= before - 2 * HOUR


def test_the_session_limits_come_from_the_settings(settings):
    import dataclasses

    from creditbank.app import create_app

    short = create_app(dataclasses.replace(settings, staff_session_idle_minutes=5))
    short.config["TESTING"] = True
    with short.app_context():
        create_staff("li.ming", Role.AUDITOR, PASSWORD)
        browser = new_browser(short)
        assert sign_in(browser, "li.ming").status_code == 302
        age_session(browser, seen=6 * MINUTE)
        assert browser.get("/workstation/").status_code == 302
        db.session.remove()
        db.engine.dispose()


def test_session_limits_are_read_from_the_environment():
    from config.settings import Settings, SettingsError

    defaults = Settings.from_env({})
    read = Settings.from_env(
        {
            "CREDITBANK_STAFF_SESSION_IDLE_MINUTES": "15",
            "CREDITBANK_STAFF_SESSION_MAX_HOURS": "10",
        }
    )

    assert (defaults.staff_session_idle_minutes, defaults.staff_session_max_hours) == (30, 8)
    assert (read.staff_session_idle_minutes, read.staff_session_max_hours) == (15, 10)
    with pytest.raises(SettingsError, match="CREDITBANK_STAFF_SESSION_MAX_HOURS"):
        Settings.from_env({"CREDITBANK_STAFF_SESSION_MAX_HOURS": "a day"})


def test_a_cookie_signed_in_before_sessions_had_generations_is_refused(signed_in):
    with signed_in.session_transaction() as session:
        del session["generation"]

    assert signed_in.get("/workstation/").status_code == 302


# -- what the pages show -----------------------------------------------------------------------
@pytest.mark.parametrize(("role", "label"), [("workstation", "工作站"), ("auditor", "审计员")])
def test_the_signed_in_role_is_shown(browser, role, label):
    create_staff(f"{role}-user", Role(role), PASSWORD)
    sign_in(browser, f"{role}-user")

    html = browser.get("/workstation/").get_data(as_text=True)

    assert f'data-role="{role}">{label}</span>' in html


def wait_out_the_day_s_last_seconds(margin_s: float = 10.0) -> None:
    """Today turns at midnight in Shanghai: a test that posts and then reads today's posts
    waits the day's last seconds out rather than straddle the turn."""
    now = datetime.now(SHANGHAI)
    left = 86400 - (now.hour * 3600 + now.minute * 60 + now.second + now.microsecond / 1e6)
    if left < margin_s:
        time.sleep(left + 0.5)


def test_the_dashboard_shows_todays_posts_pending_reviews_and_the_latest_audit(api, signed_in):
    wait_out_the_day_s_last_seconds()
    whole_id = national_id(serial="417")
    learner = api.new_learner(name="陈晓雨", national_id=whole_id)
    api.publish_ruleset()
    _, provider = api.new_provider("YYZJ")
    credited = api.post_outcome(provider, learner, hours="16", title="电工基础培训")
    pending = api.post(
        "/api/v1/outcomes",
        provider,
        json={
            "learner_id": learner,
            "external_ref": "informal-1",
            "kind": "informal",
            "description": "社区志愿服务讲解员",
            "achieved_on": "2026-01-20",
        },
    )
    assert (credited.status_code, pending.status_code) == (201, 201)
    audit_id = _insert_audit("passed", entries_checked=4, learners_checked=1)

    html = signed_in.get("/workstation/").get_data(as_text=True)

    assert whole_id not in html  # only the masked number is ever on a page
    posts = section(html, "latest-posts")
    assert "电工基础培训" in posts and "社区志愿服务讲解员" in posts and "YYZJ 培训中心" in posts
    assert "陈晓雨" in posts and learner not in posts  # the learner by name
    assert "已认定" in posts and "待审核" in posts
    assert '<span id="posts-today">2</span>' in html
    reviews = section(html, "reviews")
    assert "社区志愿服务讲解员" in reviews and "电工基础培训" not in reviews
    assert '<span id="pending-count">1</span>' in html
    audit = section(html, "audit")
    assert "通过" in audit
    assert f'href="/workstation/audits/{audit_id}"' in audit
    assert "/api/v1/" not in html  # the pages link only to pages: the API wants tokens


def test_the_newest_audit_is_the_one_shown(signed_in):
    _insert_audit("passed", started=datetime(2026, 3, 1, tzinfo=UTC))
    newest = _insert_audit("failed", started=datetime(2026, 4, 1, tzinfo=UTC), findings=2)

    audit = section(signed_in.get("/workstation/").get_data(as_text=True), "audit")

    assert "未通过" in audit and "发现问题 2 项" in audit
    assert newest in audit


def test_with_nothing_recorded_the_dashboard_says_so(signed_in):
    html = signed_in.get("/workstation/").get_data(as_text=True)

    assert "今天还没有登记" in html and "没有待审核的成果" in html
    assert "尚未进行审计" in html and "尚无检查点" in html


def test_the_learner_list_shows_the_account_number_and_only_the_last_4_of_the_id(signed_in):
    whole_id = national_id(region="500235", born="19900307", serial="417")
    learner = open_learner("陈晓雨", whole_id, None)
    number = learner.account_number

    html = section(signed_in.get("/workstation/learners").get_data(as_text=True), "learners")

    assert f"<code>{number[:4]} {number[4:8]} {number[8:]}</code>" in html
    assert f"<code>{'*' * 14}{whole_id[-4:]}</code>" in html
    for hidden in (whole_id, whole_id[:6], whole_id[6:14]):
        assert hidden not in html


def test_the_learner_list_pages_by_keyset_without_losing_or_repeating_anyone(app, signed_in):
    opened = [open_learner(f"学员{index:02d}", None, None).learner_id for index in range(57)]

    seen: list[str] = []
    path = "/workstation/learners"
    for _ in range(5):
        html = signed_in.get(path).get_data(as_text=True)
        seen.extend(re.findall(r'<td><a href="/workstation/learners/(L[0-9A-Z]+)">', html))
        following = re.search(r'<a rel="next" href="([^"]+)"', html)
        if following is None:
            break
        path = following.group(1).replace("&amp;", "&")

    assert seen == sorted(opened)
    assert "下一页" not in html


def test_recent_posts_list_the_newest_first_and_page(api, signed_in):
    learner = api.new_learner()
    _, provider = api.new_provider()
    refs = [f"post-{index:02d}" for index in range(53)]
    for ref in refs:
        assert api.post_outcome(provider, learner, external_ref=ref, title=ref).status_code == 201

    first = signed_in.get("/workstation/outcomes").get_data(as_text=True)
    following = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = signed_in.get(following).get_data(as_text=True)

    titles = re.findall(r"(post-\d\d)", first) + re.findall(r"(post-\d\d)", second)
    assert titles == list(reversed(refs))


def test_a_forged_cursor_is_an_error_page_not_a_crash(signed_in):
    response = signed_in.get("/workstation/reviews?cursor=not-a-cursor")

    assert response.status_code == 422
    assert response.mimetype == "text/html"


def test_the_stylesheet_is_served_by_the_app(browser):
    response = browser.get("/workstation/static/workstation.css")

    assert response.status_code == 200
    assert response.mimetype == "text/css"


def test_the_pages_are_not_in_the_openapi_document(api):
    paths = api.get("/api/v1/openapi.json").get_json()["paths"]

    assert not [path for path in paths if "workstation" in path]


# -- the audit report, and no API for the session -----------------------------------------------
def test_the_latest_audits_report_opens_in_the_pages(signed_in):
    audit_id = _insert_audit("failed", entries_checked=7, findings=1)

    response = signed_in.get(f"/workstation/audits/{audit_id}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert audit_id in html and "账本审计报告" in html
    assert response.headers["Cache-Control"] == "no-store"
    policy = response.headers["Content-Security-Policy"]  # its inline styles and print button
    assert "style-src 'unsafe-inline'" in policy and "frame-ancestors 'none'" in policy


def test_the_audit_report_needs_a_session_and_a_known_audit(app, signed_in):
    audit_id = _insert_audit("passed")
    stranger = new_browser(app).get(f"/workstation/audits/{audit_id}")

    missing = signed_in.get("/workstation/audits/a_NOSUCHAUDIT")

    assert stranger.status_code == 302
    assert stranger.headers["Location"] == f"/workstation/login?next=/workstation/audits/{audit_id}"
    assert missing.status_code == 404
    assert missing.mimetype == "text/html"


@pytest.mark.parametrize("accept", ["text/html,application/xhtml+xml,*/*;q=0.8", "text/html"])
def test_the_staff_session_opens_no_api_route(api, signed_in, accept):
    """The cookie never stands in for a bearer token: not for reads that prefer HTML, not for
    the transcript, the audit report or the export that carries whole national IDs."""
    learner = api.new_learner(national_id=national_id(serial="518"))
    audit_id = _insert_audit("passed")
    paths = (
        f"/api/v1/learners/{learner}",
        f"/api/v1/learners/{learner}/transcript",
        f"/api/v1/audits/{audit_id}",
        "/api/v1/exports/conversions.csv",
        "/api/v1/exports/conversions.xlsx",
        "/api/v1/learners",
    )
    assert signed_in.get("/workstation/").status_code == 200  # the session is good

    for path in paths:
        response = signed_in.get(path, headers={"Accept": accept})
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    posted = signed_in.post("/api/v1/learners", headers={"Accept": accept}, json={"name": "李四"})
    assert posted.status_code == 401


def test_a_browser_that_is_not_signed_in_gets_no_api_page(api, browser):
    learner = api.new_learner()

    response = browser.get(f"/api/v1/learners/{learner}", headers={"Accept": "text/html"})

    assert response.status_code == 401


def _insert_audit(
    status: str,
    *,
    started: datetime | None = None,
    findings: int = 0,
    entries_checked: int = 0,
    learners_checked: int = 0,
) -> str:
    from creditbank.domain.ids import new_id

    started = started or datetime.now(UTC)
    audit = Audit(
        id=new_id("a"),
        learner_id=None,
        status=status,
        started_at=started,
        finished_at=started,
        entries_checked=entries_checked,
        learners_checked=learners_checked,
        findings_total=findings,
    )
    db.session.add(audit)
    db.session.commit()
    return audit.id


def _session_of(client: FlaskClient) -> dict[str, Any]:
    with client.session_transaction() as session:
        return dict(session)
