"""Spreadsheet uploads (POST /outcomes/upload) and templates (GET /outcomes/template.xlsx):
CSV and XLSX with Chinese headers, dry runs, all or nothing, replays, ten thousand rows."""

from __future__ import annotations

import io
import time
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.api.helpers import assert_problem, shanghai_tomorrow
from tests.api.uploads import (
    HOURS_HEADER,
    UPLOAD,
    csv_bytes,
    posted,
    provider_bank,
    upload,
    xlsx_bytes,
)

TEMPLATE = "/api/v1/outcomes/template.xlsx"


@pytest.fixture
def bank(api: Any) -> dict[str, Any]:
    return provider_bank(api)


def test_csv_with_chinese_headers_and_a_bom_posts_every_row(api: Any, bank: dict) -> None:
    learner = bank["learners"][0]
    content = csv_bytes(
        HOURS_HEADER,
        [
            [learner, "YYPX-1", "培训学时", "2026-04-15", "theory", "10"],
            [learner, "YYPX-2", "training_hours", "2026/5/20", "theory", "14"],
        ],
    )
    response = upload(api, bank["provider"], content, "学时.csv")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["rows"], body["posted"], body["replayed"]) == (2, 2, 0)
    assert [(line["row"], line["external_ref"]) for line in body["items"]] == [
        (2, "YYPX-1"),
        (3, "YYPX-2"),
    ]
    assert [line["credits"] for line in body["items"]] == ["0.5", "1.0"]  # 10 h, then 24 h
    balance = api.get(f"/api/v1/learners/{learner}/balance", api.workstation).get_json()
    assert balance["by_category"] == {"theory": "1.5"}
    dates = {o["external_ref"]: o["achieved_on"] for o in posted(api, bank["provider_id"])}
    assert dates == {"YYPX-1": "2026-04-15", "YYPX-2": "2026-05-20"}


def test_xlsx_with_chinese_headers_kinds_and_values(api: Any, bank: dict) -> None:
    learner = bank["learners"][0]
    header = [
        "学员编号", "外部编号", "成果类型", "获得日期", "名称", "证书代码", "等级",
        "证书编号", "职业代码", "范围", "名次", "赛事", "课程代码", "学分", "成绩", "院校",
    ]  # fmt: skip
    day = datetime(2026, 3, 1)  # a real date cell, as Excel stores it
    rows = [
        [learner, "C-1", "证书", day, "Web 前端", "1X-WEB", "初级", "WEB-J-1"],
        [learner, "S-1", "技能等级", day, "电工", None, "三级", "DG-1", "6-31-01-03"],
        [learner, "M-1", "竞赛", day, None, None, None, None, None, "国家级", "一等奖", "技能大赛"],
        [learner, "K-1", "课程", day, None, *[None] * 7, "MATH101", 3, 85, "重庆开放大学"],
    ]
    response = upload(api, bank["provider"], xlsx_bytes(header, rows), "outcomes.xlsx")
    assert response.status_code == 201, response.get_json()
    earned = {line["external_ref"]: line["credits"] for line in response.get_json()["items"]}
    assert earned == {"C-1": "2.0", "S-1": "4.0", "M-1": "4.0", "K-1": "3.0"}
    outcomes = {o["external_ref"]: o for o in posted(api, bank["provider_id"])}
    assert outcomes["C-1"]["level"] == "junior"
    assert outcomes["S-1"]["level"] == 3
    assert (outcomes["M-1"]["scope"], outcomes["M-1"]["rank"]) == ("national", 1)
    assert (outcomes["K-1"]["credits"], outcomes["K-1"]["score"]) == ("3.0", 85)
    assert outcomes["K-1"]["achieved_on"] == "2026-03-01"


def test_english_headers_and_a_csv_without_bom(api: Any, bank: dict) -> None:
    learner = bank["learners"][0]
    header = ["learner_id", "external_ref", "kind", "achieved_on", "category", "hours", "姓名"]
    row = [learner, "E-1", "training_hours", "2026-01-02", "practice", "24", "张三"]
    content = csv_bytes(header, [row], bom=False)
    response = upload(api, bank["provider"], content, "hours.csv")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["items"][0]["credits"] == "1.0"


