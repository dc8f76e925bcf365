"""Uploads built to hurt: bombs, entities, damaged XML, headers and cells of any length. Each
gets a 422 problem+json small enough to read (never a 500, never the file quoted back), and
nothing is posted. Memory is the unit tier's business (tests/unit/test_hostile_sheets.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.api.helpers import assert_problem
from tests.api.uploads import HOURS_HEADER, csv_bytes, posted, provider_bank, upload
from tests.support import hostile_files

# Bytes: at most one error per column (64 of them, each naming the accepted columns), whatever
# the file's size.
SMALL_ANSWER = 32 * 1024
QUOTE = 40  # characters of any bad header or cell quoted back, at most (and an ellipsis)

HOSTILE: dict[str, Callable[[], bytes]] = {
    "decompression bomb": hostile_files.decompression_bomb,
    "a row of sixty thousand cells": lambda: hostile_files.wide_row(60_000),
    "a wide row numbered in a megabyte": lambda: hostile_files.wide_row(
        60_000, hostile_files.long_row_number(1_000_000)
    ),
    "sizes that lie": hostile_files.lying_sizes,
    "billion laughs": hostile_files.billion_laughs,
    "external entity": lambda: hostile_files.external_entity("/etc/passwd"),
    "truncated sheet": hostile_files.truncated_sheet,
    "garbled sheet": hostile_files.garbled_sheet,
}


@pytest.fixture
def bank(api: Any) -> dict[str, Any]:
    return provider_bank(api)


def _small_problem(response: Any, *fields: str) -> dict[str, Any]:
    assert len(response.data) < SMALL_ANSWER, len(response.data)
    return assert_problem(response, 422, "validation_error", *fields)


@pytest.mark.parametrize("name", list(HOSTILE))
@pytest.mark.parametrize("dry_run", ["false", "true"])
def test_a_hostile_workbook_is_a_small_422_on_the_file(
    api: Any, bank: dict, name: str, dry_run: str
) -> None:
    response = upload(api, bank["provider"], HOSTILE[name](), "x.xlsx", dry_run=dry_run)

    body = _small_problem(response, "file")
    assert "root:" not in response.get_data(as_text=True)  # /etc/passwd is not read back
    assert body["errors"]["file"][0]
    assert posted(api, bank["provider_id"]) == []


def test_a_character_xml_forbids_is_refused_naming_its_cell(api: Any, bank: dict) -> None:
    content = hostile_files.cell_with("E", "the&#0;ory")

    body = _small_problem(upload(api, bank["provider"], content, "nul.xlsx"), "file")

    assert "E2" in body["errors"]["file"][0]
    assert posted(api, bank["provider_id"]) == []


def test_a_header_of_huge_shared_strings_is_quoted_briefly(api: Any, bank: dict) -> None:
    content = hostile_files.long_shared_header(64, 300_000)

    body = _small_problem(upload(api, bank["provider"], content, "h.xlsx"))

    assert all(len(key) <= len("rows.1.") + QUOTE for key in body["errors"])


def test_thousands_of_unknown_csv_columns_make_one_small_error(api: Any, bank: dict) -> None:
    header = [f"列{number}" for number in range(50_000)]

    response = upload(api, bank["provider"], csv_bytes(header, [["x"] * 50_000]), "wide.csv")

    body = _small_problem(response, "file")
    assert "64" in body["errors"]["file"][0]


def test_unknown_columns_up_to_the_cap_quote_at_most_forty_characters(api: Any, bank: dict) -> None:
    header = [*HOURS_HEADER, *(f"{n:02d}" + "长" * 20_000 for n in range(58))]

    response = upload(api, bank["provider"], csv_bytes(header, []), "long.csv")

    body = _small_problem(response)
    unknown = [key for key in body["errors"] if key.startswith("rows.1.")]
    assert len(unknown) == 58
    assert all(len(key) <= len("rows.1.") + QUOTE for key in unknown)


def test_a_cell_longer_than_two_thousand_characters_is_a_row_and_column_error(
    api: Any, bank: dict
) -> None:
    learner = bank["learners"][0]
    header = [*HOURS_HEADER, "姓名"]
    rows = [[learner, "L-1", "培训学时", "2026-04-15", "theory", "10", "张" * 2_001]]

    response = upload(api, bank["provider"], csv_bytes(header, rows), "long.csv")

    body = _small_problem(response, "rows.2.姓名")
    assert "2,000" in body["errors"]["rows.2.姓名"][0]
    assert posted(api, bank["provider_id"]) == []


def test_a_bad_long_value_is_not_quoted_back(api: Any, bank: dict) -> None:
    learner = bank["learners"][0]
    rows = [[learner, "B-1", "培训学时" + "魔" * 1_990, "2026-04-15", "theory", "10"]]

    report = upload(api, bank["provider"], csv_bytes(HOURS_HEADER, rows), "b.csv", dry_run="true")

    assert report.status_code == 200, report.get_json()
    assert "魔" * (QUOTE + 1) not in report.get_data(as_text=True)
    assert [(e["row"], e["column"]) for e in report.get_json()["errors"]] == [(2, "成果类型")]
