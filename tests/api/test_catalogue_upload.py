"""Catalogues from spreadsheets (PROGRAMMES.md § Endpoints, *Catalogues*): upload, dry run, the
template, and download → edit → upload as the next version."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from creditbank.college_models import CatalogueVersion
from creditbank.extensions import db
from creditbank.models import AuditEvent
from creditbank.transfer import validate_catalogue_document
from tests.api.catalogue_helpers import (
    C1_FORM,
    CATALOGUES,
    XLSX,
    college_headers,
    csv_bytes,
    new_college,
    new_programme,
    publish,
    upload,
)
from tests.api.helpers import assert_problem
from tests.unit.transfer_factories import C1

HEADER = [
    "课程代码",
    "课程名称",
    "学分",
    "课程性质",
    "认定来源",
    "来源代码",
    "最低等级",
    "认定成绩",
]
PUBLISHED_FIELDS = {"id", "programme_id", "version", "published_at", "published_by"}


@pytest.fixture
def programme(api) -> dict[str, Any]:
    college_id = new_college("CQ1024")
    return {"id": new_programme(college_id), "headers": college_headers(api, college_id)}


def document_of(catalogue: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in catalogue.items() if key not in PUBLISHED_FIELDS}


def written() -> tuple[int, int]:
    """Catalogue versions, and audit events, in the database."""
    versions = db.session.scalar(select(func.count()).select_from(CatalogueVersion))
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    return versions or 0, events or 0


def template(api) -> bytes:
    response = api.get(f"{CATALOGUES}/template.xlsx", api.auditor)
    assert response.status_code == 200
    assert response.mimetype == XLSX
    return response.get_data()


def download(api, catalogue_id: str) -> bytes:
    response = api.get(f"{CATALOGUES}/{catalogue_id}", {**api.workstation, "Accept": XLSX})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == XLSX
    return response.get_data()


def test_the_template_is_c1_and_uploads_as_c1(api, programme):
    response = upload(api, programme["id"], programme["headers"], template(api), filename="t.xlsx")

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert document_of(body) == validate_catalogue_document(C1)
    assert body["version"] == 1 and body["programme_id"] == programme["id"]


def test_the_template_has_headers_a_note_row_and_c1s_rows(api):
    sheet = load_workbook(io.BytesIO(template(api))).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]

    assert rows[0][:3] == ["课程代码", "课程名称", "学分"]
    assert str(rows[1][0]).startswith("#")
    assert [row[0] for row in rows[2:]] == [
        "WEB101",
        "JS102",
        "JS102",
        "UI103",
        "ICT100",
        "PRAC201",
        "MATH101",
    ]


def test_a_dry_run_reports_what_would_be_published_and_writes_nothing(api, programme):
    before = written()

    response = upload(api, programme["id"], api.workstation, template(api), dry_run=True)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body == {
        "dry_run": True,
        "valid": True,
        "rows": 7,
        "courses": 6,
        "catalogue": validate_catalogue_document(C1),
        "errors": [],
    }
    assert written() == before


def test_a_dry_run_names_every_bad_row_at_once_and_writes_nothing(api, programme):
    content = csv_bytes(
        HEADER,
        ["WEB101", "Web前端开发", "4", "实践", "证书", "1X-WEB-FRONTEND", "中级", "中级=良好"],
        ["WEB101", "Web前端开发", "5", "实践", "证书", "1X-WEB-FRONTEND", "高级", "优秀"],
        ["ICT100", "信息技术基础", "31", "理论", "证书", "NCRE-2"],
        ["UI103", "网页设计与制作", "2", "实验"],
        ["PRAC201", "专业综合实训", "3", "实践", "学分", "practice"],
        ["MATH101", "高等数学", "4", "理论", "证件", "X", "", "很好"],
    )
    before = written()

    response = upload(
        api, programme["id"], programme["headers"], content, dry_run=True, total_credits="0"
    )

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["valid"], body["rows"], body["courses"], body["catalogue"]) == (False, 6, 5, None)
    assert [(error["row"], error["column"]) for error in body["errors"]] == [
        (None, "total_credits"),
        (3, "学分"),
        (4, "学分"),
        (5, "课程性质"),
        (6, "最低学分"),
        (7, "认定来源"),
    ]
    assert body["errors"][1]["message"] == "Differs from row 2 (4): a course's rows must agree."
    assert written() == before


def test_a_bad_sheet_is_422_keyed_by_row_and_column_and_nothing_is_written(api, programme):
    content = csv_bytes(HEADER, ["A1", "甲", "40"], ["A2", "", "2"], ["A1", "甲", "2"])
    before = written()

    response = upload(api, programme["id"], programme["headers"], content, name=None)

    body = assert_problem(
        response, 422, "validation_error", "name", "rows.2.学分", "rows.3.课程名称"
    )
    assert set(body["errors"]) == {"name", "rows.2.学分", "rows.3.课程名称", "rows.4.学分"}
    assert written() == before


def test_download_edit_and_upload_is_the_next_version(api, programme):
    first = publish(api, programme["id"], programme["headers"]).get_json()
    workbook = load_workbook(io.BytesIO(download(api, first["id"])))
    sheet = workbook.worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    kept = [row for row in rows if row[0] != "UI103"]  # drop a course
    kept[2][2] = 5  # WEB101 is worth 5.0 from now on
    kept.append(["0012", "劳动教育", 1, "实践", "学分", "0012", None, None, None, None, None, "1"])
    edited = Workbook()
    for row in kept:
        edited.active.append(row)
    buffer = io.BytesIO()
    edited.save(buffer)

    response = upload(
        api, programme["id"], programme["headers"], buffer.getvalue(), filename="v2.xlsx"
    )

    assert response.status_code == 201, response.get_json()
    second = response.get_json()
    expected = {**first, "courses": [c for c in first["courses"] if c["code"] != "UI103"]}
    expected["courses"][0] = {**expected["courses"][0], "credits": "5.0"}
    assert second["version"] == 2
    assert second["courses"][:-1] == expected["courses"]
    assert second["courses"][-1]["code"] == "0012"
    assert second["courses"][-1]["equivalences"][0]["category"] == "0012"


def test_a_download_uploads_as_the_same_catalogue_and_keeps_codes_as_text(api, programme):
    courses = [
        *C1["courses"],
        {"code": "0012", "name": "劳动教育", "credits": "1.0", "kind": "practice",
         "equivalences": [{"kind": "skill_level", "occupation_code": "0012", "min_level": 3,
                           "grade": {"1": "优秀", "3": "良好"}},
                          {"kind": "competition", "scopes": ["national", "county"], "max_rank": 2,
                           "online": True}]},
    ]  # fmt: skip
    first = publish(api, programme["id"], api.workstation, courses=courses).get_json()
    content = download(api, first["id"])
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    code_cells = [row[0] for row in sheet.iter_rows(min_row=3) if row[0].value == "0012"]
    assert code_cells and all(c.data_type == "s" and c.number_format == "@" for c in code_cells)

    response = upload(api, programme["id"], api.workstation, content, filename="v1.xlsx")

    assert response.status_code == 201, response.get_json()
    assert document_of(response.get_json()) == document_of(first)


def test_a_gb18030_csv_is_read(api, programme):
    content = "课程代码,课程名称,学分,课程性质\r\nMATH101,高等数学,4,理论\r\n".encode("gb18030")

    response = upload(api, programme["id"], programme["headers"], content)

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["courses"][0]["name"] == "高等数学"


def test_another_colleges_upload_is_403_and_a_missing_programme_404_even_in_a_dry_run(
    api, programme
):
    other = college_headers(api, new_college("CQ2048", "渝西职业学院"))
    content = csv_bytes(HEADER, ["A1", "甲", "2"])

    for dry_run in (False, True):
        response = upload(api, programme["id"], other, content, dry_run=dry_run)
        assert_problem(response, 403, "forbidden")
        missing = upload(api, "pg_01JZZZZZZZZZZZZZZZZZZZZZZZ", api.workstation, content)
        assert_problem(missing, 404, "not_found")
    assert written()[0] == 0


def test_the_form_takes_only_the_documents_fields_and_one_file(api, programme):
    content = csv_bytes(HEADER, ["A1", "甲", "2"])

    response = upload(api, programme["id"], api.workstation, content, colour="red")
    assert_problem(response, 422, "validation_error", "colour")
    no_file = api.post(
        f"/api/v1/programmes/{programme['id']}/catalogues/upload",
        api.workstation,
        data=C1_FORM,
        content_type="multipart/form-data",
    )
    assert_problem(no_file, 422, "validation_error", "file")
    nul = upload(api, programme["id"], api.workstation, content, name="目录\x00")
    assert_problem(nul, 422, "validation_error", "name")


def test_more_than_2000_rows_are_refused(api, programme):
    rows = [["A1", "甲", "2", "", "证书", "NCRE-2"]] * 2001
    content = csv_bytes(HEADER, *rows)

    response = upload(api, programme["id"], api.workstation, content, dry_run=True)

    body = assert_problem(response, 422, "validation_error", "file")
    assert "2000" in body["errors"]["file"][0]
    assert written()[0] == 0
