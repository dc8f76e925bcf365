"""The national conversion record (学分转换记录上报, PROGRAMMES.md § National conversion record):
scenario 7 exactly, as CSV and XLSX, by role and college, by month; on both databases."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.api.helpers import assert_problem, national_id
from tests.api.transfer_documents import (
    approve_the_example,
    decide,
    document_bank,
    post_s1,
    this_month,
    void_and_revoke_ict100,
)
from tests.support.programmes import seed_programme

CSV = "/api/v1/exports/course-conversions.csv"
XLSX = "/api/v1/exports/course-conversions.xlsx"
HEADER = (
    "姓名,身份证号,转换学校代码,原课程来源代码,原专业名称,原课程名称,原办学机构,原教育层次代码,"
    "原教育类别代码,原学分,原学时,原成绩,获得时间,转换后教育层次代码,转换后课程代码,转换后课程名称,"
    "转换后学分,转换时间,转换后专业"
)
# PROGRAMMES.md's five rows, 202612 written M.
ROWS = """\
张三,11010519491231002X,CQ1024,02,待补,Web前端开发职业技能等级证书（高级）,云阳职教中心,21,30,0,0,高级,202606,21,WEB101,Web前端开发,4,M,软件技术
张三,11010519491231002X,CQ1024,02,待补,Web前端开发职业技能等级证书（高级）,云阳职教中心,21,30,0,0,高级,202606,21,JS102,JavaScript程序设计,3,M,软件技术
张三,11010519491231002X,CQ1024,02,待补,全国计算机等级考试二级,云阳职教中心,21,30,0,0,合格,202603,21,ICT100,信息技术基础,2,M,软件技术
张三,11010519491231002X,CQ1024,01,待补,网页制作实训,云阳职教中心,21,30,0,48,合格,202605,21,PRAC201,专业综合实训,3,M,软件技术
张三,11010519491231002X,CQ1024,01,待补,前端项目实训,云阳职教中心,21,30,0,36,合格,202607,21,PRAC201,专业综合实训,3,M,软件技术"""


@pytest.fixture
def bank(api: Any) -> dict[str, Any]:
    return document_bank(api)


def csv_text(response: Any) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())  # Excel reads UTF-8 only with a BOM
    return raw.decode("utf-8")[1:]


def csv_rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(csv_text(response))))


def month_after(month: str) -> str:
    year, number = int(month[:4]), int(month[4:])
    return f"{year + 1}01" if number == 12 else f"{year}{number + 1:02d}"


def month_before(month: str) -> str:
    year, number = int(month[:4]), int(month[4:])
    return f"{year - 1}12" if number == 1 else f"{year}{number - 1:02d}"


def test_scenario_7_the_workstation_s_csv_is_the_header_and_the_five_rows(api, bank):
    approve_the_example(api, bank)

    text = csv_text(api.get(CSV, api.workstation))

    rows = ROWS.replace(",M,", f",{this_month()},").splitlines()
    assert text == "\r\n".join([HEADER, *rows]) + "\r\n"


def test_scenario_7_the_xlsx_keeps_ids_and_codes_as_text_and_amounts_as_numbers(api, bank):
    approve_the_example(api, bank)

    response = api.get(XLSX, api.workstation)

    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames == ["学分转换记录"]
    sheet = book["学分转换记录"]
    rows = list(sheet.iter_rows(values_only=True))
    assert ",".join(rows[0]) == HEADER and len(rows) == 6
    assert (sheet["B2"].value, sheet["B2"].number_format) == ("11010519491231002X", "@")
    assert (sheet["D2"].value, sheet["D2"].number_format) == ("02", "@")
    assert (sheet["R2"].value, sheet["R2"].data_type) == (this_month(), "s")
    for row in sheet.iter_rows(min_row=2):
        for number, cell in enumerate(row, start=1):
            if number in (10, 11, 17):
                assert cell.data_type == "n" and cell.number_format == "General", cell
            else:
                assert cell.data_type == "s" and cell.number_format == "@", cell
    assert [(row[9], row[10], row[16]) for row in rows[1:]] == [
        (0, 0, 4),
        (0, 0, 3),
        (0, 0, 2),
        (0, 48, 3),
        (0, 36, 3),
    ]


def test_an_auditor_and_a_college_see_the_national_id_masked(api, bank):
    approve_the_example(api, bank)

    for headers in (api.auditor, bank["college"]):
        rows = csv_rows(api.get(CSV, headers))[1:]
        assert len(rows) == 5 and {row[1] for row in rows} == {"**************002X"}
        sheet = load_workbook(io.BytesIO(api.get(XLSX, headers).get_data())).active
        assert sheet["B2"].value == "**************002X"


def test_after_the_revocation_ict100_s_row_is_gone(api, bank):
    app_id, ti = approve_the_example(api, bank)
    void_and_revoke_ict100(api, bank, app_id, ti)

    rows = csv_rows(api.get(CSV, api.workstation))

    assert [row[14] for row in rows[1:]] == ["WEB101", "JS102", "PRAC201", "PRAC201"]
    sheet = load_workbook(io.BytesIO(api.get(XLSX, api.workstation).get_data())).active
    assert sheet.max_row == 5


def test_the_month_range_is_the_conversion_month_inclusive(api, bank):
    approve_the_example(api, bank)
    month = this_month()

    def count(query: str) -> int:
        return len(csv_rows(api.get(f"{CSV}?{query}", api.workstation))) - 1

    assert csv_text(api.get(f"{CSV}?from={month_after(month)}", api.workstation)) == HEADER + "\r\n"
    assert count(f"to={month_before(month)}") == 0
    assert count(f"from={month}&to={month}") == 5
    assert count(f"from={month_before(month)}&to={month_after(month)}") == 5
    sheet = load_workbook(
        io.BytesIO(api.get(f"{XLSX}?from={month_after(month)}", api.workstation).get_data())
    ).active
    assert sheet.max_row == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=202613", "from"),
        ("to=2026-12", "to"),
        ("from=202612&to=202611", "to"),
        ("to=000001", "to"),  # no datetime has year 0: a 500 once (schemathesis found it)
        ("from=999912", "from"),  # the month after would be year 10000
    ],
)
def test_a_bad_month_is_a_422_naming_it(api, bank, query, field):
    assert_problem(api.get(f"{CSV}?{query}", api.workstation), 422, "validation_error", field)
    assert_problem(api.get(f"{XLSX}?{query}", api.workstation), 422, "validation_error", field)


def test_a_college_exports_only_its_own_rows_and_may_not_name_another(api, bank):
    approve_the_example(api, bank)
    li = api.new_learner(name="李四", national_id=national_id(serial="611"))
    elsewhere = seed_programme(api, li, school_code="CQ2048", college_name="另一学院")
    o = post_s1(api, bank["provider"], li, tag="li")
    items = [{"course_code": "WEB101", "outcome_ids": [o["CERT"]]}]
    body = {
        "learner_id": li,
        "programme_id": elsewhere.programme_id,
        "external_ref": "L",
        "items": items,
    }
    filed = api.post("/api/v1/applications", api.workstation, json=body).get_json()
    approved = decide(
        api, elsewhere.college, filed["id"], filed["items"][0]["id"], decision="approve"
    )
    assert approved.status_code == 201, approved.get_json()

    own = csv_rows(api.get(CSV, bank["college"]))[1:]
    theirs = csv_rows(api.get(CSV, elsewhere.college))[1:]
    everything = csv_rows(api.get(CSV, api.workstation))[1:]
    one = csv_rows(api.get(f"{CSV}?college_id={elsewhere.college_id}", api.workstation))[1:]
    named = csv_rows(api.get(f"{CSV}?college_id={bank['college_id']}", bank["college"]))[1:]

    assert {row[2] for row in own} == {"CQ1024"} and len(own) == 5
    assert [(row[0], row[2], row[14]) for row in theirs] == [("李四", "CQ2048", "WEB101")]
    assert theirs[0][1].startswith("*") and theirs[0][1].endswith(national_id(serial="611")[-4:])
    assert len(everything) == 6 and one == [everything[-1]]
    assert everything[-1][1] == national_id(serial="611")  # whole, for the workstation
    assert named == own
    for path in (CSV, XLSX):
        refused = api.get(f"{path}?college_id={elsewhere.college_id}", bank["college"])
        assert_problem(refused, 403, "forbidden")


def test_learners_and_providers_may_not_export_it(api, bank):
    for headers in (bank["me"], bank["provider"]):
        assert_problem(api.get(CSV, headers), 403, "forbidden")
        assert_problem(api.get(XLSX, headers), 403, "forbidden")


def test_an_erased_identity_leaves_the_name_and_the_id_empty(api, bank):
    approve_the_example(api, bank)
    erased = api.call("DELETE", f"/api/v1/learners/{bank['learner']}/identity", api.workstation)
    assert erased.status_code == 204

    rows = csv_rows(api.get(CSV, api.workstation))[1:]

    assert len(rows) == 5 and {(row[0], row[1]) for row in rows} == {("", "")}
    assert rows[0][2:5] == ["CQ1024", "02", "待补"]


def test_rows_come_in_decision_order_across_learners_and_pages(api, bank, monkeypatch):
    from creditbank.services import course_conversions

    monkeypatch.setattr(course_conversions, "PAGE", 2)  # keyset across several pages
    approve_the_example(api, bank)
    li = api.new_learner(name="李四", national_id=national_id(serial="722"))
    from creditbank.college_models import Enrolment
    from creditbank.extensions import db

    enrolment = db.session.get(Enrolment, (bank["learner"], bank["pg"]))
    db.session.add(
        Enrolment(
            learner_id=li,
            programme_id=bank["pg"],
            student_no="2026510203009",
            enrolled_on=enrolment.enrolled_on,
            created_at=enrolment.created_at,
        )
    )
    db.session.commit()
    o = post_s1(api, bank["provider"], li, tag="p")
    items = [{"course_code": "ICT100", "outcome_ids": [o["NCRE"]]}]
    body = {"learner_id": li, "programme_id": bank["pg"], "external_ref": "P", "items": items}
    filed = api.post("/api/v1/applications", api.workstation, json=body).get_json()
    decide(api, bank["college"], filed["id"], filed["items"][0]["id"], decision="approve")

    rows = csv_rows(api.get(CSV, api.workstation))[1:]

    assert [(row[0], row[14]) for row in rows] == [
        ("张三", "WEB101"),
        ("张三", "JS102"),
        ("张三", "ICT100"),
        ("张三", "PRAC201"),
        ("张三", "PRAC201"),
        ("李四", "ICT100"),
    ]
