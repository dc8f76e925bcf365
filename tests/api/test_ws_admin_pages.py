"""The workstation's dashboard, audits, providers & staff and audit-event log pages through
Flask's test client: the figures are the database's, the chart is an SVG without script, a
rotated secret is shown once and the old one stops working, auditors read and change nothing,
destructive actions ask first, bad input is a 422 beside its field with nothing written, and
every action lands in the event log, in Chinese."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from creditbank.conversion import SHANGHAI
from creditbank.domain.roles import Principal, Role
from creditbank.events import EventTag
from creditbank.extensions import db
from creditbank.labels import EVENT_TAG_NAMES
from creditbank.models import Audit, AuditEvent, Client, OutcomeState, Provider, StaffAccount
from creditbank.services.colleges import register_college
from creditbank.services.staff import create_staff
from creditbank.services.transaction import utcnow
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


# -- the dashboard ----------------------------------------------------------------------------
def test_the_dashboard_figures_are_the_databases(api, clerk):
    learner, _ = seed_posts(api)

    html = page(clerk, "/workstation/")

    pending = db.session.scalar(select(func.count()).where(OutcomeState.status == "pending_review"))
    assert f'<span id="posts-today">{count(OutcomeState)}</span>' in html
    assert f'<span id="pending-count">{pending}</span>' in html and pending == 1
    latest = section(html, "latest-posts")
    assert latest.count("陈晓雨") == 3 and "YYZJ 培训中心" in latest and learner not in latest
    reviews = section(html, "reviews")
    assert "社区志愿服务讲解员" in reviews and '<td class="age">0 天</td>' in reviews
    table = section(html, "monthly")
    month = utcnow().astimezone(SHANGHAI).strftime("%Y-%m")
    assert f'<th scope="row">{month}</th><td>理论</td>' in table
    assert '<td class="num">2</td><td class="num">3.0</td>' in table  # 16 h + 32 h = 1 + 2


def test_a_review_waiting_three_days_says_so(api, clerk, monkeypatch):
    seed_posts(api)
    later = utcnow() + timedelta(days=3, hours=1)
    monkeypatch.setattr("creditbank.web.ws_dashboard.utcnow", lambda: later)

    html = page(clerk, "/workstation/")

    assert '<td class="age">3 天</td>' in section(html, "reviews")
    assert '<span id="posts-today">0</span>' in html  # three days on, none were posted today


def test_the_dashboard_shows_the_last_checkpoint_and_its_download(api, clerk):
    seed_posts(api)
    made = api.post("/api/v1/checkpoints", api.workstation).get_json()

    html = section(page(clerk, "/workstation/"), "checkpoint")

    assert made["root"] in html
    assert f'href="/workstation/checkpoints/{made["id"]}.json"' in html


@pytest.mark.parametrize("measure", ["outcomes", "credits"])
def test_the_chart_is_an_svg_with_the_months_and_no_script(api, clerk, measure):
    seed_posts(api)

    response = clerk.get(f"/workstation/charts/monthly-{measure}.svg")

    svg = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    now = utcnow().astimezone(SHANGHAI)
    first = (now.year * 12 + now.month - 12) // 12, (now.year * 12 + now.month - 12) % 12 + 1
    assert now.strftime("%Y-%m") in svg and f"{first[0]}-{first[1]:02d}" in svg
    assert "理论" in svg and "WenQuanYi Micro Hei" in svg
    assert "<script" not in svg.lower()
    policy = response.headers["Content-Security-Policy"]
    assert "style-src 'unsafe-inline'" in policy and "default-src 'none'" in policy
    assert "script-src" not in policy
    html = page(clerk, "/workstation/")
    assert f'src="/workstation/charts/monthly-{measure}.svg"' in html
    assert re.search(rf'id="chart-{measure}"[^>]*alt="[^"]*每月', html, re.S)


def test_an_unknown_chart_is_a_404(clerk):
    assert clerk.get("/workstation/charts/monthly-nothing.svg").status_code == 404


# -- audits -----------------------------------------------------------------------------------
def test_an_audit_started_on_the_page_runs_to_its_report_and_checkpoint(api, clerk):
    seed_posts(api)
    api.post("/api/v1/checkpoints", api.workstation)
    latest = api.get("/api/v1/checkpoints/latest", api.workstation).get_json()

    started = post_form(clerk, "/workstation/audits")

    assert started.status_code == 302
    status_path = started.headers["Location"]
    assert re.fullmatch(r"/workstation/audits/[^/]+/status", status_path)
    result = page(clerk, status_path)
    assert "审计已完成：通过" in result and 'id="audit-status">通过' in result
    assert 'http-equiv="refresh"' not in result
    download = re.search(r'id="checkpoint-download" href="([^"]+)"', result).group(1)
    file = clerk.get(download)
    assert file.status_code == 200 and file.mimetype == "application/json"
    assert (
        file.headers["Content-Disposition"]
        == f'attachment; filename="checkpoint-{latest["id"]}.json"'
    )
    assert json.loads(file.get_data(as_text=True)) == latest
    report = re.search(r'id="audit-report" href="([^"]+)"', result).group(1)
    assert "账本审计报告" in page(clerk, report)
    listed = section(page(clerk, "/workstation/audits"), "audits")
    assert "全行" in listed and CLERK in listed and "通过" in listed


def test_an_auditor_may_start_an_audit_of_one_learner(api, auditor):
    learner, _ = seed_posts(api)
    number = api.get(f"/api/v1/learners/{learner}", api.workstation).get_json()["account_number"]

    started = post_form(auditor, "/workstation/audits", account_number=number)

    assert started.status_code == 302
    audit = db.session.scalars(select(Audit)).one()
    assert (audit.learner_id, audit.requested_by) == (learner, f"staff:{AUDITOR}")
    assert "学员 陈晓雨" in page(auditor, started.headers["Location"])


@pytest.mark.parametrize(("number", "message"), [("1234", "有效的 12 位"), ("", None)])
def test_a_bad_account_number_is_an_error_beside_the_field_and_no_audit(clerk, number, message):
    if message is None:  # a well-formed number of no one
        from creditbank.domain.account_numbers import complete_account_number

        number = complete_account_number("12345678901") or "123456789012"
        message = "没有这个学习账号"

    response = post_form(clerk, "/workstation/audits", account_number=number)

    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True), "account_number")
    assert count(Audit) == 0 and count(AuditEvent) == 0


def test_a_running_audit_refreshes_itself_every_two_seconds(clerk):
    from creditbank.domain.ids import new_id

    audit = Audit(id=new_id("au"), status="running", started_at=utcnow(), heartbeat_at=utcnow())
    db.session.add(audit)
    db.session.commit()

    html = page(clerk, f"/workstation/audits/{audit.id}/status")

    assert '<meta http-equiv="refresh" content="2">' in html
    assert "<progress" in html and "审计进行中" in html and "<script" not in html


# -- providers and their clients ----------------------------------------------------------------
def new_provider_page(clerk: FlaskClient, code: str = "YYJX", name: str = "云阳县驾校") -> str:
    response = post_form(clerk, "/workstation/providers", code=code, name=name)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_new_provider_comes_with_a_client_whose_secret_is_shown_once(api, clerk):
    html = new_provider_page(clerk)

    client_id, secret = secret_on(html)
    assert "已新建培训机构“云阳县驾校”" in html and "只显示这一次" in html
    assert token_status(api, client_id, secret) == 200
    listed = page(clerk, "/workstation/providers")
    assert "云阳县驾校" in listed and client_id in listed and secret not in listed
    provider = db.session.scalars(select(Provider).where(Provider.code == "YYJX")).one()
    assert db.session.get(Client, client_id).provider_id == provider.id


def test_rotating_shows_the_new_secret_once_and_the_old_one_stops_working(api, clerk):
    client_id, old = secret_on(new_provider_page(clerk))

    confirm = page(clerk, f"/workstation/clients/{client_id}/rotate")
    rotated = post_form(clerk, f"/workstation/clients/{client_id}/rotate")

    assert "确认更换密钥" in confirm and old not in confirm
    html = rotated.get_data(as_text=True)
    assert rotated.status_code == 200 and rotated.headers["Cache-Control"] == "no-store"
    same_id, new = secret_on(html)
    assert same_id == client_id and new != old and new not in rotated.request.url
    assert token_status(api, client_id, old) == 401
    assert token_status(api, client_id, new) == 200
    for path in ("/workstation/providers", "/workstation/events", "/workstation/"):
        assert new not in page(clerk, path)  # never again


def test_disabling_a_client_asks_first(api, clerk):
    client_id, secret = secret_on(new_provider_page(clerk))

    confirm = page(clerk, f"/workstation/clients/{client_id}/disable")

    assert "确认停用" in confirm and db.session.get(Client, client_id).disabled_at is None
    done = post_form(clerk, f"/workstation/clients/{client_id}/disable")
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Client, client_id).disabled_at is not None
    assert token_status(api, client_id, secret) == 401
    assert "它的令牌立即失效" in page(clerk, "/workstation/providers")


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"code": "YYJX", "name": "另一所驾校"}, "code", "已有机构使用这个代码"),
        ({"code": "云阳", "name": "中文代码"}, "code", "机构代码为"),
        ({"code": "NEW1", "name": ""}, "name", "请填写机构名称"),
    ],
)
def test_a_bad_provider_is_an_error_beside_its_field_and_nothing_is_written(
    clerk, form, field, message
):
    new_provider_page(clerk)
    before = (count(Provider), count(Client), count(AuditEvent))

    response = post_form(clerk, "/workstation/providers", **form)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in field_error(html, field)
    assert f'value="{form["name"]}"' in html  # what was typed stays
    assert (count(Provider), count(Client), count(AuditEvent)) == before


# -- staff accounts ---------------------------------------------------------------------------
def test_a_clerk_creates_a_college_staff_account_with_its_college(app, clerk):
    college = register_college(Principal("staff:x", Role.WORKSTATION), "YYZY", "云阳职业技术学院")
    form = {"username": "liu.yang", "role": "college", "college_id": college.id}

    html = page(clerk, "/workstation/staff")
    done = post_form(
        clerk, "/workstation/staff", password="a-good-pass", confirm_password="a-good-pass", **form
    )

    assert f'<option value="{college.id}">云阳职业技术学院</option>' in html
    assert done.status_code == 302
    account = db.session.get(StaffAccount, "liu.yang")
    assert (account.role, account.college_id) == ("college", college.id)
    listed = section(page(clerk, "/workstation/staff"), "staff")
    assert "liu.yang" in listed and "云阳职业技术学院" in listed and college.id not in listed


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"username": "-bad name"}, "username", "用户名为"),
        ({"username": CLERK}, "username", "已有这个用户名"),
        ({"confirm_password": "not-the-same"}, "confirm_password", "两次输入的密码不一致"),
        ({"password": "short", "confirm_password": "short"}, "password", "密码长度为"),
        ({"role": "college"}, "college_id", "须选择所属院校"),
    ],
)
def test_a_bad_staff_account_is_an_error_beside_its_field_and_nothing_is_written(
    clerk, form, field, message
):
    before = (count(StaffAccount), count(AuditEvent))
    fields = {
        "username": "new.clerk",
        "role": "workstation",
        "password": "a-good-pass",
        "confirm_password": "a-good-pass",
        **form,
    }

    response = post_form(clerk, "/workstation/staff", **fields)

    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True), field)
    assert (count(StaffAccount), count(AuditEvent)) == before


def test_disabling_a_staff_account_asks_first_and_ends_its_sign_in(app, clerk):
    create_staff("old.clerk", Role.WORKSTATION, STAFF_PASSWORD)
    other = new_browser(app)
    assert sign_in(other, "old.clerk").status_code == 302

    confirm = page(clerk, "/workstation/staff/old.clerk/disable")

    assert "确认停用" in confirm and db.session.get(StaffAccount, "old.clerk").disabled_at is None
    assert post_form(clerk, "/workstation/staff/old.clerk/disable").status_code == 302
    db.session.expire_all()
    assert db.session.get(StaffAccount, "old.clerk").disabled_at is not None
    assert other.get("/workstation/").status_code == 302


def test_a_clerk_cannot_disable_their_own_account(clerk):
    response = clerk.get(f"/workstation/staff/{CLERK}/disable")

    assert response.status_code == 302
    assert db.session.get(StaffAccount, CLERK).disabled_at is None


# -- auditors read, never write -------------------------------------------------------------------
def test_an_auditor_sees_the_lists_without_forms_and_every_post_is_a_403(api, clerk, auditor):
    client_id, _ = secret_on(new_provider_page(clerk))
    create_staff("old.clerk", Role.WORKSTATION, STAFF_PASSWORD)
    before = (count(Provider), count(Client), count(StaffAccount), count(AuditEvent))

    for path in ("/workstation/providers", "/workstation/staff"):
        html = page(auditor, path)
        assert html.count('method="post"') == 1  # only signing out
        assert "/rotate" not in html and "/disable" not in html
    assert "云阳县驾校" in page(auditor, "/workstation/providers")
    assert "old.clerk" in page(auditor, "/workstation/staff")
    posts = {
        "/workstation/providers": {"code": "AUD1", "name": "审计员的机构"},
        f"/workstation/clients/{client_id}/rotate": {},
        f"/workstation/clients/{client_id}/disable": {},
        "/workstation/staff": {
            "username": "by.auditor",
            "role": "workstation",
            "password": "a-good-pass",
            "confirm_password": "a-good-pass",
        },
        "/workstation/staff/old.clerk/disable": {},
    }
    for path, form in posts.items():
        assert post_form(auditor, path, **form).status_code == 403, path
    for path in (
        f"/workstation/clients/{client_id}/rotate",
        "/workstation/staff/old.clerk/disable",
    ):
        assert auditor.get(path).status_code == 403
    assert (count(Provider), count(Client), count(StaffAccount), count(AuditEvent)) == before


# -- the event log ----------------------------------------------------------------------------
def test_every_action_is_in_the_event_log_in_chinese(api, clerk):
    seed_posts(api)
    client_id, _ = secret_on(new_provider_page(clerk))
    post_form(clerk, f"/workstation/clients/{client_id}/rotate")
    post_form(clerk, f"/workstation/clients/{client_id}/disable")
    create = {"username": "new.clerk", "role": "auditor", "password": "a-good-pass"}
    post_form(clerk, "/workstation/staff", confirm_password="a-good-pass", **create)
    post_form(clerk, "/workstation/staff/new.clerk/disable")
    post_form(clerk, "/workstation/audits")

    html = section(page(clerk, "/workstation/events"), "events")

    for words in (
        "新建培训机构",
        "新建接入账号",
        "更换接入密钥",
        "停用接入账号",
        "新建工作人员账号",
        "停用工作人员账号",
        "发起审计",
    ):
        assert words in html, words
    assert html.count(f"<td>{CLERK}</td>") == 7  # who, by name
    assert "云阳县驾校" in html and "账号 new.clerk（审计员）" in html and "全行" in html
    assert client_id not in html and f"staff:{CLERK}" not in html
    tags = [event.tag for event in db.session.scalars(select(AuditEvent))]
    assert sorted(tags) == sorted(tag.value for tag in EventTag if tag.value.startswith("web:"))


def test_the_event_log_filters_by_tag_and_date(clerk):
    new_provider_page(clerk)
    today = utcnow().astimezone(SHANGHAI).date()

    by_tag = section(page(clerk, "/workstation/events?tag=web:client:created"), "events")
    tomorrow = (today + timedelta(days=1)).isoformat()
    later = section(page(clerk, f"/workstation/events?since={tomorrow}"), "events")
    today_only = page(clerk, f"/workstation/events?since={today}&until={today}")

    assert "新建接入账号" in by_tag and "新建培训机构" not in by_tag
    assert "没有符合条件的记录" in later
    assert "新建培训机构" in section(today_only, "events")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=yesterday", "since"),
        ("tag=api:nothing", "tag"),
        ("since=2026-03-02&until=2026-03-01", "until"),
    ],
)
def test_a_bad_event_filter_is_a_422_beside_the_field(clerk, query, field):
    response = clerk.get(f"/workstation/events?{query}")

    assert response.status_code == 422
    field_error(response.get_data(as_text=True), field)


def test_every_event_tag_has_a_chinese_label():
    assert {tag.value for tag in EventTag} <= set(EVENT_TAG_NAMES)


def test_the_refreshing_can_be_turned_off(clerk):
    from creditbank.domain.ids import new_id

    audit = Audit(id=new_id("au"), status="running", started_at=utcnow(), heartbeat_at=utcnow())
    db.session.add(audit)
    db.session.commit()

    html = page(clerk, f"/workstation/audits/{audit.id}/status?refresh=off")

    assert 'http-equiv="refresh"' not in html and "已停止自动刷新" in html
