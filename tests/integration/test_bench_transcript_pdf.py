"""The transcript PDF benchmark (bench/transcript_pdf.py) at a tiny size, on both databases:
PDFs and pages are issued through the API and timed, and every figure it reports is there and
sane, so that the benchmark cannot rot between runs of ``make bench``."""

from __future__ import annotations

from bench.transcript_pdf import PAGE_OBJECT, figures, measure, one_page_pdf

RENDERS = 3


def test_transcripts_are_issued_and_timed(database_url, tmp_path):
    measured = measure(database_url, tmp_path, RENDERS, outcomes=6)

    assert measured["lines"] > 0 and measured["pdf_pages"] >= 1 and measured["pdf_bytes"] > 0
    for timing in ("pdf", "html", "render", "one_page"):
        assert measured[timing]["n"] == RENDERS
        assert 0 < measured[timing]["p50"] <= measured[timing]["p99"]
    found = figures("db", measured)
    assert len(found) == 3 and all(f.baseline and f.ratio for f in found)
    assert found[1].target == "≤ 1000 ms"


def test_the_baseline_is_a_pdf_of_one_page():
    pdf = one_page_pdf()

    assert pdf.startswith(b"%PDF-") and len(PAGE_OBJECT.findall(pdf)) == 1
