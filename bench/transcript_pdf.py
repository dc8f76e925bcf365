"""Transcript PDFs: what printing a learner's transcript costs, beside the same transcript as a
page, and reportlab's own floor.

A learner gets 60 outcomes of every kind (:mod:`bench._record`); then, through the Flask test
client with the workstation's token (the whole HTTP stack but the socket):

- ``GET …/transcript`` with ``Accept: application/pdf``, N times: each is a numbered document,
  registered and superseding the previous one (``services/document_issuing.py``). Baseline:
  the same request for ``text/html``, the same reads and registration with the page renderer.
  Targets p50 ≤ 0.5 s and p99 ≤ 1 s: a clerk prints one at the counter while the learner
  waits, and reportlab renders one at a time per process (``documents/pdf.py``), so each
  second is a queue.
- ``render_transcript_pdf`` of that transcript alone, beside a one-page reportlab PDF with
  one line in the same embedded CJK font: the renderer's work over reportlab's fixed cost
  (the font subset, the file). Target ≤ 30×, about twice what a three-page transcript
  measured on a busy 2-core machine (12–20×): a guard against a renderer that grows, say,
  a table laid out twice or a font registered per PDF.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from bench import Figure, Options, Result
from bench._harness import Api, as_served, migrated_app, on_each_backend
from bench._record import learner_with_record, timed

OUTCOMES = 60
RENDERS = 40
MAX_P50_MS = 500.0
MAX_P99_MS = 1000.0
MAX_RENDER_RATIO = 30.0
PDF, HTML = "application/pdf", "text/html"
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")  # a page object, not the /Pages tree


def run(options: Options, renders: int = RENDERS, outcomes: int = OUTCOMES) -> Result:
    result = Result(details={"outcomes": outcomes, "renders": renders})
    return on_each_backend(
        options,
        result,
        lambda backend, url, folder: measure(url, folder, renders, outcomes),
        figures,
    )


def measure(url: str, folder: Path, renders: int, outcomes: int) -> dict[str, Any]:
    from creditbank.documents.pdf import render_transcript_pdf

    with migrated_app(url, folder) as app:
        api = Api(app)
        learner = learner_with_record(api, outcomes)
        path = f"/api/v1/learners/{learner}/transcript"

        def issue(media: str) -> bytes:
            headers = {**api.workstation, "Accept": media}
            response = api.client.get(path, headers=headers)
            if response.status_code != 200 or response.mimetype != media:
                raise RuntimeError(f"{media}: {response.status_code} {response.text[:300]}")
            return response.get_data()

        pdf = issue(PDF)
        document = api.expect(200, api.client.get(path, headers=api.workstation))
        measured = {
            "lines": len(document["lines"]),
            "pdf_bytes": len(pdf),
            "pdf_pages": len(PAGE_OBJECT.findall(pdf)),
            "pdf": as_served(lambda: timed(lambda: issue(PDF), renders)),
            "html": as_served(lambda: timed(lambda: issue(HTML), renders)),
        }
        measured["render"] = timed(lambda: render_transcript_pdf(document), renders)
        measured["one_page"] = timed(one_page_pdf, renders)
    return measured


def one_page_pdf() -> bytes:
    """reportlab's floor: one A4 page, one line in the transcripts' embedded CJK font."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    from creditbank.documents.fonts import cjk_font

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setFont(cjk_font().name, 12)
    canvas.drawString(72, 760, "学分认定成绩单 Transcript")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def figures(backend: str, measured: dict[str, Any]) -> list[Figure]:
    pdf, html = measured["pdf"], measured["html"]
    label = f"{backend}: transcript PDF ({measured['lines']} lines)"
    return [
        Figure(f"{label} p50 vs HTML", pdf["p50"], baseline=html["p50"], max_value=MAX_P50_MS),
        Figure(f"{label} p99 vs HTML", pdf["p99"], baseline=html["p99"], max_value=MAX_P99_MS),
        Figure(
            f"{label}, render alone p50 vs a one-page PDF",
            measured["render"]["p50"],
            baseline=measured["one_page"]["p50"],
            max_ratio=MAX_RENDER_RATIO,
        ),
    ]
