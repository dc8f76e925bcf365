"""Numbered documents (docs/verification.md § Document numbers): every transcript handed out as
HTML or PDF gets a number kept with the SHA-256 of its bytes; issuing another supersedes it; the
public verify page and GET /api/v1/documents/<number> say valid, revoked, superseded or unknown
and show the holder only as masked; the PDF prints the number, the QR's URL, the office and
"第 N 页 / 共 M 页" in Chinese labels."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from creditbank.document_models import Document
from creditbank.domain.document_numbers import parse_document_number
from creditbank.extensions import db
from creditbank.models import AuditEvent
from tests.api.documents_helpers import (
    HTML,
    NAME,
    NATIONAL_ID,
    OFFICE,
    another_id,
    issue_transcript,
    learner_with_credits,
    verify_status,
)
from tests.api.helpers import assert_problem
from tests.api.transfer_documents import pdf_text


def stored(number: str) -> Document:
    db.session.expire_all()
    return db.session.scalars(select(Document).where(Document.number == number)).one()


def test_each_issued_transcript_gets_its_own_checked_number_stored_with_its_hash(api):
    learner = learner_with_credits(api)
    other = learner_with_credits(api, another_id())

    numbers = []
    for who, media in ((learner, "application/pdf"), (other, HTML), (learner, HTML)):
        number, content = issue_transcript(api, who, media)
        document = stored(number)
        assert document.sha256 == hashlib.sha256(content).hexdigest()
        assert (document.kind, document.learner_id, document.media_type) == (
            "transcript",
            who,
            media,
        )
        assert parse_document_number(number) is not None
        numbers.append(number)

    assert len(set(numbers)) == 3
    assert numbers[0].startswith("YY-T-")
    # One wrong digit: the check character catches it before any lookup.
    typo = numbers[0][:-3] + str((int(numbers[0][-3]) + 1) % 10) + numbers[0][-2:]
    assert parse_document_number(typo) is None


def test_reissuing_a_transcript_supersedes_the_previous_one(api):
    learner = learner_with_credits(api)
    first, _ = issue_transcript(api, learner)
    second, _ = issue_transcript(api, learner, HTML)

    old = stored(first)
    assert (old.status, old.superseded_by) == ("superseded", second)
    assert stored(second).status == "valid"
    status, state, page = verify_status(api.client, first)
    assert (status, state) == (200, "superseded")
    assert f"/verify/{second}" in page


def test_the_verify_page_says_valid_then_revoked_and_shows_only_the_masked_holder(api):
    learner = learner_with_credits(api)
    number, _ = issue_transcript(api, learner)

    status, state, page = verify_status(api.client, number)
    assert (status, state) == (200, "valid")
    assert "欧**满" in page and NAME not in page
    assert NATIONAL_ID not in page and NATIONAL_ID[-4:] in page
    assert "学分认定成绩单" in page and OFFICE in page

    response = api.post(
        f"/api/v1/documents/{number}/revoke", api.workstation, json={"reason": "信息有误"}
    )
    assert response.status_code == 200, response.get_json()
    assert verify_status(api.client, number)[:2] == (200, "revoked")
    events = db.session.scalars(select(AuditEvent.tag).where(AuditEvent.subject_id == learner))
    assert {"api:document:issued", "api:document:revoked"} <= set(events)

    again = api.post(f"/api/v1/documents/{number}/revoke", api.workstation, json={"reason": "x"})
    assert_problem(again, 409, "document_revoked")


def test_an_unknown_or_malformed_number_is_a_404_page(api):
    learner_with_credits(api)
    for number in ("YY-T-2026-9999990", "not-a-number", "YY-T-2026-0000011"):
        status, state, page = verify_status(api.client, number)
        assert (status, state) == (404, "unknown"), number
        assert "未找到" in page


def test_the_status_api_is_public_and_in_the_openapi_document(api):
    learner = learner_with_credits(api)
    number, content = issue_transcript(api, learner)

    body = api.get(f"/api/v1/documents/{number}").get_json()  # no token
    assert body["status"] == "valid" and body["kind"] == "transcript"
    assert body["holder"] == {
        "name_masked": "欧**满",
        "national_id_masked": body["holder"]["national_id_masked"],
    }
    assert NATIONAL_ID not in str(body) and NAME not in str(body)
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert api.get("/api/v1/documents/YY-T-2026-9999990").status_code == 404
    operation = api.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/documents/{number}"]
    assert operation["get"].get("security", []) == []


def test_only_the_workstation_revokes_and_a_reason_is_required(api):
    learner = learner_with_credits(api)
    number, _ = issue_transcript(api, learner)
    path = f"/api/v1/documents/{number}/revoke"

    assert api.post(path, api.auditor, json={"reason": "x"}).status_code == 403
    assert api.post(path, api.learner_headers(learner), json={"reason": "x"}).status_code == 403
    assert api.post(path, api.workstation, json={"reason": "  "}).status_code == 422
    assert stored(number).status == "valid"


def test_the_pdf_prints_the_number_the_url_the_office_and_page_n_of_m_in_chinese(api, tmp_path):
    learner = learner_with_credits(api)
    number, pdf = issue_transcript(api, learner)
    text = pdf_text(pdf, tmp_path)

    assert number in text
    assert f"http://localhost/verify/{number}" in text
    assert OFFICE in text
    assert "第 1 页 / 共 1 页" in text
    assert "出具单位（盖章）" in text
    assert "理论" in text and "实践" in text
    for code in ("theory", "practice", "training_hours"):
        assert code not in text, code


def test_the_html_transcript_shows_the_number_the_qr_code_and_the_url(api):
    learner = learner_with_credits(api)
    number, page = issue_transcript(api, learner, HTML)
    html = page.decode("utf-8")

    assert number in html
    assert f"http://localhost/verify/{number}" in html
    assert '<svg role="img" aria-label="核验二维码"' in html


def test_a_certificate_is_numbered_supersedes_its_last_issue_and_prints_chinese(api, tmp_path):
    from tests.api.transfer_documents import approve_the_example, document_bank

    bank = document_bank(api)
    app_id, _ = approve_the_example(api, bank)
    path = f"/api/v1/applications/{app_id}/certificate"
    first = api.get(path, {**bank["college"], "Accept": "application/pdf"})
    number = first.headers["X-Document-Number"]
    assert number.startswith("YY-C-")
    document = stored(number)
    assert (document.kind, document.subject_id) == ("certificate", app_id)
    assert document.sha256 == hashlib.sha256(first.get_data()).hexdigest()

    text = pdf_text(first.get_data(), tmp_path)
    assert number in text and f"http://localhost/verify/{number}" in text
    assert OFFICE in text and "第 1 页 / 共" in text
    assert "理论" in text or "实践" in text
    for code in ("theory", "practice"):
        assert code not in text, code
    # Nothing long is broken inside a word: headers at their space, hashes between groups.
    assert "Grade" in text.split()
    courses = api.get(path, bank["college"]).get_json()["courses"]
    for course in courses:
        digest = course["entry"]["hash"]
        for start in range(0, 64, 16):
            assert digest[start : start + 16] in text.split(), digest

    second = api.get(path, {**bank["college"], "Accept": HTML}).headers["X-Document-Number"]
    assert stored(number).superseded_by == second
