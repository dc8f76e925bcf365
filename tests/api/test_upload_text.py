"""What a spreadsheet's text may hold, and in which encodings it is read: a NUL in a cell is a
row-and-column error on both databases (PostgreSQL text cannot store one), and the dry run says
which encoding the file was read in."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.api.helpers import assert_problem
from tests.api.uploads import HOURS_HEADER, csv_bytes, posted, provider_bank, upload, xlsx_bytes
from tests.support import hostile_files

GB18030_BOM = b"\x84\x31\x95\x33"


@pytest.fixture
def bank(api: Any) -> dict[str, Any]:
    return provider_bank(api)


def _row(learner: str, ref: str = "T-1") -> list[str]:
    return [learner, ref, "培训学时", "2026-04-15", "theory", "10"]


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HOURS_HEADER, *rows])
    return buffer.getvalue()


def test_a_nul_in_a_csv_cell_names_its_row_and_column(api: Any, bank: dict) -> None:
    learner = bank["learners"][0]
    rows = [_row(learner, "N-1"), _row(learner, "N\0-2")]

    response = upload(api, bank["provider"], csv_bytes(HOURS_HEADER, rows), "nul.csv")

    body = assert_problem(response, 422, "validation_error", "rows.3.外部编号")
    assert "NUL" in body["errors"]["rows.3.外部编号"][0]
    assert posted(api, bank["provider_id"]) == []


def test_a_nul_in_a_column_that_is_read_past_is_refused_too(api: Any, bank: dict) -> None:
    learner = bank["learners"][0]
    content = csv_bytes([*HOURS_HEADER, "姓名"], [[*_row(learner), "张\0三"]])

    response = upload(api, bank["provider"], content, "nul.csv", dry_run="true")

    assert response.status_code == 200, response.get_json()
    errors = response.get_json()["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(2, "姓名")]


def test_an_xlsx_nul_written_as_x0000_names_its_row_and_column(api: Any, bank: dict) -> None:
    content = hostile_files.cell_with("B", "R_x0000_1", bank["learners"][0])

    response = upload(api, bank["provider"], content, "nul.xlsx")

    assert_problem(response, 422, "validation_error", "rows.2.外部编号")
    assert posted(api, bank["provider_id"]) == []


def test_gb18030_with_its_own_bom_is_read(api: Any, bank: dict) -> None:
    learner = bank["learners"][0]
    content = GB18030_BOM + _csv_text([_row(learner)]).encode("gb18030")

    response = upload(api, bank["provider"], content, "gb.csv")

    assert response.status_code == 201, response.get_json()
    assert [line["external_ref"] for line in response.get_json()["items"]] == ["T-1"]


@pytest.mark.parametrize(
    ("prefix", "codec", "encoding"),
    [
        (b"", "utf-8", "utf-8"),
        (b"\xef\xbb\xbf", "utf-8", "utf-8-sig"),
        (b"", "gbk", "gb18030"),
        (GB18030_BOM, "gb18030", "gb18030"),
    ],
)
def test_the_dry_run_says_which_encoding_it_read(
    api: Any, bank: dict, prefix: bytes, codec: str, encoding: str
) -> None:
    content = prefix + _csv_text([_row(bank["learners"][0])]).encode(codec)

    response = upload(api, bank["provider"], content, "e.csv", dry_run="true")

    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["valid"], report["encoding"]) == (True, encoding), report


def test_the_dry_run_of_a_workbook_says_xlsx(api: Any, bank: dict) -> None:
    content = xlsx_bytes(HOURS_HEADER, [_row(bank["learners"][0])])

    report = upload(api, bank["provider"], content, "e.xlsx", dry_run="true").get_json()

    assert (report["valid"], report["encoding"]) == (True, "xlsx"), report
