"""A catalogue's sheet (PROGRAMMES.md § Endpoints, *Catalogues*): rows → courses, cells in Chinese
or as field names, every bad row named by row and column at once, and the rows a document
writes back reading as the same document."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from creditbank.intake.catalogue_rows import catalogue_rows, note_row, upload_document
from creditbank.intake.catalogue_sheets import COLUMNS, ParsedCatalogue, parse_catalogue_sheet
from creditbank.intake.sheets import Row
from creditbank.transfer import CatalogueInvalid, validate_catalogue_document
from tests.unit.transfer_factories import C1

HEADER = (
    "课程代码",
    "课程名称",
    "学分",
    "课程性质",
    "认定来源",
    "来源代码",
    "最低等级",
    "认定成绩",
)
FORM = {"name": C1["name"], "effective_from": C1["effective_from"], "total_credits": "120"}


def parse(header: tuple[str, ...], *rows: tuple[str, ...]) -> ParsedCatalogue:
    numbered = [Row(number, tuple(cells)) for number, cells in enumerate(rows, start=2)]
    return parse_catalogue_sheet(Row(1, header), numbered)


def errors_of(parsed: ParsedCatalogue) -> dict[tuple[int, str], str]:
    return {(error.row, error.column): error.message for error in parsed.errors}


def validated(parsed: ParsedCatalogue, **form: str) -> dict[str, Any]:
    return validate_catalogue_document(upload_document({**FORM, **form}, parsed.courses))


def document_errors(parsed: ParsedCatalogue, **form: str) -> tuple[dict, dict]:
    """The document's errors, as rows' (by row and column) and the form's (by path)."""
    with pytest.raises(CatalogueInvalid) as caught:
        validated(parsed, **form)
    rows, document = parsed.split_errors(caught.value.errors)
    return {(error.row, error.column): error.message for error in rows}, document


def as_text(row: list[Any]) -> tuple[str, ...]:
    cells = ["" if value is None else str(value) for value in row]
    while cells and not cells[-1]:
        cells.pop()
    return tuple(cells)


def test_the_rows_c1_writes_read_back_as_c1():
    normal = validate_catalogue_document(C1)
    header = tuple(column.header for column in COLUMNS)
    rows = [as_text(note_row()), *(as_text(row) for row in catalogue_rows(normal))]

    parsed = parse(header, *rows)

    assert parsed.errors == []
    assert parsed.rows == 7  # the note row is not one
    assert validated(parsed) == normal
    assert parsed.course_rows == [3, 4, 6, 7, 8, 9]
    assert parsed.equivalence_rows == [[3], [4, 5], [6], [7], [8], []]


def test_field_names_in_any_order_do_as_the_chinese_headers():
    header = ("grade", "credits", "CODE", "name", "equivalence", "source_code")
    parsed = parse(header, ("优秀", "3", "ICT100", "信息技术基础", "certificate", "NCRE-2"))

    assert parsed.errors == []
    assert validated(parsed)["courses"] == [
        {
            "code": "ICT100",
            "name": "信息技术基础",
            "credits": "3.0",
            "kind": "theory",
            "equivalences": [
                {
                    "kind": "certificate",
                    "certificate_code": "NCRE-2",
                    "min_level": None,
                    "online": False,
                    "grade": "优秀",
                }
            ],
        }
    ]


def test_rows_of_one_code_are_one_course_and_later_rows_may_leave_the_course_empty():
    parsed = parse(
        HEADER,
        ("JS102", "JavaScript程序设计", "3.0", "理论", "证书", "1X-WEB-FRONTEND", "高级", "优秀"),
        ("ICT100", "信息技术基础", "2", "", "证书", "NCRE-2"),
        ("JS102", "", "", "", "课程", "CS-JS-01", "", "原成绩"),
        ("JS102", "JavaScript程序设计", "3", "theory", "证书", "NCRE-2"),
    )

    assert parsed.errors == []
    courses = validated(parsed)["courses"]
    assert [course["code"] for course in courses] == ["JS102", "ICT100"]
    assert [e["kind"] for e in courses[0]["equivalences"]] == [
        "certificate",
        "course",
        "certificate",
    ]
    assert courses[0]["equivalences"][1]["grade"] == "score"
    assert parsed.equivalence_rows == [[2, 4, 5], [3]]


