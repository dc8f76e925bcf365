"""What makes a printed document verifiable, shared by the transcript and the certificate:
the QR code of its verify URL (segno), the number and URL beside it, the issuing office's
seal and signature area, and "第 N 页 / 共 M 页" on every page (a canvas that holds its pages
until it knows how many there are)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import segno
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Spacer, Table

from creditbank.documents.pdf import MARGIN, MUTED, paragraph, table_style


class QrCode(Flowable):
    """The QR code of ``url`` drawn as vector squares, ``size`` wide and high."""

    def __init__(self, url: str, size: float = 28 * mm) -> None:
        super().__init__()
        self.matrix = segno.make(url, error="m").matrix
        self.width = self.height = size

    def draw(self) -> None:
        border = 2
        count = len(self.matrix) + 2 * border
        module = self.width / count
        canvas = self.canv
        canvas.setFillColor(colors.white)
        canvas.rect(0, 0, self.width, self.height, stroke=0, fill=1)
        canvas.setFillColor(colors.black)
        for row_number, row in enumerate(self.matrix):
            y = self.height - (row_number + border + 1) * module
            for column, dark in enumerate(row):
                if dark:
                    x = (column + border) * module
                    canvas.rect(x, y, module, module, stroke=0, fill=1)


def verification_block(document: dict[str, Any], styles: dict[str, Any]) -> list[Flowable]:
    """The QR code beside the number, the verify URL and how to check the document."""
    verification = document.get("verification")
    if not verification:
        return []
    text = [
        paragraph(f"文件编号 Document no. {verification['number']}", styles["section"]),
        paragraph("扫描二维码或访问下列网址，核验本文件是否有效：", styles["base"]),
        paragraph(verification["url"], styles["code"]),
        paragraph(f"出具单位 Issued by {verification['office']}", styles["muted"]),
    ]
    table = Table([[QrCode(verification["url"]), text]], colWidths=[32 * mm, 148 * mm])
    table.setStyle(table_style(styles, ("VALIGN", (0, 0), (-1, -1), "MIDDLE")))
    return [table, Spacer(1, 4 * mm)]


def seal_block(document: dict[str, Any], styles: dict[str, Any]) -> list[Flowable]:
    """Where the office stamps its seal and the clerk signs."""
    verification = document.get("verification") or {}
    office = verification.get("office", document["issuer"]["name"])
    rows = [
        [
            [
                paragraph(f"出具单位（盖章）：{office}", styles["base"]),
                Spacer(1, 22 * mm),
            ],
            [
                paragraph("经办人签字 Signature：", styles["base"]),
                Spacer(1, 14 * mm),
                paragraph("日期 Date：", styles["base"]),
            ],
        ]
    ]
    table = Table(rows, colWidths=[100 * mm, 80 * mm])
    table.setStyle(table_style(styles, ("VALIGN", (0, 0), (-1, -1), "TOP")))
    return [Spacer(1, 6 * mm), table]


def page_numbered(font_name: str, left_text: str) -> Callable[..., Canvas]:
    """A canvas maker whose every page ends with ``left_text · 第 N 页 / 共 M 页``."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.saveState()
                self.setFont(font_name, 8)
                self.setFillColor(MUTED)
                page = self.getPageNumber()
                text = f"{left_text} · 第 {page} 页 / 共 {total} 页"
                self.drawString(MARGIN, 10 * mm, text)
                self.restoreState()
                super().showPage()
            super().save()

    return NumberedCanvas
