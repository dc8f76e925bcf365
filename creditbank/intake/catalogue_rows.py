"""A catalogue as an upload sends it, and as a sheet writes it back.

An upload is the sheet's courses (:mod:`creditbank.intake.catalogue_sheets`) and the form fields
``name``, ``effective_from``, ``total_credits``, ``share_percent``, ``online_share_percent`` and
``per_source``: :func:`upload_document` puts them together into the document that
:func:`creditbank.transfer.validate_catalogue_document` checks, as it checks a posted one.
:func:`catalogue_rows` writes a (normalised) document's courses back as the sheet's rows, which
read back as the same courses: a college downloads version n, edits it, uploads version n+1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from creditbank.intake import catalogue_cells as cells
from creditbank.intake.catalogue_sheets import COLUMNS, SOURCE_FIELDS
from creditbank.intake.outcome_sheets import NOTE_MARK

FORM_FIELDS = (
    "name",
    "effective_from",
    "total_credits",
    "share_percent",
    "online_share_percent",
    "per_source",
)
CAP_FIELDS = ("share_percent", "online_share_percent", "per_source")
# per_source: left out is the default cap (8.0); one of these words is no cap at all (null).
NO_CAP_WORDS = frozenset({"none", "null", "无", "不限"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INTEGER = re.compile(r"[+-]?\d+")
SHANGHAI_MIDNIGHT = "T00:00:00+08:00"

# Catalogue C1 of PROGRAMMES.md: the template's example.
EXAMPLE: dict[str, Any] = {
    "name": "软件技术专业（高职专科）学分转换目录 2026",
    "effective_from": "2026-09-01T00:00:00+08:00",
    "total_credits": "120.0",
    "caps": {"share_percent": 50, "online_share_percent": 25, "per_source": "8.0"},
    "courses": [
        {"code": "WEB101", "name": "Web前端开发", "credits": "4.0", "kind": "practice",
         "equivalences": [{"kind": "certificate", "certificate_code": "1X-WEB-FRONTEND",
                           "min_level": "intermediate",
                           "grade": {"senior": "优秀", "intermediate": "良好"}}]},
        {"code": "JS102", "name": "JavaScript程序设计", "credits": "3.0", "kind": "theory",
         "equivalences": [{"kind": "certificate", "certificate_code": "1X-WEB-FRONTEND",
                           "min_level": "senior", "grade": "优秀"},
                          {"kind": "course", "course_code": "CS-JS-01",
                           "institution": "中国大学MOOC", "min_score": 60, "online": True,
                           "grade": "score"}]},
        {"code": "UI103", "name": "网页设计与制作", "credits": "2.0", "kind": "practice",
         "equivalences": [{"kind": "certificate", "certificate_code": "1X-WEB-FRONTEND",
                           "min_level": "senior", "grade": "良好"}]},
        {"code": "ICT100", "name": "信息技术基础", "credits": "2.0", "kind": "theory",
         "equivalences": [{"kind": "certificate", "certificate_code": "NCRE-2", "grade": "合格"}]},
        {"code": "PRAC201", "name": "专业综合实训", "credits": "3.0", "kind": "practice",
         "equivalences": [{"kind": "credits", "category": "practice", "min_credits": "3.0",
                           "grade": "合格"}]},
        {"code": "MATH101", "name": "高等数学", "credits": "4.0", "kind": "theory",
         "equivalences": []},
    ],
}  # fmt: skip


def upload_document(form: Mapping[str, str], courses: list[dict[str, Any]]) -> dict[str, Any]:
    """The document an upload stands for: the form's fields (text) and the sheet's courses.
    Empty fields are left out (the caps then take their defaults); ``effective_from`` may be
    a date alone, midnight in China (UTC+8); whole numbers are numbers."""
    given = {name: value.strip() for name, value in form.items() if value.strip()}
    document: dict[str, Any] = {
        name: given.get(name) for name in ("name", "effective_from", "total_credits")
    }
    if document["effective_from"] and _DATE.fullmatch(document["effective_from"]):
        document["effective_from"] += SHANGHAI_MIDNIGHT
    caps: dict[str, Any] = {}
    for name in ("share_percent", "online_share_percent"):
        if name in given:
            text = given[name]
            caps[name] = int(text) if _INTEGER.fullmatch(text) else text
    if "per_source" in given:
        text = given["per_source"]
        caps["per_source"] = None if text.lower() in NO_CAP_WORDS else text
    document["caps"] = caps
    document["courses"] = courses
    return document


def note_row() -> list[str]:
    """What each column takes; the row starts with ``#``, so an upload reads past it."""
    notes = [column.note for column in COLUMNS]
    notes[0] = f"{NOTE_MARK} {notes[0]}（以 {NOTE_MARK} 开头的行是说明，上传时跳过）"
    return notes


def catalogue_rows(document: Mapping[str, Any]) -> list[list[Any]]:
    """A normalised document's courses as the sheet's rows: one per equivalence (one for a
    course without any), cells in the order of the columns."""
    rows = []
    for course in document["courses"]:
        first = {
            "code": course["code"],
            "name": course["name"],
            "credits": course["credits"],
            "kind": cells.course_kind_text(course["kind"]),
        }
        for equivalence in course["equivalences"] or [None]:
            cells_of = {**first, **(_equivalence_cells(equivalence) if equivalence else {})}
            rows.append([cells_of.get(column.field) for column in COLUMNS])
    return rows


def _equivalence_cells(equivalence: Mapping[str, Any]) -> dict[str, Any]:
    kind = equivalence["kind"]
    written: dict[str, Any] = {
        "equivalence": cells.equivalence_kind_text(kind),
        "online": cells.online_text(bool(equivalence.get("online"))),
        "grade": cells.grade_text(equivalence.get("grade", "合格"), kind),
    }
    if kind in SOURCE_FIELDS:
        written["source_code"] = equivalence.get(SOURCE_FIELDS[kind])
    if kind in ("certificate", "skill_level"):
        written["min_level"] = cells.min_level_text(equivalence.get("min_level"), kind)
    if kind == "competition":
        written["scopes"] = cells.scopes_text(equivalence.get("scopes") or [])
        written["max_rank"] = cells.rank_text(equivalence.get("max_rank") or 3)
    if kind == "course":
        written["min_score"] = equivalence.get("min_score")
        written["institution"] = equivalence.get("institution")
    if kind == "credits":
        written["min_credits"] = equivalence.get("min_credits")
    return written
