"""Real evidence files for the deposit tests: a PDF drawn with reportlab, a PNG from Pillow."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def pdf_bytes(text: str = "Certificate of completion") -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


CERTIFICATE = {
    "kind": "certificate",
    "title": "Web 前端开发职业技能等级证书",
    "issuer": "工业和信息化部教育与考试中心",
    "achieved_on": "2026-03-01",
    "certificate_code": "1X-WEB",
    "level": "senior",
    "certificate_no": "WEB-2026-0001",
}


def deposit_form(files: list[tuple[bytes, str]], **fields: Any) -> dict[str, Any]:
    """A multipart form: the certificate's fields as changed by ``fields`` (None leaves one out)
    and the files under ``evidence``."""
    merged: dict[str, Any] = {**CERTIFICATE, **fields}
    form = {name: value for name, value in merged.items() if value is not None}  # None: left out
    form["evidence"] = [(io.BytesIO(data), name) for data, name in files]
    return form
