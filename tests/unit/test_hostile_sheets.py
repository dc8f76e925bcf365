"""Hostile spreadsheets cost a bounded amount of memory and end in a ``SheetError``, never in
another exception (which the HTTP tier would answer with a 500).

Memory is measured in a child process, whose peak RSS starts fresh: the test process's own peak
(set by whatever test ran before) would hide a spike of any size.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditbank.intake.outcome_sheets import parse_sheet
from creditbank.intake.sheets import SheetError, read_sheet
from tests.support import hostile_files

ROOT = Path(__file__).resolve().parents[2]
MAX_ROWS = 20_000
MEMORY_BOUND_MIB = 100

_MEASURE = """
import io, json, resource, sys
from creditbank.intake.outcome_sheets import parse_sheet
from creditbank.intake.sheets import SheetError, read_sheet
import openpyxl  # imported before the baseline: its own size is not the file's cost
data = open(sys.argv[1], "rb").read()
limit = 2 * 1024 ** 3  # a broken reader fails here rather than taking the machine's memory
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    sheet = read_sheet(io.BytesIO(data), int(sys.argv[2]))
    parse_sheet(sheet.header, sheet.rows)
    outcome = "read"
except SheetError:
    outcome = "SheetError"
except MemoryError:
    outcome = "MemoryError"
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "growth_mib": (after - before) / 1024}))
"""

BOMBS: dict[str, Callable[[], bytes]] = {
    "decompression bomb": hostile_files.decompression_bomb,
    "a row of a million cells": lambda: hostile_files.wide_row(1_000_000),
    "sizes that lie": hostile_files.lying_sizes,
    "billion laughs": hostile_files.billion_laughs,
    "a header of long shared strings": lambda: hostile_files.long_shared_header(64, 300_000),
}


def test_openpyxl_parses_with_defusedxml() -> None:
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML, "defusedxml must be installed: openpyxl then parses every part with it"


@pytest.mark.parametrize("name", list(BOMBS))
def test_a_hostile_workbook_is_refused_in_bounded_memory(name: str, tmp_path: Path) -> None:
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(BOMBS[name]())
    child = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), str(MAX_ROWS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    measured = json.loads(child.stdout)
    assert measured["outcome"] in ("SheetError", "read"), measured
    assert measured["growth_mib"] < MEMORY_BOUND_MIB, measured


def _valid_workbook() -> bytes:
    rows = hostile_files.header_row() + hostile_files.text_row(
        2, ["L1", "R-1", "培训学时", "2026-04-15", "theory", "10"]
    )
    return hostile_files.workbook_with({hostile_files.SHEET: hostile_files.sheet_xml(rows)})


def _read(content: bytes) -> None:
    sheet = read_sheet(io.BytesIO(content), MAX_ROWS)
    parse_sheet(sheet.header, sheet.rows)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_damaged_part_is_a_sheet_error(data: st.DataObject) -> None:
    with zipfile.ZipFile(io.BytesIO(_valid_workbook())) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    name = data.draw(st.sampled_from(sorted(parts)), label="part")
    damaged = bytearray(parts[name])
    if data.draw(st.booleans(), label="truncate"):
        damaged = damaged[: data.draw(st.integers(0, len(damaged) - 1), label="keep")]
    else:
        for _ in range(data.draw(st.integers(1, 4), label="bytes")):
            at = data.draw(st.integers(0, len(damaged) - 1), label="at")
            damaged[at] = data.draw(st.integers(0, 255), label="byte")
    with contextlib.suppress(SheetError):  # the one way a damaged file may fail
        _read(hostile_files.workbook_with({name: bytes(damaged)}))


@settings(max_examples=100, deadline=None)
@given(at=st.integers(0, 10_000), byte=st.integers(0, 255))
def test_a_damaged_zip_is_a_sheet_error(at: int, byte: int) -> None:
    content = bytearray(_valid_workbook())
    content[at % len(content)] = byte
    with contextlib.suppress(SheetError):
        _read(bytes(content))


def _many_rows(count: int) -> bytes:
    good = ["L1", "R-{}", "培训学时", "2026-04-15", "theory", "10"]
    rows = "".join(
        hostile_files.text_row(number, [cell.format(number) for cell in good])
        for number in range(2, count + 2)
    )
    return hostile_files.sheet_xml(hostile_files.header_row() + rows)


def test_a_worksheet_past_the_whole_part_limit_is_read_a_row_at_a_time() -> None:
    content = hostile_files.workbook_with({hostile_files.SHEET: _many_rows(6_000)})

    sheet = read_sheet(io.BytesIO(content), MAX_ROWS)

    assert sum(1 for _ in sheet.rows) == 6_000


def test_the_same_rows_where_openpyxl_parses_a_part_whole_are_refused() -> None:
    content = hostile_files.workbook_with({"xl/styles.xml": _many_rows(6_000)})

    with pytest.raises(SheetError, match="styles"):
        _read(content)
