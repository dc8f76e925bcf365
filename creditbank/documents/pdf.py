"""The printable transcript as PDF (reportlab), written from the JSON transcript; the pieces
every PDF of ours shares (styles, paragraphs, tables, the one-at-a-time lock)."""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from creditbank.documents.fonts import PdfFont, cjk_font
from creditbank.domain.account_numbers import format_account_number
from creditbank.labels import shanghai_time

GRID = colors.HexColor("#9aa5b1")
HEADER_FILL = colors.HexColor("#e8edf2")
MUTED = colors.HexColor("#52606d")
MARGIN = 15 * mm
# reportlab keeps the subsets of a registered TrueType font in that font object, shared by every
# thread of the process (gunicorn gthread workers): one PDF is built at a time.
RENDERING = threading.Lock()


def render_transcript_pdf(document: Mapping[str, Any], font: PdfFont | None = None) -> bytes:
    """A4 pages: the learner, the balance by category, then one row per credited outcome."""
    font = font or cjk_font()
    styles = paragraph_styles(font.name)
    learner = document["learner"]
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 5 * mm,
        title=f"学分认定成绩单 Transcript — {learner['name'] or learner['learner_id']}",
        author=document["issuer"]["name"],
        subject="学分银行学习成果认定记录 / Credit bank transcript",
        lang="zh-CN",
        # Pages start in our font, so no standard font that the viewer must supply is named.
        initialFontName=font.name,
    )
    from creditbank.documents.verification import page_numbered, seal_block, verification_block

    story = [
        *_heading(document, styles),
        *verification_block(dict(document), styles),
        _learner_table(document, styles),
        Spacer(1, 5 * mm),
        _balance_table(document, styles),
        Spacer(1, 5 * mm),
        *_lines(document, styles),
        *_recognised_courses(document, styles),
        *seal_block(dict(document), styles),
    ]
    canvas = page_numbered(font.name, footer_text(document, learner["learner_id"]))
    with RENDERING:
        pdf.build(story, canvasmaker=canvas)
    return buffer.getvalue()


def footer_text(document: Mapping[str, Any], fallback: str) -> str:
    """The office and the document's number (or, unnumbered, ``fallback``) on every page."""
    verification = document.get("verification")
    if verification:
        return f"{verification['office']} · {verification['number']}"
    return f"{document['issuer']['name']} · {fallback}"


def paragraph_styles(font_name: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font_name, fontSize=9, leading=12, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=22),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, textColor=MUTED),
        "muted": ParagraphStyle("muted", parent=base, fontSize=8, leading=10, textColor=MUTED),
        "amount": ParagraphStyle("amount", parent=base, alignment=TA_RIGHT),
        "section": ParagraphStyle("section", parent=base, fontSize=11, leading=16),
        # Codes, URLs and bilingual headers ("成绩 Grade") wrap only at a space, never inside
        # a word.
        "code": ParagraphStyle(
            "code", parent=base, fontSize=7, leading=9, textColor=MUTED, wordWrap=None
        ),
        "header": ParagraphStyle("header", parent=base, wordWrap=None),
    }


def paragraph(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape("" if text is None else str(text)), style)


def table_style(styles: dict[str, ParagraphStyle], *extra: tuple[Any, ...]) -> TableStyle:
    """Grid lines, a shaded header row, and our font even where no text is drawn."""
    return TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), styles["base"].fontName),
            ("GRID", (0, 0), (-1, -1), 0.5, GRID),
            *extra,
        ]
    )


