"""The XLSX upload benchmark (bench/xlsx_upload.py) at a tiny size, on both databases: the sheet
it writes goes through the real upload on a real gunicorn, and every figure it reports is
there and sane, so that the benchmark cannot rot between runs of ``make bench``."""

from __future__ import annotations

import math

from bench.xlsx_upload import HEADER, figures, measure

ROWS = 40


def test_a_small_sheet_is_uploaded_and_measured(database_url, tmp_path):
    measured = measure(database_url, tmp_path, ROWS)

    assert measured["rows"] == ROWS
    assert measured["openpyxl"]["cells"] == (ROWS + 1) * len(HEADER)
    assert 0 < measured["worker_rss_before_mb"] <= measured["worker_peak_rss_mb"] < 1000
    assert measured["openpyxl"]["seconds"] > 0 and 0 < measured["seconds"] < 60
    found = figures("db", measured)
    assert [f.unit for f in found] == ["s", "s", "MB"] and found[2].met
    assert 0 < measured["worker_cpu_seconds"] < measured["seconds"] * 2
    assert all(math.isfinite(f.value) and f.ratio and f.ratio > 0 for f in found)
