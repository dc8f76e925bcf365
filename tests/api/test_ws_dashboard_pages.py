"""The workstation's dashboard and audits pages through Flask's test client: the figures are
the database's, the chart is an SVG without script, an audit started on the page runs to its
report and its signed checkpoint downloads as the API gives it, a running audit's page refreshes
itself (and can be told not to)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from creditbank.conversion import SHANGHAI
from creditbank.extensions import db
from creditbank.models import Audit, AuditEvent, OutcomeState
from creditbank.services.transaction import utcnow
from tests.api.ws_pages import (
    AUDITOR,
    CLERK,
    auditor,
    clerk,
    count,
    field_error,
    page,
    post_form,
    section,
    seed_posts,
)

__all__ = ["auditor", "clerk"]  # fixtures


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
    finished = clerk.get(status_path)
    result = finished.get_data(as_text=True)
    assert "审计已完成：通过" in result and 'id="audit-status">通过' in result
    assert "Refresh" not in finished.headers
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

    running = clerk.get(f"/workstation/audits/{audit.id}/status")
    html = running.get_data(as_text=True)

    assert running.headers["Refresh"] == "2"
    assert "<progress" in html and "审计进行中" in html and "<script" not in html


def test_the_refreshing_can_be_turned_off(clerk):
    from creditbank.domain.ids import new_id

    audit = Audit(id=new_id("au"), status="running", started_at=utcnow(), heartbeat_at=utcnow())
    db.session.add(audit)
    db.session.commit()

    stopped = clerk.get(f"/workstation/audits/{audit.id}/status?refresh=off")

    assert "Refresh" not in stopped.headers
    assert "已停止自动刷新" in stopped.get_data(as_text=True)