def _heading(document: Mapping[str, Any], styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    generated = shanghai_time(document["generated_at"])
    return [
        paragraph("学分银行学习成果学分认定成绩单", styles["title"]),
        paragraph("Credit Bank Transcript of Recognised Learning", styles["subtitle"]),
        paragraph(
            f"{document['issuer']['name']} · 生成时间 Generated {generated}（北京时间 UTC+8）",
            styles["muted"],
        ),
        Spacer(1, 4 * mm),
    ]


def _learner_table(document: Mapping[str, Any], styles: dict[str, ParagraphStyle]) -> Table:
    learner = document["learner"]
    rows = [
        ("姓名 Name", learner["name"] or "（已删除 erased）"),
        ("学习账号 Account number", format_account_number(learner["account_number"])),
        ("身份证号 National ID", learner["national_id_masked"] or "—"),
        ("学员编号 Learner ID", learner["learner_id"]),
    ]
    table = Table(
        [
            [paragraph(label, styles["muted"]), paragraph(value, styles["base"])]
            for label, value in rows
        ],
        colWidths=[40 * mm, 80 * mm],
        hAlign="LEFT",
    )
    table.setStyle(table_style(styles))
    return table


def _balance_table(document: Mapping[str, Any], styles: dict[str, ParagraphStyle]) -> Table:
    labels = document["category_labels"]
    rows = [
        [paragraph("类别 Category", styles["base"]), paragraph("学分 Credits", styles["amount"])]
    ]
    for category, amount in document["by_category"].items():
        label = labels[category]
        rows.append(
            [
                paragraph(label["zh"], styles["base"]),
                paragraph(amount, styles["amount"]),
            ]
        )
    rows.append(
        [paragraph("合计 Total", styles["base"]), paragraph(document["total"], styles["amount"])]
    )
    table = Table(rows, colWidths=[80 * mm, 40 * mm], hAlign="LEFT")
    table.setStyle(
        table_style(
            styles,
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("BACKGROUND", (0, -1), (-1, -1), HEADER_FILL),
        )
    )
    return table


def _lines(document: Mapping[str, Any], styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    heading = paragraph("学分认定明细 Credited outcomes", styles["section"])
    if not document["lines"]:
        return [heading, paragraph("暂无已认定的学分。No credits yet.", styles["base"])]
    header = ["#", "学习成果 Outcome", "转换规则 Rule", "认定理由 Reason", "学分 Credits"]
    rows: list[list[Any]] = [[paragraph(text, styles["header"]) for text in header]]
    for number, line in enumerate(document["lines"], start=1):
        rows.append(
            [
                paragraph(number, styles["base"]),
                [paragraph(line["title"], styles["base"]), *_outcome_facts(line, styles)],
                _rule_cell(line, styles),
                [
                    paragraph(line["reason_text"]["zh"], styles["base"]),
                    paragraph(line["reason_text"]["en"], styles["muted"]),
                ],
                paragraph(line["credits"], styles["amount"]),
            ]
        )
    table = Table(rows, colWidths=[8 * mm, 58 * mm, 48 * mm, 44 * mm, 22 * mm], repeatRows=1)
    table.setStyle(
        table_style(
            styles,
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        )
    )
    return [heading, Spacer(1, 2 * mm), table]


def _outcome_facts(line: Mapping[str, Any], styles: dict[str, ParagraphStyle]) -> list[Paragraph]:
    facts = [
        line["kind_label"]["zh"]
        + ("" if line["title"] == line["summary"]["zh"] else f" · {line['summary']['zh']}"),
        f"{line['category_label']['zh']} · {line['provider']['name'] or line['provider']['id']}",
        f"取得 {line['achieved_on']} · 认定 {shanghai_time(line['credited_at'], with_time=False)}",
    ]
    return [paragraph(fact, styles["muted"]) for fact in facts]


def _rule_cell(line: Mapping[str, Any], styles: dict[str, ParagraphStyle]) -> list[Paragraph]:
    ruleset = line["ruleset"]
    # The rule in words only: its code (``hours_per_credit.theory``) is in the JSON transcript.
    cell = [paragraph(line["rule_label"]["zh"], styles["base"])]
    if ruleset:
        cell.append(paragraph(f"{ruleset['name']}（第 {ruleset['version']} 版）", styles["muted"]))
    return cell


def _recognised_courses(
    document: Mapping[str, Any], styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    courses = document.get("recognised_courses") or []
    if not courses:
        return []
    header = ["#", "院校专业 Programme", "课程 Course", "学分 Credits", "成绩 Grade", "转换证明"]
    rows: list[list[Any]] = [[paragraph(text, styles["header"]) for text in header]]
    for number, course in enumerate(courses, start=1):
        programme, college = course["programme"], course["college"]
        rows.append(
            [
                paragraph(number, styles["base"]),
                [
                    paragraph(f"{programme['code']} {programme['name']}", styles["base"]),
                    paragraph(f"{college['name']}（{college['school_code']}）", styles["muted"]),
                ],
                paragraph(f"{course['course_code']} {course['course_name']}", styles["base"]),
                paragraph(course["credits"], styles["amount"]),
                paragraph(course["grade"], styles["base"]),
                paragraph(course["certificate_no"] or "待出具", styles["base"]),
            ]
        )
    widths = [8 * mm, 46 * mm, 44 * mm, 22 * mm, 20 * mm, 40 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        table_style(
            styles,
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        )
    )
    heading = paragraph("院校课程学分转换 Courses recognised by colleges", styles["section"])
    return [Spacer(1, 5 * mm), heading, Spacer(1, 2 * mm), table]
