"""Workstation exports: the national conversion record (CSV) and balances (XLSX)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.api.helpers import assert_problem, national_id

CONVERSIONS = "/api/v1/exports/conversions.csv"
BALANCES = "/api/v1/exports/balances.xlsx"


def read_csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel reads UTF-8 only with a BOM
    return list(csv.DictReader(io.StringIO(text[1:])))


@pytest.fixture
def bank(api: Any) -> dict[str, Any]:
    """Two learners (one with a national ID), a provider, and outcomes of several kinds."""
    api.publish_ruleset(
        hours_per_credit={"theory": "16", "practice": "24"},
        certificates={"1X-WEB": {"senior": "6.0"}},
    )
    provider_id, provider = api.new_provider("YYZJ")
    zhang = api.new_learner(name="张三", national_id=national_id(serial="123"))
    li = api.new_learner(name="李四")
    hours = {"kind": "training_hours", "category": "theory", "achieved_on": "2026-01-15"}
    posts = [
        (zhang, {**hours, "external_ref": "H-1", "hours": "16", "title": "安全生产培训"}),
        (zhang, {**hours, "external_ref": "H-2", "hours": "4"}),  # accumulating: 0 so far
        (
            zhang,
            {
                "external_ref": "C-1",
                "kind": "certificate",
                "certificate_code": "1X-WEB",
                "level": "senior",
                "certificate_no": "WEB-S-1",
                "achieved_on": "2026-03-08",
            },
        ),
        (
            li,
            {
                "external_ref": "K-1",
                "kind": "course",
                "course_code": "=HYPERLINK(1)",
                "credits": "3.0",
                "score": 85,
                "institution": "重庆开放大学",
                "category": "general",
                "achieved_on": "2026-02-01",
            },
        ),
        (
            li,
            {
                "external_ref": "I-1",
                "kind": "informal",
                "description": "志愿服务",
                "achieved_on": "2026-02-01",
            },
        ),
    ]
    for learner, body in posts:
        response = api.post("/api/v1/outcomes", provider, json={"learner_id": learner, **body})
        assert response.status_code == 201, response.get_json()
    return {"zhang": zhang, "li": li, "provider": provider, "provider_id": provider_id}


def test_the_conversion_record_has_one_row_per_converted_outcome(api: Any, bank: dict) -> None:
    rows = read_csv(api.get(CONVERSIONS, api.workstation))
    by_ref = {(row["学员编号"], row["原课程/证书名称"]): row for row in rows}
    assert len(rows) == 3  # the hours still accumulating and the informal one are not converted
    hours = by_ref[(bank["zhang"], "安全生产培训")]
    assert hours["成果类型"] == "培训学时"
    assert hours["学时"] == "16.0"
    assert hours["转换学分"] == "1.0"
    assert hours["获得年月"] == "202601"
    assert hours["机构"] == hours["登记机构"] == "YYZJ 培训中心"
    assert hours["姓名"] == "张三"
    assert hours["身份证号"] == national_id(serial="123")  # the workstation sees it whole
    certificate = next(row for row in rows if row["原课程/证书代码"] == "1X-WEB")
    assert (certificate["等级"], certificate["证书编号"], certificate["转换学分"]) == (
        "高级",
        "WEB-S-1",
        "6.0",
    )
    assert certificate["获得年月"] == "202603"
    course = next(row for row in rows if row["学员编号"] == bank["li"])
    assert (course["原学分"], course["成绩"], course["机构"]) == ("3.0", "85", "重庆开放大学")
    assert course["原课程/证书代码"] == "'=HYPERLINK(1)"  # never a live formula
    assert course["身份证号"] == ""
    assert course["转换课程"]  # the category, in words
    assert len(course["转换日期"]) == 10


def test_auditors_see_the_national_id_masked(api: Any, bank: dict) -> None:
    rows = read_csv(api.get(CONVERSIONS, api.auditor))
    ids = {row["身份证号"] for row in rows if row["学员编号"] == bank["zhang"]}
    whole = national_id(serial="123")
    assert ids == {f"**************{whole[-4:]}"}


def test_a_voided_outcome_leaves_the_record(api: Any, bank: dict) -> None:
    outcomes = api.get(f"/api/v1/outcomes?learner_id={bank['li']}", api.workstation).get_json()
    course = next(o for o in outcomes["items"] if o["kind"] == "course")
    voided = api.post(
        f"/api/v1/outcomes/{course['id']}/void", bank["provider"], json={"reason": "录入错误"}
    )
    assert voided.status_code == 201
    rows = read_csv(api.get(CONVERSIONS, api.workstation))
    assert bank["li"] not in {row["学员编号"] for row in rows}


def test_the_record_streams_past_one_page(api: Any, bank: dict, monkeypatch) -> None:
    from creditbank.services import exports

    monkeypatch.setattr(exports, "PAGE", 2)
    rows = read_csv(api.get(CONVERSIONS, api.workstation))
    assert len(rows) == 3
    assert len({row["成果编号"] for row in rows}) == 3


def test_balances_per_learner_and_category(api: Any, bank: dict) -> None:
    response = api.get(BALANCES, api.auditor)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = rows[0]
    assert header[:4] == ["学员编号", "姓名", "身份证号", "总学分"]
    by_learner = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_learner) == {bank["zhang"], bank["li"]}
    zhang = by_learner[bank["zhang"]]
    assert zhang["姓名"] == "张三"
    assert float(zhang["总学分"]) == 7.0
    theory = next(name for name in header if name.endswith("（theory）"))
    certificate = next(name for name in header if name.endswith("（certificate）"))
    assert (float(zhang[theory]), float(zhang[certificate])) == (1.0, 6.0)
    assert "*" in zhang["身份证号"]  # balances carry only the masked form
    li = by_learner[bank["li"]]
    assert float(li["总学分"]) == 3.0
    assert float(li[theory]) == 0.0
    for learner_id in by_learner:
        balance = api.get(f"/api/v1/learners/{learner_id}/balance", api.workstation).get_json()
        assert float(by_learner[learner_id]["总学分"]) == float(balance["total"])


@pytest.mark.parametrize("path", [CONVERSIONS, BALANCES])
def test_exports_are_for_staff(api: Any, bank: dict, path: str) -> None:
    assert_problem(api.get(path, bank["provider"]), 403, "forbidden")
    learner = api.new_learner(password="correct horse battery")
    assert_problem(api.get(path, api.learner_headers(learner)), 403, "forbidden")
    assert_problem(api.get(path), 401, "unauthorized")


SHEET = "/api/v1/exports/conversions.xlsx"


def _sheet(response: Any) -> Any:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data)).worksheets[0]


def test_the_record_as_xlsx_keeps_every_digit_of_a_national_id(api: Any, bank: dict) -> None:
    """Excel turns an 18-digit ID in a CSV into 5.00235199001011E+17; in the XLSX it is a
    text cell in the Text format, so it stays whole however the file is opened and saved."""
    sheet = _sheet(api.get(SHEET, api.workstation))
    header = [cell.value for cell in sheet[1]]
    assert header == [row for row in read_csv(api.get(CONVERSIONS, api.workstation))[0]]
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]
    zhang = [row for row in rows if row["学员编号"].value == bank["zhang"]]
    assert {row["身份证号"].value for row in zhang} == {national_id(serial="123")}
    for row in rows:
        for title in ("学员编号", "身份证号", "证书编号", "获得年月", "成果编号"):
            cell = row[title]
            if cell.value is not None:
                assert (cell.data_type, cell.number_format) == ("s", "@"), (title, cell.value)
    course = next(row for row in rows if row["学员编号"].value == bank["li"])
    assert course["原课程/证书代码"].value == "=HYPERLINK(1)"  # text, never a live formula
    assert course["原课程/证书代码"].data_type == "s"
    assert sheet.freeze_panes == "A2"


def test_balances_xlsx_is_laid_out_for_a_clerk(api: Any, bank: dict) -> None:
    sheet = _sheet(api.get(BALANCES, api.workstation))
    header = [cell.value for cell in sheet[1]]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    widths = {
        title: sheet.column_dimensions[cell.column_letter].width
        for title, cell in zip(header, sheet[1], strict=True)
    }
    assert widths["身份证号"] >= 18 and widths["学员编号"] >= 14
    assert "开户时间" in header and "总学分" in header
    assert all(not title.isascii() for title in header)  # every title in Chinese


def test_the_xlsx_record_is_for_staff(api: Any, bank: dict) -> None:
    assert_problem(api.get(SHEET, bank["provider"]), 403, "forbidden")
    assert_problem(api.get(SHEET), 401, "unauthorized")
