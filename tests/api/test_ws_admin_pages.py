"""The workstation's providers & staff and audit-event log pages through Flask's test client:
a rotated secret is shown once and the old one stops working, auditors read and change nothing,
destructive actions ask first, bad input is a 422 beside its field with nothing written, and
every action lands in the event log, in Chinese (the dashboard and audits:
test_ws_dashboard_pages.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from creditbank.conversion import SHANGHAI
from creditbank.domain.roles import Principal, Role
from creditbank.events import EventTag
from creditbank.extensions import db
from creditbank.labels import EVENT_TAG_NAMES
from creditbank.models import AuditEvent, Client, Provider, StaffAccount
from creditbank.services.colleges import register_college
from creditbank.services.staff import create_staff
from creditbank.services.transaction import utcnow
from tests.api.browsers import STAFF_PASSWORD, new_browser, sign_in
from tests.api.ws_pages import (
    CLERK,
    auditor,
    clerk,
    count,
    field_error,
    page,
    post_form,
    secret_on,
    section,
    seed_posts,
    token_status,
)

__all__ = ["auditor", "clerk"]  # fixtures


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
    assert "培训机构 云阳县驾校（代码 YYJX）" in html and "接入账号 云阳县驾校" in html
    assert "工作人员账号 new.clerk（审计员）" in html and "全行" in html
    assert client_id not in html and f"staff:{CLERK}" not in html
    tags = [event.tag for event in db.session.scalars(select(AuditEvent))]
    assert sorted(tags) == sorted(
        f"web:{tag}"
        for tag in (
            "provider:created",
            "client:created",
            "client:disabled",
            "client:secret_rotated",
            "staff:created",
            "staff:disabled",
            "audit:started",
        )
    )


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


@pytest.mark.parametrize(
    "path",
    [
        "/workstation/audits/au_NOSUCH/status",
        "/workstation/checkpoints/cp_NOSUCH.json",
        "/workstation/clients/c_NOSUCH/rotate",
        "/workstation/clients/c_NOSUCH/disable",
        "/workstation/staff/nobody/disable",
    ],
)
def test_what_does_not_exist_is_a_404_page(clerk, path):
    response = clerk.get(path)

    assert response.status_code == 404 and response.mimetype == "text/html"


def test_a_provider_name_too_long_is_a_422_beside_it(clerk):
    response = post_form(clerk, "/workstation/providers", code="LONG1", name="长" * 201)

    assert response.status_code == 422
    assert "请填写机构名称" in field_error(response.get_data(as_text=True), "name")
    assert count(Provider) == 0


def test_a_nul_in_a_form_is_a_422_not_a_crash(clerk):
    """The app refuses a NUL anywhere in a request before any page sees it."""
    response = post_form(clerk, "/workstation/providers", code="NUL1", name="云阳\x00驾校")

    assert response.status_code == 422 and response.mimetype == "text/html"
    assert count(Provider) == 0


def test_a_forged_cursor_on_the_event_log_is_an_error_page(clerk):
    response = clerk.get("/workstation/events?cursor=forged")

    assert response.status_code == 422 and response.mimetype == "text/html"
