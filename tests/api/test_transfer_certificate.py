"""The conversion certificate (学分转换证明, PROGRAMMES.md § Conversion certificate): scenario
1's, after scenario 5's revocation, scenario 9's refusal, as JSON, HTML and PDF, and who may
read it; on both databases."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.api.helpers import assert_problem, national_id
from tests.api.transfer_documents import (
    approve_the_example,
    decide,
    document_bank,
    ledger,
    pdf_text,
    post_s1,
    void_and_revoke_ict100,
)
from tests.support.programmes import seed_programme

HTML = "text/html"
PDF = "application/pdf"


@pytest.fixture
def bank(api: Any) -> dict[str, Any]:
    return document_bank(api)


def certificate_of(api: Any, app_id: str, headers: dict[str, str], accept: str | None = None):
    extra = {"Accept": accept} if accept else {}
    return api.get(f"/api/v1/applications/{app_id}/certificate", {**headers, **extra})


def test_scenario_1_certificate_lists_the_four_courses_citing_their_ledger_entries(api, bank):
    app_id, _ = approve_the_example(api, bank)
    application = api.get(f"/api/v1/applications/{app_id}", bank["me"]).get_json()

    response = certificate_of(api, app_id, bank["me"])

    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    document = response.get_json()
    year = datetime.now(UTC).astimezone().year
    assert document["certificate_no"] == f"CQ1024-{year}-00001"
    assert (document["revision"], document["issued_at"]) == (0, application["closed_at"])
    from creditbank.context import settings

    assert document["issuer"] == {
        "name": settings().credential_issuer_name,
        "url": settings().issuer_profile_url,
    }
    assert document["college"] == {"school_code": "CQ1024", "name": "渝东北职业技术学院"}
    assert document["programme"] == {
        "code": "510203",
        "name": "软件技术",
        "level_code": "21",
        "level": "专科",
    }
    assert document["learner"] == {
        "learner_id": bank["learner"],
        "name": "张三",
        "national_id_masked": "**************002X",
        "student_no": "2026510203001",
    }
    assert document["application_id"] == app_id
    courses = document["courses"]
    assert [c["course_code"] for c in courses] == ["WEB101", "JS102", "ICT100", "PRAC201"]
    assert (document["total_credits"], document["revoked"]) == ("12.0", [])
    entries = ledger(api, bank["learner"])
    for course, seq in zip(courses, (11, 12, 13, 14), strict=True):
        assert course["entry"] == {"seq": seq, "hash": entries[seq]["hash"]}
        assert entries[seq]["kind"] == "transfer"
        assert entries[seq]["course_code"] == course["course_code"]
        assert course["decided_at"] == entries[seq]["recorded_at"]
    assert courses[0] == {
        "course_code": "WEB101",
        "course_name": "Web前端开发",
        "credits": "4.0",
        "kind": "practice",
        "grade": "优秀",
        "decided_at": courses[0]["decided_at"],
        "sources": [
            {
                "outcome_id": bank["o"]["CERT"],
                "title": "Web前端开发职业技能等级证书（高级）",
                "achieved_on": "2026-06-01",
            }
        ],
        "entry": courses[0]["entry"],
    }
    assert [(s["title"], s["achieved_on"]) for s in courses[3]["sources"]] == [
        ("网页制作实训", "2026-05-15"),
        ("前端项目实训", "2026-07-10"),
    ]
    assert [(c["credits"], c["grade"]) for c in courses[1:]] == [
        ("3.0", "优秀"),
        ("2.0", "合格"),
        ("3.0", "合格"),
    ]


def test_scenario_1_certificate_prints_as_a_page_and_a_pdf(api, bank, tmp_path):
    app_id, _ = approve_the_example(api, bank)
    number = certificate_of(api, app_id, bank["me"]).get_json()["certificate_no"]

    page = certificate_of(api, app_id, bank["me"], HTML)
    pdf = certificate_of(api, app_id, bank["me"], PDF)

    assert page.status_code == 200 and page.mimetype == HTML
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert number in html and "张三" in html and "**************002X" in html
    assert "修订" not in html
    assert "12.0" in html and "JavaScript程序设计" in html
    assert pdf.status_code == 200 and pdf.mimetype == PDF
    assert pdf.get_data().startswith(b"%PDF-")
    text = pdf_text(pdf.get_data(), tmp_path)
    assert number in text and "张三" in text
    assert "修订" not in text
    assert "Web前端开发" in re.sub(r"\s+", "", text)


def test_after_revoking_ict100_the_certificate_is_at_revision_1(api, bank, tmp_path):
    app_id, ti = approve_the_example(api, bank)
    void_and_revoke_ict100(api, bank, app_id, ti)

    document = certificate_of(api, app_id, bank["college"]).get_json()

    assert (document["revision"], document["total_credits"]) == (1, "10.0")
    assert [c["course_code"] for c in document["courses"]] == ["WEB101", "JS102", "PRAC201"]
    reversal = ledger(api, bank["learner"])[17]
    assert reversal["kind"] == "reversal"
    assert document["revoked"] == [
        {
            "course_code": "ICT100",
            "revoked_at": reversal["recorded_at"],
            "reason": "来源证书已被撤销",
            "entry": {"seq": 17, "hash": reversal["hash"]},
        }
    ]
    html = certificate_of(api, app_id, bank["college"], HTML).get_data(as_text=True)
    assert "第1次修订" in html and "来源证书已被撤销" in html
    text = pdf_text(certificate_of(api, app_id, bank["college"], PDF).get_data(), tmp_path)
    assert "第1次修订" in re.sub(r"\s+", "", text)
    assert document["certificate_no"] in text


def test_scenario_9_no_certificate_before_closing_nor_when_nothing_was_approved(api, bank):
    o = bank["o"]
    filing = {"programme_id": bank["pg"], "external_ref": "A", "items": []}
    a = api.post(
        "/api/v1/applications",
        bank["me"],
        json={**filing, "items": [{"course_code": "UI103", "outcome_ids": [o["CERT"]]}]},
    ).get_json()
    assert_problem(certificate_of(api, a["id"], bank["me"]), 409, "certificate_not_issued")
    withdrawn = api.post(f"/api/v1/applications/{a['id']}/withdraw", bank["me"], json={})
    assert withdrawn.get_json()["status"] == "withdrawn"
    assert_problem(certificate_of(api, a["id"], bank["me"]), 409, "certificate_not_issued")

    items = [{"course_code": "WEB101", "outcome_ids": [o["CERT"]]}]
    b = api.post(
        "/api/v1/applications", bank["me"], json={**filing, "external_ref": "B", "items": items}
    ).get_json()
    rejected = decide(
        api, bank["college"], b["id"], b["items"][0]["id"], decision="reject", reason="不符"
    )
    assert rejected.get_json()["application"]["status"] == "closed"

    for accept in (None, HTML, PDF):
        refused = certificate_of(api, b["id"], bank["me"], accept)
        assert_problem(refused, 409, "certificate_not_issued")


def test_the_learner_staff_and_its_college_read_it_others_do_not(api, bank):
    app_id, _ = approve_the_example(api, bank)
    other_learner = api.new_learner(name="李四", national_id=national_id(serial="611"))
    elsewhere = seed_programme(api, other_learner, school_code="CQ2048", college_name="另一学院")

    for headers in (bank["me"], api.workstation, api.auditor, bank["college"]):
        assert certificate_of(api, app_id, headers).status_code == 200
    assert_problem(
        certificate_of(api, app_id, api.learner_headers(other_learner)), 404, "not_found"
    )
    assert_problem(certificate_of(api, app_id, elsewhere.college), 404, "not_found")
    assert_problem(certificate_of(api, app_id, bank["provider"]), 403, "forbidden")
    assert_problem(
        certificate_of(api, "ta_01JZZZZZZZZZZZZZZZZZZZZZZZ", api.workstation), 404, "not_found"
    )


@pytest.mark.parametrize("accept", ["application/xml", "text/csv", "image/png"])
def test_an_unknown_accept_is_406(api, bank, accept):
    app_id, _ = approve_the_example(api, bank)

    assert_problem(certificate_of(api, app_id, bank["me"], accept), 406, "not_acceptable")


def test_an_erased_identity_leaves_the_certificate_without_a_name(api, bank):
    app_id, _ = approve_the_example(api, bank)
    erased = api.call("DELETE", f"/api/v1/learners/{bank['learner']}/identity", api.workstation)
    assert erased.status_code == 204

    document = certificate_of(api, app_id, api.workstation).get_json()
    html = certificate_of(api, app_id, api.workstation, HTML).get_data(as_text=True)

    assert (document["learner"]["name"], document["learner"]["national_id_masked"]) == (None, None)
    assert document["total_credits"] == "12.0"
    assert "（已删除）" in html and "张三" not in html


def test_the_transcript_lists_the_recognised_courses_after_the_bank_credits(api, bank, tmp_path):
    app_id, ti = approve_the_example(api, bank)
    void_and_revoke_ict100(api, bank, app_id, ti)
    path = f"/api/v1/learners/{bank['learner']}/transcript"

    transcript = api.get(path, bank["me"]).get_json()
    page = api.get(path, {**bank["me"], "Accept": HTML}).get_data(as_text=True)
    text = pdf_text(api.get(path, {**bank["me"], "Accept": PDF}).get_data(), tmp_path)

    number = f"CQ1024-{datetime.now(UTC).astimezone().year}-00001"
    courses = transcript["recognised_courses"]
    assert [(c["course_code"], c["credits"], c["grade"]) for c in courses] == [
        ("WEB101", "4.0", "优秀"),
        ("JS102", "3.0", "优秀"),
        ("PRAC201", "3.0", "合格"),
    ]
    assert {c["certificate_no"] for c in courses} == {number}
    assert courses[0]["programme"] == {"code": "510203", "name": "软件技术"}
    assert courses[0]["college"] == {"school_code": "CQ1024", "name": "渝东北职业技术学院"}
    assert page.index("网页制作实训") < page.index("院校课程学分转换") < page.index("PRAC201")
    assert "ICT100" not in page and number in page
    assert "院校课程学分转换" in text and number in text and "PRAC201" in text


def test_a_second_learner_of_the_bank_gets_a_certificate_of_its_own_numbered_next(api, bank):
    first, _ = approve_the_example(api, bank)
    other = api.new_learner(name="王五", national_id=national_id(serial="733"))
    from creditbank.college_models import Enrolment
    from creditbank.extensions import db

    db.session.add(
        Enrolment(
            learner_id=other,
            programme_id=bank["pg"],
            student_no="2026510203002",
            enrolled_on=datetime(2026, 9, 1).date(),
            created_at=datetime.now(UTC),
        )
    )
    db.session.commit()
    o = post_s1(api, bank["provider"], other, tag="w5")
    items = [{"course_code": "ICT100", "outcome_ids": [o["NCRE"]]}]
    filed = api.post(
        "/api/v1/applications",
        api.workstation,
        json={"learner_id": other, "programme_id": bank["pg"], "external_ref": "W", "items": items},
    ).get_json()
    decide(api, bank["college"], filed["id"], filed["items"][0]["id"], decision="approve")

    mine = certificate_of(api, first, bank["me"]).get_json()
    theirs = certificate_of(api, filed["id"], api.workstation).get_json()

    assert theirs["certificate_no"].endswith("-00002") and mine["certificate_no"].endswith("-00001")
    assert (theirs["learner"]["name"], theirs["learner"]["student_no"]) == ("王五", "2026510203002")
    assert [c["course_code"] for c in theirs["courses"]] == ["ICT100"]
    assert (
        theirs["courses"][0]["entry"]["hash"] == ledger(api, other)[max(ledger(api, other))]["hash"]
    )