def test_a_later_row_that_says_otherwise_is_an_error_on_that_row():
    parsed = parse(
        HEADER,
        ("WEB101", "Web前端开发", "4", "实践"),
        ("WEB101", "Web 前端", "4.0", "实践", "证书", "1X-WEB-FRONTEND"),
        ("WEB101", "Web前端开发", "5", "理论"),
    )

    assert errors_of(parsed) == {
        (3, "课程名称"): "Differs from row 2 (Web前端开发): a course's rows must agree.",
        (4, "学分"): "Differs from row 2 (4): a course's rows must agree.",
        (4, "课程性质"): "Differs from row 2 (practice): a course's rows must agree.",
    }


def test_cells_in_chinese_read_as_the_documents_values():
    header = ("课程代码", "课程名称", "学分", "认定来源", "来源代码", "最低等级", "竞赛范围")
    header += ("最高名次", "最低成绩", "原办学机构", "最低学分", "在线课程", "认定成绩")
    parsed = parse(
        header,
        (
            "A1",
            "甲",
            "2",
            "技能等级",
            "4-04-05-01",
            "三级",
            "",
            "",
            "",
            "",
            "",
            "否",
            "一级=优秀;三级=良好",
        ),
        ("A1", "", "", "技能等级", "4-04-05-02", "2"),
        ("A1", "", "", "技能等级", "4-04-05-03", "高级技师"),
        (
            "A1",
            "",
            "",
            "竞赛",
            "",
            "",
            "国家级、省级;市级",
            "二等奖",
            "",
            "",
            "",
            "",
            "一等奖=优秀",
        ),
        ("A1", "", "", "课程", "C-1", "", "", "", "75", "重庆开放大学", "", "是", "原成绩"),
        ("A1", "", "", "学分", "practice", "", "", "", "", "", "3", "", "中等"),
        ("A1", "", "", "证书", "1X-WEB", "初级", "", "", "", "", "", "", "高级=优秀;中级=良好"),
    )

    assert parsed.errors == []
    skill, second, third, competition, course, credits, certificate = validated(parsed)["courses"][
        0
    ]["equivalences"]
    assert (skill["min_level"], skill["grade"]) == (3, {"1": "优秀", "3": "良好"})
    assert (second["min_level"], third["min_level"]) == (2, 1)
    assert competition["scopes"] == ["national", "provincial", "municipal"]
    assert (competition["max_rank"], competition["grade"]) == (2, {"1": "优秀"})
    assert course == {
        "kind": "course",
        "course_code": "C-1",
        "institution": "重庆开放大学",
        "min_score": 75,
        "online": True,
        "grade": "score",
    }
    assert (credits["category"], credits["min_credits"], credits["grade"]) == (
        "practice",
        "3.0",
        "中等",
    )
    assert certificate["grade"] == {"intermediate": "良好", "senior": "优秀"}


def test_every_bad_cell_of_every_row_is_named_at_once():
    header = ("课程代码", "课程名称", "学分", "课程性质", "认定来源", "来源代码", "最低等级")
    header += ("竞赛范围", "在线课程", "认定成绩")
    parsed = parse(
        header,
        ("A1", "甲", "2", "实验"),
        ("A2", "乙", "2", "", "证件", "X"),
        ("A3", "丙", "2", "", "证书", "X", "特级", "国家级", "也许"),
        ("A4", "丁", "2", "", "", "X"),
        ("A5", "戊", "2", "", "竞赛", "", "", "世界级", "", "很好"),
        ("", "己", "2"),
    )

    assert set(errors_of(parsed)) == {
        (2, "课程性质"),
        (3, "认定来源"),
        (4, "最低等级"),
        (4, "竞赛范围"),
        (4, "在线课程"),
        (5, "来源代码"),
        (6, "竞赛范围"),
        (6, "认定成绩"),
        (7, "课程代码"),
    }
    assert errors_of(parsed)[(2, "课程性质")] == "Must be 理论 or 实践 (theory or practice)."
    assert errors_of(parsed)[(4, "竞赛范围")] == "Not for 证书 equivalences."
    assert errors_of(parsed)[(5, "来源代码")] == "Only for a row with 认定来源."