def test_dry_run_reports_every_bad_row_and_writes_nothing(api: Any, bank: dict) -> None:
    learner = bank["learners"][0]
    rows = [
        [learner, "D-1", "培训学时", "2026-04-15", "theory", "10"],  # row 2: good
        [learner, "D-2", "培训学时", "2026-04-15", "theory", "3.25"],  # 3: two places
        ["", "D-3", "培训学时", "2026-04-15", "theory", "10"],  # 4: no learner
        [learner, "D-4", "培训学时", shanghai_tomorrow(), "theory", "10"],  # 5: future
        [learner, "D-5", "魔法", "2026-04-15", "theory", "10"],  # 6: unknown kind
        [learner, "D-1", "培训学时", "2026-04-15", "theory", "10"],  # 7: repeats row 2
        ["L00000000000000000000000000", "D-7", "培训学时", "2026-04-15", "theory", "1"],  # 8
        [learner, "D-8", "培训学时", "2026-04-15", "astrology", "10"],  # 9: no such category
        [],  # an empty line is read past
        [learner, "D-9", "培训学时", "2026-04-15", "theory", "8"],  # 11: good
    ]
    response = upload(api, bank["provider"], csv_bytes(HOURS_HEADER, rows), "x.csv", dry_run="true")
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["dry_run"] is True and report["valid"] is False
    assert report["rows"] == 9  # the empty line is not a row
    found = {(error["row"], error["column"]) for error in report["errors"]}
    assert found == {
        (3, "学时"),
        (4, "学员编号"),
        (5, "获得日期"),
        (6, "成果类型"),
        (7, "外部编号"),
        (8, "学员编号"),
        (9, "类别"),
    }
    assert all(error["message"] for error in report["errors"])
    assert posted(api, bank["provider_id"]) == []


def test_dry_run_of_a_good_file_counts_what_would_happen(api: Any, bank: dict) -> None:
    learner = bank["learners"][0]
    content = csv_bytes(HOURS_HEADER, [[learner, "G-1", "培训学时", "2026-04-15", "theory", "10"]])
    assert upload(api, bank["provider"], content, "a.csv").status_code == 201
    more = csv_bytes(
        HOURS_HEADER,
        [
            [learner, "G-1", "培训学时", "2026-04-15", "theory", "10"],
            [learner, "G-2", "培训学时", "2026-04-16", "theory", "10"],
        ],
    )
    report = upload(api, bank["provider"], more, "b.csv", dry_run="true").get_json()
    assert (report["valid"], report["would_post"], report["would_replay"]) == (True, 1, 1)
    assert len(posted(api, bank["provider_id"])) == 1


def test_one_bad_row_rejects_the_whole_file(api: Any, bank: dict) -> None:
    learner = bank["learners"][0]
    rows = [[learner, f"B-{i}", "培训学时", "2026-04-15", "theory", "10"] for i in range(5)]
    rows[3][5] = "0"
    response = upload(api, bank["provider"], csv_bytes(HOURS_HEADER, rows), "b.csv")
    body = assert_problem(response, 422, "validation_error", "rows.5.学时")
    assert list(body["errors"]) == ["rows.5.学时"]
    assert posted(api, bank["provider_id"]) == []


def test_an_unknown_learner_is_keyed_by_row_and_column(api: Any, bank: dict) -> None:
    learner = bank["learners"][0]
    rows = [
        [learner, "U-1", "培训学时", "2026-04-15", "theory", "10"],
        ["L0NOSUCHLEARNER", "U-2", "培训学时", "2026-04-15", "theory", "10"],
    ]
    response = upload(api, bank["provider"], csv_bytes(HOURS_HEADER, rows), "u.csv")
    assert_problem(response, 422, "unknown_learner", "rows.3.学员编号")
    assert posted(api, bank["provider_id"]) == []


def test_a_replayed_file_answers_200_with_the_original_results(api: Any, bank: dict) -> None:
    learner = bank["learners"][0]
    rows = [[learner, f"R-{i}", "培训学时", "2026-04-15", "theory", "10"] for i in range(3)]
    content = csv_bytes(HOURS_HEADER, rows)
    first = upload(api, bank["provider"], content, "r.csv")
    assert first.status_code == 201
    again = upload(api, bank["provider"], xlsx_bytes(HOURS_HEADER, rows), "r.xlsx")
    assert again.status_code == 200, again.get_json()
    body = again.get_json()
    assert (body["posted"], body["replayed"]) == (0, 3)
    original = [(line["outcome_id"], line["credits"]) for line in first.get_json()["items"]]
    assert [(line["outcome_id"], line["credits"]) for line in body["items"]] == original
    assert all(line["replayed"] for line in body["items"])
    assert len(posted(api, bank["provider_id"])) == 3


def test_a_changed_row_under_a_used_external_ref_is_409_and_nothing_is_written(
    api: Any, bank: dict
) -> None:
    learner = bank["learners"][0]
    rows = [[learner, "C-1", "培训学时", "2026-04-15", "theory", "10"]]
    assert upload(api, bank["provider"], csv_bytes(HOURS_HEADER, rows), "a.csv").status_code == 201
    rows = [
        [learner, "C-2", "培训学时", "2026-04-15", "theory", "10"],
        [learner, "C-1", "培训学时", "2026-04-15", "theory", "12"],
    ]
    response = upload(api, bank["provider"], csv_bytes(HOURS_HEADER, rows), "b.csv")
    assert_problem(response, 409, "idempotency_conflict", "rows.3.外部编号")
    assert [o["external_ref"] for o in posted(api, bank["provider_id"])] == ["C-1"]


