"""POST /api/v1/learners/{id}/deposits and GET …/evidence/{sha256}: a learner declares an outcome
with evidence files; the files' type is judged by their bytes, their SHA-256 is bound into the
outcome's journal entry, a refusal writes nothing, and only that learner and staff read them."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from creditbank.evidence_models import Evidence
from creditbank.extensions import db
from creditbank.models import AuditEvent, JournalEntry, OutcomeState
from tests.api.deposit_files import deposit_form, pdf_bytes, png_bytes
from tests.api.helpers import assert_problem, ledger_of

PASSWORD = "correct horse battery"
TEN_MB = 10 * 1024 * 1024


@pytest.fixture
def learner(api):
    api.publish_ruleset()
    learner_id = api.new_learner(password=PASSWORD)
    return learner_id, api.learner_headers(learner_id, PASSWORD)


def deposit(api, learner_id, headers, files, **fields):
    return api.post(
        f"/api/v1/learners/{learner_id}/deposits",
        headers,
        data=deposit_form(files, **fields),
        content_type="multipart/form-data",
    )


def files_on_disk(api) -> list[str]:
    folder = api.app.extensions["creditbank.settings"].instance_path / "evidence"
    return sorted(path.name for path in folder.rglob("*") if path.is_file())


def counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(table))
        for table in (Evidence, JournalEntry, OutcomeState, AuditEvent)
    )


def test_a_deposit_waits_for_review_and_binds_its_files_into_the_journal(api, learner):
    learner_id, headers = learner
    pdf, png = pdf_bytes(), png_bytes()

    response = deposit(api, learner_id, headers, [(pdf, "证书.pdf"), (png, "photo.png")])

    assert response.status_code == 201, response.get_json()
    outcome = response.get_json()["outcome"]
    assert outcome["status"] == "pending_review"
    assert outcome["source"] == "self_declared"
    assert outcome["provider_id"] is None
    assert outcome["issuer"] == "工业和信息化部教育与考试中心"
    hashes = sorted(hashlib.sha256(data).hexdigest() for data in (pdf, png))
    assert outcome["evidence"] == hashes
    entry = next(e for e in ledger_of(api, learner_id, headers) if e["kind"] == "outcome")
    assert entry["evidence"] == hashes
    assert entry["self_declared"] is True
    assert files_on_disk(api) == hashes  # content-addressed: named by their SHA-256
    assert response.get_json()["credits"] == []
    pending = api.get("/api/v1/reviews?status=pending", api.workstation).get_json()["items"]
    assert [item["id"] for item in pending] == [outcome["id"]]


def test_a_certificate_with_a_rule_is_still_reviewed_and_then_credited(api, learner):
    learner_id, headers = learner
    outcome = deposit(api, learner_id, headers, [(pdf_bytes(), "c.pdf")]).get_json()["outcome"]

    decided = api.post(
        f"/api/v1/reviews/{outcome['id']}",
        api.workstation,
        json={"credits": "5.0", "category": "certificate", "note": "核验原件"},
    )

    assert decided.status_code == 201, decided.get_json()
    balance = api.get(f"/api/v1/learners/{learner_id}/balance", headers).get_json()
    assert balance["total"] == "5.0"


def test_the_learner_and_staff_read_a_file_back_as_an_attachment(api, learner):
    learner_id, headers = learner
    pdf = pdf_bytes()
    deposit(api, learner_id, headers, [(pdf, "证书.pdf")])
    path = f"/api/v1/learners/{learner_id}/evidence/{hashlib.sha256(pdf).hexdigest()}"

    for reader in (headers, api.workstation, api.auditor):
        response = api.get(path, reader)
        assert response.status_code == 200
        assert response.data == pdf
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_provider_or_another_learner_can_neither_deposit_nor_read(api, learner):
    learner_id, headers = learner
    pdf = pdf_bytes()
    deposit(api, learner_id, headers, [(pdf, "c.pdf")])
    path = f"/api/v1/learners/{learner_id}/evidence/{hashlib.sha256(pdf).hexdigest()}"
    _, provider = api.new_provider()
    other = api.new_learner(password=PASSWORD)
    other_headers = api.learner_headers(other, PASSWORD)

    assert api.get(path, provider).status_code == 404
    assert api.get(path, other_headers).status_code == 404
    own_path = f"/api/v1/learners/{other}/evidence/{hashlib.sha256(pdf).hexdigest()}"
    assert api.get(own_path, other_headers).status_code == 404  # not its file
    before = counts()
    assert deposit(api, learner_id, other_headers, [(pdf, "c.pdf")]).status_code == 404
    assert deposit(api, learner_id, provider, [(pdf, "c.pdf")]).status_code == 403
    assert counts() == before


def test_the_workstation_deposits_for_a_learner(api, learner):
    learner_id, _ = learner

    response = deposit(api, learner_id, api.workstation, [(png_bytes(), "scan.png")])

    assert response.status_code == 201, response.get_json()


def test_a_text_file_named_pdf_is_refused_and_nothing_is_written(api, learner):
    learner_id, headers = learner
    before = counts()
    text = b"Just a text file, not a PDF.\n" * 40

    response = deposit(api, learner_id, headers, [(text, "fake.pdf")])

    body = assert_problem(response, 422, "validation_error", "evidence")
    assert "fake.pdf" in body["errors"]["evidence"][0]
    assert counts() == before
    assert files_on_disk(api) == []


def test_a_file_over_10_mb_is_refused_naming_the_field(api, learner):
    learner_id, headers = learner
    too_big = pdf_bytes() + b"\0" * (TEN_MB + 1 - len(pdf_bytes()))
    before = counts()

    response = deposit(api, learner_id, headers, [(too_big, "big.pdf")])

    body = assert_problem(response, 422, "validation_error", "evidence")
    assert "big.pdf" in body["errors"]["evidence"][0]
    assert counts() == before
    assert files_on_disk(api) == []


def test_a_file_of_exactly_10_mb_is_accepted(api, learner):
    learner_id, headers = learner
    pdf = pdf_bytes()
    exactly = pdf + b"\n" * (TEN_MB - len(pdf))

    assert deposit(api, learner_id, headers, [(exactly, "max.pdf")]).status_code == 201


def test_bad_fields_and_a_missing_file_are_422_keyed_by_field(api, learner):
    learner_id, headers = learner
    before = counts()

    response = deposit(api, learner_id, headers, [], achieved_on="2999-01-01", issuer="")

    assert_problem(response, 422, "validation_error", "achieved_on", "issuer", "evidence")
    assert counts() == before


def test_training_hours_need_a_category_named_as_categories_are(api, learner):
    learner_id, headers = learner
    form = {"kind": "training_hours", "hours": "16", "category": "烹饪 课"}
    form.update(certificate_code=None, level=None, certificate_no=None)

    response = deposit(api, learner_id, headers, [(pdf_bytes(), "h.pdf")], **form)

    assert_problem(response, 422, "validation_error", "category")


def test_a_deposit_is_an_audit_event(api, learner):
    learner_id, headers = learner

    deposit(api, learner_id, headers, [(pdf_bytes(), "c.pdf")])

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.tag == "api:outcome:deposited"))
    assert event is not None
    assert event.actor == learner_id
    assert event.subject_id == learner_id


def test_an_audit_replays_deposits_and_their_reviews_and_finds_nothing(api, learner):
    learner_id, headers = learner
    _, provider = api.new_provider()
    api.post_outcome(provider, learner_id, hours="10", category="theory")
    hours = {"kind": "training_hours", "hours": "30", "category": "theory"}
    hours.update(certificate_code=None, level=None, certificate_no=None)
    declared = deposit(api, learner_id, headers, [(pdf_bytes(), "h.pdf")], **hours)
    certificate = deposit(api, learner_id, headers, [(png_bytes(), "c.png")])
    api.post_outcome(provider, learner_id, hours="6", category="theory")
    for posted, credits in ((declared, "1.0"), (certificate, "6.0")):
        body = {"credits": credits, "category": posted.get_json()["outcome"]["category"]}
        outcome_id = posted.get_json()["outcome"]["id"]
        assert (
            api.post(f"/api/v1/reviews/{outcome_id}", api.workstation, json=body).status_code == 201
        )

    audit = api.post("/api/v1/audits", api.workstation, json={}).get_json()

    assert (audit["status"], audit["findings_total"]) == ("passed", 0), audit
    balance = api.get(f"/api/v1/learners/{learner_id}/balance", headers).get_json()
    # 10 h + 6 h from the provider: 1.0 (the declared 30 h never count as hours); 1.0 + 6.0
    # granted by review
    assert balance["total"] == "8.0"


def test_a_credited_deposit_is_self_declared_on_the_transcript(api, learner):
    learner_id, headers = learner
    outcome = deposit(api, learner_id, headers, [(pdf_bytes(), "c.pdf")]).get_json()["outcome"]
    api.post(
        f"/api/v1/reviews/{outcome['id']}",
        api.workstation,
        json={"credits": "5.0", "category": "certificate", "note": "核验原件"},
    )

    transcript = api.get(f"/api/v1/learners/{learner_id}/transcript", headers).get_json()

    [line] = [line for line in transcript["lines"] if line["outcome_id"] == outcome["id"]]
    assert line["provider"]["name"] == "本人申报"


def test_erasing_the_identity_forgets_the_evidence_files_names_but_keeps_the_files(api, learner):
    learner_id, headers = learner
    pdf = pdf_bytes()
    deposit(api, learner_id, headers, [(pdf, "陈晓雨的证书.pdf")])

    erased = api.call("DELETE", f"/api/v1/learners/{learner_id}/identity", api.workstation)

    assert erased.status_code == 204, erased.get_json()
    db.session.expire_all()
    assert db.session.scalars(select(Evidence.original_name)).all() == [""]
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.occurred_at.desc())).first()
    assert "evidence_names" in event.details
    path = f"/api/v1/learners/{learner_id}/evidence/{hashlib.sha256(pdf).hexdigest()}"
    assert api.get(path, api.workstation).data == pdf
