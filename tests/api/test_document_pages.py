"""The documents' pages: the workstation's list of a learner's documents with revocation after
a confirmation (a reason beside the field when missing, 422, nothing changed; an auditor reads
but may not revoke), and the learner's downloads page."""

from __future__ import annotations

import re

from sqlalchemy import select

from creditbank.document_models import Document
from creditbank.domain.roles import Role
from creditbank.extensions import db
from creditbank.models import AuditEvent
from creditbank.services.staff import create_staff
from tests.api.browsers import csrf_token, new_browser, sign_in
from tests.api.documents_helpers import (
    HTML,
    issue_transcript,
    learner_with_credits,
    verify_status,
)

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a much better password"


def staff_browser(app, username: str, role: Role):
    create_staff(username, role, "staff-password-1")
    browser = new_browser(app)
    assert sign_in(browser, username).status_code == 302
    return browser


def status_of(number: str) -> str:
    db.session.expire_all()
    return db.session.scalars(select(Document.status).where(Document.number == number)).one()


def test_the_workstation_lists_and_revokes_a_document_after_confirming(api):
    learner = learner_with_credits(api)
    first, _ = issue_transcript(api, learner)
    second, _ = issue_transcript(api, learner, HTML)
    browser = staff_browser(api.app, "li.ming", Role.WORKSTATION)
    page = browser.get(f"/workstation/learners/{learner}/documents")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert first in html and second in html and "已被新版本取代" in html
    assert "欧阳小满" in html

    confirm = f"/workstation/learners/{learner}/documents/{second}/revoke"
    assert f'href="{confirm}"' in html
    form = browser.get(confirm)
    assert form.status_code == 200 and "确认撤销" in form.get_data(as_text=True)

    token = csrf_token(browser, confirm)
    missing = browser.post(confirm, data={"csrf_token": token, "reason": " "})
    text = missing.get_data(as_text=True)
    assert missing.status_code == 422
    assert 'aria-invalid="true"' in text and 'aria-describedby="reason-error"' in text
    assert status_of(second) == "valid"

    done = browser.post(confirm, data={"csrf_token": token, "reason": "姓名有误"})
    assert done.status_code == 302
    after = browser.get(done.headers["Location"]).get_data(as_text=True)
    assert f"已撤销文件 {second}" in after
    assert status_of(second) == "revoked"
    assert verify_status(api.client, second)[:2] == (200, "revoked")
    actors = db.session.scalars(
        select(AuditEvent.actor).where(AuditEvent.tag == "api:document:revoked")
    )
    assert "staff:li.ming" in set(actors)


def test_an_auditor_sees_the_documents_but_cannot_revoke(api):
    learner = learner_with_credits(api)
    number, _ = issue_transcript(api, learner)
    browser = staff_browser(api.app, "zhao.shen", Role.AUDITOR)
    page = browser.get(f"/workstation/learners/{learner}/documents").get_data(as_text=True)
    assert number in page and "撤销…" not in page

    confirm = f"/workstation/learners/{learner}/documents/{number}/revoke"
    token = csrf_token(browser, f"/workstation/learners/{learner}/documents")
    assert browser.post(confirm, data={"csrf_token": token, "reason": "x"}).status_code == 403
    assert status_of(number) == "valid"


def test_the_workstation_revokes_the_credential_after_confirming(api):
    learner = learner_with_credits(api)
    api.get(f"/api/v1/learners/{learner}/credential", api.workstation)
    browser = staff_browser(api.app, "li.ming", Role.WORKSTATION)
    page = f"/workstation/learners/{learner}/documents"
    assert 'data-status="valid"' in browser.get(page).get_data(as_text=True)

    confirm = f"/workstation/learners/{learner}/credential/revoke"
    token = csrf_token(browser, confirm)
    assert browser.post(confirm, data={"csrf_token": token, "reason": ""}).status_code == 422
    done = browser.post(confirm, data={"csrf_token": token, "reason": "证书造假"})
    assert done.status_code == 302
    assert 'data-status="revoked"' in browser.get(page).get_data(as_text=True)


def learner_browser(app, learner: str):
    browser = new_browser(app)
    token = csrf_token(browser, "/learner/login")
    form = {"username": learner, "password": PASSWORD, "csrf_token": token}
    assert browser.post("/learner/login", data=form).status_code == 302
    token = csrf_token(browser, "/learner/password")
    change = {
        "old_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD,
        "csrf_token": token,
    }
    assert browser.post("/learner/password", data=change).status_code == 302
    return browser


def test_the_learner_downloads_a_transcript_and_sees_its_qr_code(api):
    learner = learner_with_credits(api)
    browser = learner_browser(api.app, learner)
    home = browser.get("/learner/").get_data(as_text=True)
    assert 'href="/learner/documents"' in home

    before = browser.get("/learner/documents").get_data(as_text=True)
    assert "下载后这里会显示它的核验二维码" in before

    pdf = browser.get("/learner/documents/transcript.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    number = re.search(r"transcript-(\S+)\.pdf", pdf.headers["Content-Disposition"]).group(1)
    page = browser.get("/learner/documents").get_data(as_text=True)
    assert number in page and f"http://localhost/verify/{number}" in page
    assert "<svg" in page

    jwt = browser.get("/learner/documents/credential.jwt")
    assert jwt.status_code == 200 and jwt.mimetype == "application/vc+jwt"
    assert jwt.get_data(as_text=True).count(".") == 2


def test_the_documents_list_is_paged_by_keyset(api):
    learner = learner_with_credits(api)
    numbers = [issue_transcript(api, learner, HTML)[0] for _ in range(22)]
    browser = staff_browser(api.app, "li.ming", Role.WORKSTATION)
    first = browser.get(f"/workstation/learners/{learner}/documents").get_data(as_text=True)
    assert numbers[-1] in first and numbers[0] not in first
    more = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = browser.get(more).get_data(as_text=True)
    assert numbers[0] in second and numbers[1] in second and numbers[-1] not in second
    assert 'rel="next"' not in second
    assert browser.get(f"/workstation/learners/{learner}/documents?cursor=%%%").status_code == 422