def test_ten_thousand_rows_go_through_in_one_request(api: Any, bank: dict) -> None:
    learners = bank["learners"] + [api.new_learner() for _ in range(99)]
    rows = [
        [learners[i % 100], f"T-{i:05d}", "培训学时", "2026-04-15", "theory", "4"]
        for i in range(10_000)
    ]
    started = time.perf_counter()
    response = upload(api, bank["provider"], csv_bytes(HOURS_HEADER, rows), "big.csv")
    elapsed = time.perf_counter() - started
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["rows"], body["posted"], len(body["items"])) == (10_000, 10_000, 10_000)
    # 100 rows of 4 h each per learner: 400 h at 16 h per credit = 25.0
    balance = api.get(f"/api/v1/learners/{learners[7]}/balance", api.workstation).get_json()
    assert balance["total"] == "25.0"
    print(f"10,000 rows uploaded in {elapsed:.1f} s")  # shown with pytest -s


@pytest.mark.parametrize(
    "kind", ["training_hours", "certificate", "skill_level", "competition", "course", "informal"]
)
def test_each_template_downloads_and_goes_back_up(api: Any, bank: dict, kind: str) -> None:
    response = api.get(f"{TEMPLATE}?kind={kind}", bank["provider"])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["学员编号", "外部编号", "成果类型", "获得日期"]
    assert str(sheet["A2"].value).startswith("#")  # the note row
    assert sheet.data_validations.dataValidation  # at least the kind list
    sheet["A3"] = bank["learners"][0]  # fill in a real learner, keep the rest of the example
    buffer = io.BytesIO()
    workbook.save(buffer)
    back = upload(api, bank["provider"], buffer.getvalue(), "filled.xlsx")
    assert back.status_code == 201, back.get_json()
    assert back.get_json()["items"][0]["row"] == 3


def test_a_template_by_its_chinese_kind_lists_the_ruleset_categories(api: Any, bank: dict) -> None:
    response = api.get(f"{TEMPLATE}?kind=培训学时", api.workstation)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    formulas = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert '"practice,theory"' in formulas
    assert_problem(api.get(f"{TEMPLATE}?kind=magic", api.workstation), 422, "validation_error")


def test_what_is_not_a_usable_file_is_422(api: Any, bank: dict) -> None:
    provider = bank["provider"]
    no_file = api.post(UPLOAD, provider, data={}, content_type="multipart/form-data")
    assert_problem(no_file, 422, "validation_error", "file")
    xls = upload(api, provider, b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls")
    assert_problem(xls, 422, "validation_error", "file")
    broken_zip = upload(api, provider, b"PK\x03\x04 not really", "x.xlsx")
    assert_problem(broken_zip, 422, "validation_error", "file")
    header_only = upload(api, provider, csv_bytes(HOURS_HEADER, []), "h.csv")
    assert_problem(header_only, 422, "validation_error", "file")
    unknown = upload(api, provider, csv_bytes(["学员编号", "分数"], [["L1", "3"]]), "u.csv")
    assert_problem(unknown, 422, "validation_error", "rows.1.分数")


def test_only_providers_upload(api: Any, bank: dict) -> None:
    content = csv_bytes(HOURS_HEADER, [])
    assert_problem(upload(api, api.workstation, content, "a.csv"), 403, "forbidden")
    learner = api.learner_headers(bank["learners"][0])
    assert_problem(upload(api, learner, content, "a.csv"), 403, "forbidden")
    assert_problem(api.get(f"{TEMPLATE}?kind=course", learner), 403, "forbidden")


def test_dates_in_the_future_are_refused_whatever_their_spelling(api: Any, bank: dict) -> None:
    learner = bank["learners"][0]
    tomorrow = date.fromisoformat(shanghai_tomorrow())
    spelled = f"{tomorrow.year}年{tomorrow.month}月{tomorrow.day}日"
    rows = [[learner, "F-1", "培训学时", spelled, "theory", "10"]]
    response = upload(api, bank["provider"], csv_bytes(HOURS_HEADER, rows), "f.csv")
    assert_problem(response, 422, "validation_error", "rows.2.获得日期")


def test_xlsx_rows_are_numbered_as_the_sheet_shows_them(api: Any, bank: dict) -> None:
    learner = bank["learners"][0]
    rows = [
        [learner, "N-1", "培训学时", "2026-04-15", "theory", 10],  # row 2
        [],
        [],
        [learner, "N-2", "培训学时", "2026-04-15", "theory", 0],  # row 5: no hours
        [learner, "N-3", "培训学时", "2026-04-15", "theory", 10, None, "备注"],  # row 6: G, H
    ]
    response = upload(api, bank["provider"], xlsx_bytes(HOURS_HEADER, rows), "n.xlsx", dry_run=1)
    report = response.get_json()
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(5, "学时"), (6, "H")]
    assert report["rows"] == 3
