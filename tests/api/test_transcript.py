"""A learner's transcript: JSON, a printable HTML page, a PDF that shows Chinese anywhere
(API.md § A learner's account)."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from decimal import Decimal

import pytest

from tests.api.helpers import assert_problem, national_id

NAME = "欧阳小满"
NATIONAL_ID = national_id(serial="417")
CERT_TITLE = "Web 前端开发职业技能等级证书（初级）"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def post(api, provider, learner, **fields):
    """Post one outcome exactly as given (no defaults) and return its response."""
    body = {"learner_id": learner, "external_ref": f"ref-{uuid.uuid4().hex}", **fields}
    return api.post("/api/v1/outcomes", provider, json=body)


def hours(amount: str, achieved_on: str = "2026-01-10") -> dict[str, str]:
    return {
        "kind": "training_hours",
        "hours": amount,
        "category": "theory",
        "achieved_on": achieved_on,
    }


@pytest.fixture
def record(api):
    """A learner with 3.5 credits over three credited outcomes, one pending and one voided:
    (api, learner_id, provider headers)."""
    api.publish_ruleset()
    learner = api.new_learner(name=NAME, national_id=NATIONAL_ID)
    _, provider = api.new_provider()
    certificate = {"kind": "certificate", "certificate_code": "1X-WEB"}
    responses = [
        post(api, provider, learner, **hours("10", "2026-01-10")),  # 0.5
        post(api, provider, learner, **hours("14", "2026-01-20")),  # +1.0
        post(
            api,
            provider,
            learner,
            **certificate,
            level="junior",
            certificate_no="WEB-J-77",
            achieved_on="2026-02-01",
            title=CERT_TITLE,
        ),  # 2.0
        post(
            api,
            provider,
            learner,
            kind="informal",
            description="社区志愿讲解",
            achieved_on="2026-02-02",
        ),  # pending review
        post(
            api,
            provider,
            learner,
            **certificate,
            level="senior",
            certificate_no="WEB-S-01",
            achieved_on="2026-02-03",
        ),  # 4.0 more, voided below
    ]
    assert [r.status_code for r in responses] == [201] * 5, [r.get_json() for r in responses]
    voided = responses[-1].get_json()["outcome"]["id"]
    void = api.post(f"/api/v1/outcomes/{voided}/void", provider, json={"reason": "录入错误"})
    assert void.status_code == 201, void.get_json()
    return api, learner, provider


def transcript(api, learner, headers, accept: str | None = None):
    extra = {"Accept": accept} if accept else {}
    return api.get(f"/api/v1/learners/{learner}/transcript", {**headers, **extra})


# -- JSON ------------------------------------------------------------------------------------


def test_json_transcript_has_the_learner_the_balance_and_every_credited_outcome(record):
    api, learner, _ = record

    response = transcript(api, learner, api.learner_headers(learner))

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["learner"] == {
        "learner_id": learner,
        "account_number": body["learner"]["account_number"],
        "name": NAME,
        "national_id_masked": body["learner"]["national_id_masked"],
    }
    assert body["learner"]["national_id_masked"].endswith(NATIONAL_ID[-4:])
    assert NATIONAL_ID not in response.get_data(as_text=True)
    assert body["total"] == "3.5"
    assert body["by_category"] == {"certificate": "2.0", "theory": "1.5"}
    assert body["category_labels"]["theory"]["zh"] == "理论"
    assert [line["credits"] for line in body["lines"]] == ["0.5", "1.0", "2.0"]
    assert sum(Decimal(line["credits"]) for line in body["lines"]) == Decimal(body["total"])


def test_each_line_names_the_outcome_the_rule_the_reason_in_words_the_provider_and_dates(record):
    api, learner, _ = record

    lines = transcript(api, learner, api.workstation).get_json()["lines"]

    certificate = lines[2]
    assert certificate["kind"] == "certificate"
    assert certificate["title"] == CERT_TITLE
    assert certificate["details"]["certificate_no"] == "WEB-J-77"
    assert "WEB-J-77" in certificate["summary"]["zh"]
    assert certificate["rule"] == "certificates.1X-WEB.junior"
    assert certificate["ruleset"]["name"] == "测试规则"
    assert certificate["reason"] == "credited"
    assert certificate["reason_text"]["zh"] == "已按转换规则认定学分。"
    assert certificate["reason_text"]["en"].startswith("Credited")
    assert certificate["provider"]["name"].endswith("培训中心")
    assert certificate["achieved_on"] == "2026-02-01"
    assert certificate["recorded_at"] <= certificate["credited_at"]
    hours = lines[0]
    assert hours["rule"] == "hours_per_credit.theory"
    assert "10" in hours["summary"]["zh"] and "学时" in hours["summary"]["zh"]
    assert re.search(r"[\u4e00-\u9fff]", hours["reason_text"]["zh"])


def test_pending_and_voided_outcomes_are_not_on_the_transcript(record):
    api, learner, _ = record

    lines = transcript(api, learner, api.workstation).get_json()["lines"]

    assert {line["kind"] for line in lines} == {"training_hours", "certificate"}
    assert all(line["details"].get("certificate_no") != "WEB-S-01" for line in lines)


def test_a_learner_with_nothing_credited_has_an_empty_transcript(api):
    learner = api.new_learner(name=NAME)

    body = transcript(api, learner, api.learner_headers(learner)).get_json()

    assert (body["total"], body["by_category"], body["lines"]) == ("0.0", {}, [])


def test_an_erased_identity_leaves_a_transcript_without_a_name(record):
    from creditbank.extensions import db
    from creditbank.models import Identity

    api, learner, _ = record
    db.session.delete(db.session.get(Identity, learner))
    db.session.commit()

    body = transcript(api, learner, api.workstation).get_json()

    assert body["learner"]["name"] is None and body["learner"]["national_id_masked"] is None
    assert body["total"] == "3.5"


# -- who may read it -------------------------------------------------------------------------


def test_the_learner_the_workstation_and_the_auditor_read_it(record):
    api, learner, _ = record

    for headers in (api.learner_headers(learner), api.workstation, api.auditor):
        assert transcript(api, learner, headers).status_code == 200


def test_another_learner_and_a_provider_are_refused(record):
    api, learner, provider = record
    other = api.new_learner(password="another secret phrase")

    assert_problem(transcript(api, learner, provider), 403, "forbidden")
    assert_problem(
        transcript(api, learner, api.learner_headers(other, "another secret phrase")),
        403,
        "forbidden",
    )
    assert_problem(transcript(api, learner, {}), 401, "unauthorized")


def test_an_unknown_learner_is_404(api):
    assert_problem(transcript(api, "L-nobody", api.workstation), 404, "not_found")


# -- content negotiation ---------------------------------------------------------------------


@pytest.mark.parametrize("accept", ["text/csv", "application/xml", "image/png"])
def test_an_unsupported_accept_is_406_problem_json(record, accept):
    api, learner, _ = record

    body = assert_problem(transcript(api, learner, api.workstation, accept), 406, "not_acceptable")

    assert "application/pdf" in body["detail"]


def test_a_browser_gets_the_page_and_a_wildcard_gets_json(record):
    api, learner, _ = record

    assert transcript(api, learner, api.workstation, BROWSER_ACCEPT).mimetype == "text/html"
    assert transcript(api, learner, api.workstation, "*/*").mimetype == "application/json"


def test_openapi_documents_the_alternative_media_types_and_406(api):
    document = api.get("/api/v1/openapi.json").get_json()

    operation = document["paths"]["/api/v1/learners/{learner_id}/transcript"]["get"]

    content = operation["responses"]["200"]["content"]
    assert {"application/json", "text/html", "application/pdf"} <= content.keys()
    assert "406" in operation["responses"]


# -- HTML ------------------------------------------------------------------------------------


def test_html_page_shows_the_name_the_amounts_and_the_reasons_without_external_assets(record):
    api, learner, _ = record

    response = transcript(api, learner, api.learner_headers(learner), "text/html")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert NAME in html and CERT_TITLE in html
    for amount in ("3.5", "2.0", "1.5", "1.0", "0.5"):
        assert f">{amount}<" in html, amount
    assert "已按转换规则认定学分。" in html
    assert "@media print" in html
    assert not re.search(r"(src|href)\s*=", html), "the page loads nothing from elsewhere"
    assert NATIONAL_ID not in html


def test_html_escapes_what_providers_wrote(api):
    api.publish_ruleset()
    learner = api.new_learner(name=NAME)
    _, provider = api.new_provider()
    title = '<script>alert("x")</script>'
    assert post(api, provider, learner, **hours("16"), title=title).status_code == 201

    html = transcript(api, learner, api.workstation, "text/html").get_data(as_text=True)

    assert title not in html
    assert "&lt;script&gt;" in html


# -- PDF -------------------------------------------------------------------------------------


def run_tool(name: str, pdf: bytes, tmp_path, *args: str) -> str:
    """Run a poppler-utils tool on the PDF; skip (saying why) when it is not installed."""
    tool = shutil.which(name)
    if tool is None:
        pytest.skip(f"{name} is not installed (Debian: apt-get install poppler-utils)")
    source = tmp_path / "transcript.pdf"
    source.write_bytes(pdf)
    result = subprocess.run(
        [tool, *args], cwd=tmp_path, capture_output=True, check=True, timeout=60
    )
    return result.stdout.decode("utf-8")


def test_pdf_text_holds_the_chinese_name_the_amounts_and_the_reasons(record, tmp_path):
    api, learner, _ = record

    response = transcript(api, learner, api.learner_headers(learner), "application/pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    pdf = response.get_data()
    assert pdf.startswith(b"%PDF-")
    text = run_tool("pdftotext", pdf, tmp_path, "-enc", "UTF-8", "transcript.pdf", "-")
    assert NAME in text
    for amount in ("3.5", "2.0", "1.5", "1.0", "0.5"):
        assert re.search(rf"(?<![\d.]){re.escape(amount)}(?![\d.])", text), amount
    assert "WEB-J-77" in text
    assert "已按转换规则认定学分" in re.sub(r"\s+", "", text)


def pdf_fonts(pdf: bytes, tmp_path) -> list[list[str]]:
    """``pdffonts`` rows: name, type, encoding, emb, sub, uni, object, id."""
    lines = run_tool("pdffonts", pdf, tmp_path, "transcript.pdf").splitlines()
    return [line.split() for line in lines[2:] if line.strip()]


def test_pdf_embeds_a_subset_of_an_installed_cjk_font(record, tmp_path):
    from creditbank.documents.fonts import cjk_font

    if not cjk_font().embedded:
        pytest.skip("no TrueType CJK font installed (Debian: apt-get install fonts-wqy-microhei)")
    api, learner, _ = record

    pdf = transcript(api, learner, api.workstation, "application/pdf").get_data()

    rows = pdf_fonts(pdf, tmp_path)
    embedded_subsets = [row for row in rows if row[-5:-2] == ["yes", "yes", "yes"]]
    assert embedded_subsets, rows  # emb, sub and a ToUnicode map, so text can be extracted
    assert re.match(r"^[A-Z]{6}\+", embedded_subsets[0][0]), rows  # the subset tag
    assert not [row for row in rows if row[-5] == "no"], rows  # nothing left to the viewer


def test_pdf_falls_back_to_the_builtin_cid_font_when_no_cjk_font_is_installed(record, tmp_path):
    from creditbank.documents.fonts import FALLBACK_CID_FONT, fallback_font, find_cjk_font
    from creditbank.documents.pdf import render_transcript_pdf

    api, learner, _ = record
    document = transcript(api, learner, api.workstation).get_json()

    assert find_cjk_font([]) is None  # nothing installed
    pdf = render_transcript_pdf(document, fallback_font())

    rows = pdf_fonts(pdf, tmp_path)
    assert any(row[0] == FALLBACK_CID_FONT and row[-5] == "no" for row in rows), rows