def test_the_documents_errors_are_named_by_row_and_column():
    header = (*HEADER, "最低成绩")
    parsed = parse(
        header,
        ("OK1", "好课", "2"),
        ("BIG", "大课", "31"),
        ("SC", "课程", "2", "", "课程", "C-1", "", "", "59"),
        ("SC", "", "", "", "证书", ""),
        ("W.1", "点", "1"),
        ("NN", "", "1"),
    )
    assert parsed.errors == []

    rows, document = document_errors(parsed, name="", total_credits="0")

    assert set(rows) == {
        (3, "学分"),
        (4, "最低成绩"),
        (5, "来源代码"),
        (6, "课程代码"),
        (7, "课程名称"),
    }
    assert set(document) == {"name", "total_credits"}


def test_a_cell_the_rows_named_is_not_named_again_by_the_document():
    parsed = parse(HEADER, ("A1", "甲", "2", "实验"))

    rows, document = document_errors(parsed)

    assert rows == {} and document == {}
    assert list(errors_of(parsed)) == [(2, "课程性质")]


def test_columns_unknown_repeated_or_missing_are_named_on_the_header_row():
    parsed = parse(("课程代码", "学分", "colour", "credits", "备注"), ("A1", "2", "red", "3", "x"))

    assert errors_of(parsed) == {
        (1, "colour"): errors_of(parsed)[(1, "colour")],
        (1, "credits"): "Repeats the column 学分.",
        (1, "课程名称"): "Missing column.",
    }
    assert errors_of(parsed)[(1, "colour")].startswith("Unknown column; the columns are 课程代码、")


def test_without_a_course_code_column_no_row_is_read():
    parsed = parse(("课程名称", "学分"), ("甲", "2"))

    assert errors_of(parsed) == {(1, "课程代码"): "Missing column."}
    assert parsed.courses == [] and parsed.rows == 0


def test_a_cell_the_bank_cannot_keep_is_an_error_of_its_row():
    parsed = parse(HEADER, ("A1", "甲\x00", "2"), ("A2", "乙", "2", "", "", "", "", "", "多余"))

    assert set(errors_of(parsed)) == {(2, "课程名称"), (3, "I")}
    assert parsed.courses == []


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"effective_from": "2026-09-01"}, {"effective_from": "2026-09-01T00:00:00+08:00"}),
        (
            {"share_percent": "40", "per_source": "none"},
            {"caps": {"share_percent": 40, "per_source": None}},
        ),
        ({"online_share_percent": " ", "per_source": "6"}, {"caps": {"per_source": "6"}}),
        ({"share_percent": "half"}, {"caps": {"share_percent": "half"}}),
    ],
)
def test_the_form_fields_make_the_rest_of_the_document(form, expected):
    document = upload_document({**FORM, **form}, [])

    for key, value in expected.items():
        assert document[key] == value


def test_per_source_left_out_is_the_default_cap_and_none_is_no_cap():
    course = [{"code": "A1", "name": "甲", "credits": "2"}]

    assert validate_catalogue_document(upload_document(FORM, copy.deepcopy(course)))["caps"] == {
        "share_percent": 50,
        "online_share_percent": 25,
        "per_source": "8.0",
    }
    no_cap = upload_document({**FORM, "per_source": "不限"}, course)
    assert validate_catalogue_document(no_cap)["caps"]["per_source"] is None
