"""In which encodings a spreadsheet's text is read, and the dry run saying which."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.api.uploads import HOURS_HEADER, provider_bank, upload, xlsx_bytes

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
