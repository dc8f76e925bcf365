"""The workstation's review desk (/workstation/reviews): the queue with its filters (names, not
ids; the time waited), an outcome's page with its evidence and the rule's suggestion, approving
within the rule's bounds (an amount outside them is a 422 beside the field, nothing decided),
rejecting with a reason after a confirmation; auditors read and cannot decide."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from creditbank.domain.roles import Role
from creditbank.extensions import db
from creditbank.models import AuditEvent, OutcomeState
from creditbank.services.staff import create_staff
from tests.api.browsers import csrf_token, new_browser, sign_in
from tests.api.deposit_files import deposit_form, pdf_bytes

PASSWORD = "correct horse battery"


@pytest.fixture
def world(api):
    """A learner (张三) with a deposited senior 1X-WEB certificate (the rule: 6.0) and an informal
    outcome a provider posted."""
    api.publish_ruleset()
    learner = api.new_learner(password=PASSWORD)
    headers = api.learner_headers(learner, PASSWORD)
    pdf = pdf_bytes()
    response = api.post(
        f"/api/v1/learners/{learner}/deposits",
        headers,
        data=deposit_form([(pdf, "证书.pdf")]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    _, provider = api.new_provider()
    body = {
        "learner_id": learner,
        "external_ref": "desk-informal-1",
        "kind": "informal",
        "description": "社区志愿服务讲解员",
        "achieved_on": "2026-01-15",
    }
    informal = api.post("/api/v1/outcomes", provider, json=body)
    assert informal.status_code == 201, informal.get_json()
    return {
        "learner": learner,
        "headers": headers,
        "deposit": response.get_json()["outcome"]["id"],
        "informal": informal.get_json()["outcome"]["id"],
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "pdf": pdf,
    }


def signed_in_as(app, role: Role):
    username = f"desk.{role.value}"
    create_staff(username, role, "staff-password-1")
    browser = new_browser(app)
    assert sign_in(browser, username).status_code == 302
    return browser


@pytest.fixture
def clerk(app):
    return signed_in_as(app, Role.WORKSTATION)


@pytest.fixture
def auditor(app):
    return signed_in_as(app, Role.AUDITOR)


def post_form(browser, page: str, action: str, **fields):
    return browser.post(action, data={**fields, "csrf_token": csrf_token(browser, page)})


def status_of(outcome_id: str) -> str:
    db.session.expire_all()
    return db.session.scalar(
        select(OutcomeState.status).where(OutcomeState.outcome_id == outcome_id)
    )


def test_the_queue_names_learners_and_sources_and_filters(world, clerk):
    html = clerk.get("/workstation/reviews").get_data(as_text=True)

    assert "张三" in html and "本人申报" in html and "社区志愿服务讲解员" in html
    text = re.sub(r"<[^>]+>", " ", html)  # what a person reads
    assert world["learner"] not in text and "o_01" not in text  # names, not ids
    assert "0 天" in html
    mine = clerk.get("/workstation/reviews?source=self_declared").get_data(as_text=True)
    assert "Web 前端开发职业技能等级证书" in mine and "社区志愿服务讲解员" not in mine
    informal = clerk.get("/workstation/reviews?kind=informal").get_data(as_text=True)
    assert "社区志愿服务讲解员" in informal and "Web 前端" not in informal
    old = clerk.get("/workstation/reviews?waited=7").get_data(as_text=True)
    assert "没有待审核的成果" in old


def test_an_outcomes_page_shows_its_evidence_and_the_rules_suggestion(world, clerk):
    page = f"/workstation/reviews/{world['deposit']}"

    html = clerk.get(page).get_data(as_text=True)

    link = f"/workstation/evidence/{world['learner']}/{world['sha256']}"
    assert f'href="{link}"' in html and "证书.pdf" in html
    assert '<strong id="suggested-credits">6.0</strong>' in html
    assert 'id="credits" name="credits" value="6.0"' in html
    download = clerk.get(link)
    assert download.data == world["pdf"]
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_an_amount_outside_the_rules_bounds_is_refused_beside_the_field(world, clerk):
    page = f"/workstation/reviews/{world['deposit']}"

    response = post_form(
        clerk, page, f"{page}/approve", credits="6.5", category="certificate", note=""
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'aria-invalid="true" aria-describedby="credits-error"' in html
    assert re.search(r'id="credits-error">须在 0\.0 到 6\.0 之间', html)
    assert status_of(world["deposit"]) == "pending_review"


def test_approving_an_edited_amount_credits_it_as_the_api_would(api, world, clerk):
    page = f"/workstation/reviews/{world['deposit']}"

    response = post_form(
        clerk, page, f"{page}/approve", credits="5.5", category="certificate", note="核验原件"
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/workstation/reviews"
    assert "已批准：授予 5.5 学分。" in clerk.get("/workstation/reviews").get_data(as_text=True)
    balance = api.get(f"/api/v1/learners/{world['learner']}/balance", world["headers"])
    assert balance.get_json()["total"] == "5.5"
    ledger = api.get(f"/api/v1/learners/{world['learner']}/ledger", world["headers"]).get_json()
    review = next(entry for entry in ledger["items"] if entry["kind"] == "review")
    assert review["reviewed_by"] == "staff:desk.workstation" and review["credits"] == "5.5"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.tag == "api:review:decided"))
    assert event.actor == "staff:desk.workstation"
    again = post_form(clerk, page, f"{page}/approve", credits="1.0", category="certificate")
    assert again.status_code == 302  # decided already: said so, nothing done
    assert "该成果已审核过" in clerk.get(page).get_data(as_text=True)


def test_rejecting_needs_a_reason_and_a_confirmation(api, world, clerk):
    page = f"/workstation/reviews/{world['informal']}"
    action = f"{page}/reject"

    missing = post_form(clerk, page, action, reason="")
    confirm = post_form(clerk, page, action, reason="材料不足")

    assert missing.status_code == 422
    assert 'id="reason-error">请填写驳回理由。' in missing.get_data(as_text=True)
    assert confirm.status_code == 200 and "确认驳回" in confirm.get_data(as_text=True)
    assert status_of(world["informal"]) == "pending_review"
    done = post_form(clerk, page, action, reason="材料不足", confirm="1")
    assert done.status_code == 302
    assert status_of(world["informal"]) == "not_credited"


def test_an_auditor_reads_the_desk_but_cannot_decide(world, auditor):
    page = f"/workstation/reviews/{world['deposit']}"

    html = auditor.get(page).get_data(as_text=True)
    refused = post_form(auditor, page, f"{page}/approve", credits="1.0", category="certificate")

    assert "审计员只能查看" in html and 'id="approve"' not in html
    assert refused.status_code == 403
    assert status_of(world["deposit"]) == "pending_review"
    assert (
        auditor.get(f"/workstation/evidence/{world['learner']}/{world['sha256']}").status_code
        == 200
    )


def test_an_unknown_outcome_is_a_404_page(clerk):
    response = clerk.get("/workstation/reviews/o_01JZZZZZZZZZZZZZZZZZZZZZZZ")

    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_the_recent_posts_name_a_deposits_source(world, clerk):
    html = clerk.get("/workstation/outcomes").get_data(as_text=True)

    assert "<td>本人申报</td>" in html and "<td>None</td>" not in html
