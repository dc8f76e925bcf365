"""The conversion certificate (学分转换证明) as PDF (reportlab), written from its JSON, in the
transcript's font (a CJK TrueType font embedded as a subset) and style."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer, Table

from creditbank.documents.fonts import PdfFont, cjk_font
from creditbank.documents.pdf import (
    HEADER_FILL,
    MARGIN,
    RENDERING,
    paragraph,
    paragraph_styles,
    table_style,
)
from creditbank.labels import category_text, shanghai_time

Styles = dict[str, ParagraphStyle]


def render_certificate_pdf(document: Mapping[str, Any], font: PdfFont | None = None) -> bytes:
    """A4 pages: the number (and revision), the learner and programme, the courses granted
    with the ledger entries they cite, then the revoked ones."""
    font = font or cjk_font()
    styles = paragraph_styles(font.name)
    # A hash in groups of 16 hex digits, wrapped between groups (never inside one).
    styles["hash"] = ParagraphStyle(
        "hash", parent=styles["muted"], fontSize=6, leading=8, wordWrap=None
    )
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 5 * mm,
        title=f"学分转换证明 Credit Transfer Certificate {document['certificate_no']}",
        author=document["issuer"]["name"],
        subject="学分转换证明 / Credit transfer certificate",
        lang="zh-CN",
        initialFontName=font.name,
    )
    from creditbank.documents.pdf import footer_text
    from creditbank.documents.verification import page_numbered, seal_block, verification_block

    story = [
        *_heading(document, styles),
        *verification_block(dict(document), styles),
        _facts_table(document, styles),
        Spacer(1, 5 * mm),
        *_courses(document, styles),
        *_revoked(document, styles),
        Spacer(1, 4 * mm),
        paragraph(
            "每门课程所列账本记录（序号与哈希）可在学习者的学分账本及签名检查点中核验。",
            styles["muted"],
        ),
        *seal_block(dict(document), styles),
    ]
    canvas = page_numbered(font.name, footer_text(document, document["certificate_no"]))
    with RENDERING:
        pdf.build(story, canvasmaker=canvas)
    return buffer.getvalue()


def _heading(document: Mapping[str, Any], styles: Styles) -> list[Flowable]:
    number = f"证明编号 {document['certificate_no']}"
    if document["revision"]:
        number += f"（第{document['revision']}次修订）"
    issued = shanghai_time(document["issued_at"])
    return [
        paragraph("学分转换证明", styles["title"]),
        paragraph("Credit Transfer Certificate", styles["subtitle"]),
        Spacer(1, 2 * mm),
        paragraph(number, styles["section"]),
        paragraph(
            f"{document['issuer']['name']} · 出具时间 Issued {issued}（北京时间 UTC+8）",
            styles["muted"],
        ),
        Spacer(1, 4 * mm),
    ]


def _facts_table(document: Mapping[str, Any], styles: Styles) -> Table:
    learner, college, programme = document["learner"], document["college"], document["programme"]
    rows = [
        ("姓名 Name", learner["name"] or "（已删除）"),
        ("身份证号 National ID", learner["national_id_masked"] or "—"),
        ("学号 Student no.", learner["student_no"] or "—"),
        ("学员编号 Learner ID", learner["learner_id"]),
        ("院校 College", f"{college['name']}（{college['school_code']}）"),
        ("专业 Programme", f"{programme['code']} {programme['name']}（{programme['level']}）"),
        ("申请编号 Application", document["application_id"]),
    ]
    table = Table(
        [
            [paragraph(label, styles["muted"]), paragraph(value, styles["base"])]
            for label, value in rows
        ],
        colWidths=[40 * mm, 100 * mm],
        hAlign="LEFT",
    )
    table.setStyle(table_style(styles))
    return table


def _courses(document: Mapping[str, Any], styles: Styles) -> list[Flowable]:
    heading = paragraph("准予免修免考的课程 Courses exempted", styles["section"])
    if not document["courses"]:
        return [
            heading,
            paragraph("所有课程均已撤销。Every course has been revoked.", styles["base"]),
        ]
    header = [
        "#",
        "课程 Course",
        "学分 Credits",
        "成绩 Grade",
        "认定依据 Recognised from",
        "账本记录",
    ]
    rows: list[list[Any]] = [[paragraph(text, styles["header"]) for text in header]]
    for number, course in enumerate(document["courses"], start=1):
        kind = category_text(course["kind"])["zh"]
        decided = shanghai_time(course["decided_at"], with_time=False)
        rows.append(
            [
                paragraph(number, styles["base"]),
                [
                    paragraph(f"{course['course_code']} {course['course_name']}", styles["base"]),
                    paragraph(f"{kind} · 认定 {decided}", styles["muted"]),
                ],
                paragraph(course["credits"], styles["amount"]),
                paragraph(course["grade"], styles["base"]),
                [_source(source, styles) for source in course["sources"]],
                _entry_cell(course["entry"], styles),
            ]
        )
    rows.append(
        [
            paragraph("", styles["base"]),
            paragraph("合计 Total", styles["base"]),
            paragraph(document["total_credits"], styles["amount"]),
            *(paragraph("", styles["base"]) for _ in range(3)),
        ]
    )
    table = Table(
        rows, colWidths=[8 * mm, 40 * mm, 22 * mm, 20 * mm, 52 * mm, 38 * mm], repeatRows=1
    )
    table.setStyle(
        table_style(
            styles,
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("BACKGROUND", (0, -1), (-1, -1), HEADER_FILL),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        )
    )
    return [heading, Spacer(1, 2 * mm), table]


def _revoked(document: Mapping[str, Any], styles: Styles) -> list[Flowable]:
    if not document["revoked"]:
        return []
    header = ["课程代码 Course", "撤销时间 Revoked at", "原因 Reason", "账本记录"]
    rows: list[list[Any]] = [[paragraph(text, styles["header"]) for text in header]]
    for item in document["revoked"]:
        rows.append(
            [
                paragraph(item["course_code"], styles["base"]),
                paragraph(shanghai_time(item["revoked_at"]), styles["base"]),
                paragraph(item["reason"] or "—", styles["base"]),
                _entry_cell(item["entry"], styles),
            ]
        )
    table = Table(rows, colWidths=[32 * mm, 36 * mm, 74 * mm, 38 * mm], repeatRows=1)
    table.setStyle(
        table_style(
            styles,
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        )
    )
    heading = paragraph("已撤销的课程 Revoked", styles["section"])
    return [Spacer(1, 5 * mm), heading, Spacer(1, 2 * mm), table]


def _source(source: Mapping[str, Any], styles: Styles) -> Flowable:
    title = source["title"] or source["outcome_id"]
    return paragraph(f"{title}（取得 {source['achieved_on'] or '—'}）", styles["base"])


def _entry_cell(entry: Mapping[str, Any], styles: Styles) -> list[Flowable]:
    return [
        paragraph(f"第 {entry['seq']} 条", styles["base"]),
        paragraph(_grouped(entry["hash"]), styles["hash"]),
    ]


def _grouped(digest: str, size: int = 16) -> str:
    return " ".join(digest[start : start + size] for start in range(0, len(digest), size))
