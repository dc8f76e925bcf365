"""A catalogue's courses in a spreadsheet (PROGRAMMES.md § Endpoints, *Catalogues*): one row per
course and equivalence, headers in Chinese or as field names, in any order.

Rows with the same 课程代码 are one course, their equivalences in row order; the first row fixes
the course's name, credits and kind, and a later row that says otherwise is an error on that
row. The rows become the document's ``courses``, which is then validated as a posted document
is (:func:`creditbank.transfer.validate_catalogue_document`); its errors come back here to be
named by row and column (:meth:`ParsedCatalogue.split_errors`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from creditbank.domain.amounts import AmountError, parse_tenths
from creditbank.intake import catalogue_cells as cells
from creditbank.intake.outcome_sheets import (
    Column,
    RowError,
    _unfit_cells,
    _values_under_no_header,
    is_note,
    normal_header,
)
from creditbank.intake.sheets import Row
from creditbank.intake.text import excerpt

COLUMNS: tuple[Column, ...] = (
    Column("code", "课程代码", "必填：字母、数字、_ 或 -；一门课程有几条认定对应关系就写几行"),
    Column("name", "课程名称", "必填：同一课程的各行相同"),
    Column("credits", "学分", "必填：大于 0、至多 30，至多一位小数"),
    Column("kind", "课程性质", "理论/实践，空为理论"),
    Column("equivalence", "认定来源", "证书/技能等级/竞赛/课程/学分；空：本行没有认定对应关系"),
    Column("source_code", "来源代码", "证书代码、职业代码、课程代码，或（学分）学分类别"),
    Column("min_level", "最低等级", "证书：初级/中级/高级，空为不限；技能等级：五级…一级或 5–1"),
    Column("scopes", "竞赛范围", "竞赛：国家级、省级、市级、县级，以 、 或 ; 分隔"),
    Column("max_rank", "最高名次", "竞赛：一等奖/二等奖/三等奖或 1–3，空为三等奖"),
    Column("min_score", "最低成绩", "课程：60–100，空为 60"),
    Column("institution", "原办学机构", "课程：开课机构，空为不限"),
    Column("min_credits", "最低学分", "学分：所需学分合计，大于 0"),
    Column("online", "在线课程", "是/否，空为否"),
    Column(
        "grade", "认定成绩", "优秀/良好/中等/合格，原成绩，或按等级：高级=优秀;中级=良好；空为合格"
    ),
)
BY_FIELD = {column.field: column for column in COLUMNS}
REQUIRED = ("code", "name", "credits")
COURSE_FIELDS = ("name", "credits", "kind")
# Columns a college may keep for its own notes; they are read past.
IGNORED_HEADERS = frozenset({"备注", "note"})
_HEADERS = {
    **{normal_header(column.header): column.field for column in COLUMNS},
    **{column.field: column.field for column in COLUMNS},
}
# The sheet's column of each field of an equivalence, and the kinds it is for (None: all).
SOURCE_FIELDS = {
    "certificate": "certificate_code",
    "skill_level": "occupation_code",
    "course": "course_code",
    "credits": "category",
}
APPLIES: dict[str, frozenset[str] | None] = {
    "source_code": frozenset(SOURCE_FIELDS),
    "min_level": frozenset({"certificate", "skill_level"}),
    "scopes": frozenset({"competition"}),
    "max_rank": frozenset({"competition"}),
    "min_score": frozenset({"course"}),
    "institution": frozenset({"course"}),
    "min_credits": frozenset({"credits"}),
    "online": None,
    "grade": None,
}
FIELD_COLUMNS = {
    "kind": "equivalence",
    **{name: "source_code" for name in SOURCE_FIELDS.values()},
    **{name: name for name in APPLIES if name != "source_code"},
}
_COURSE_PATH = re.compile(r"courses\.(\d+)(?:\.([a-z_]+)(?:\.(\d+)(?:\.([a-z_]+))?)?)?(?:\..*)?")


@dataclass
class ParsedCatalogue:
    """The courses read from the rows, where each came from, and every error of the rows."""

    labels: dict[str, str]  # field -> header as the file spells it
    courses: list[dict[str, Any]] = field(default_factory=list)
    course_rows: list[int] = field(default_factory=list)  # the row that opened each course
    equivalence_rows: list[list[int]] = field(default_factory=list)  # by course, in order
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0

    def label(self, name: str) -> str:
        return self.labels.get(name) or BY_FIELD[name].header

    def fail(self, row: int, name: str, message: str) -> None:
        self.errors.append(RowError(row, self.label(name), message))

    def split_errors(
        self, errors: Mapping[str, list[str]]
    ) -> tuple[list[RowError], dict[str, list[str]]]:
        """A document's errors as row errors where a row is their cause, and the rest (the
        form's fields, the number of courses) under their document paths. A cell the rows
        already reported is not named twice."""
        named = {(error.row, error.column) for error in self.errors}
        rows: list[RowError] = []
        document: dict[str, list[str]] = {}
        for path, messages in errors.items():
            place = self._place(path)
            if place is None:
                document[path] = list(messages)
            elif place not in named:
                rows.extend(RowError(place[0], place[1], message) for message in messages)
        return rows, document

    def _place(self, path: str) -> tuple[int, str] | None:
        match = _COURSE_PATH.fullmatch(path)
        if match is None or int(match[1]) >= len(self.courses):
            return None
        course, name, index, inner = match.groups()
        if name is None or name == "code":
            return self.course_rows[int(course)], self.label("code")
        if name != "equivalences":
            return self.course_rows[int(course)], self.label(name)
        rows = self.equivalence_rows[int(course)]
        if index is None or int(index) >= len(rows):
            return self.course_rows[int(course)], self.label("equivalence")
        return rows[int(index)], self.label(FIELD_COLUMNS.get(inner or "kind", "equivalence"))


def parse_catalogue_sheet(header: Row, rows: Iterable[Row]) -> ParsedCatalogue:
    """Read every row into courses and their equivalences; collect every error."""
    columns, parsed = _columns(header)
    if "code" not in parsed.labels:
        return parsed  # no course can be told from another
    names = [excerpt(text) for text in header.cells]
    index_of: dict[str, int] = {}
    for row in rows:
        if is_note(row):
            continue
        parsed.rows += 1
        unfit = _unfit_cells(row, names) + _values_under_no_header(row, len(columns))
        if unfit:
            parsed.errors.extend(unfit)
            continue
        given = {
            name: text for name, text in zip(columns, row.cells, strict=False) if name and text
        }
        code = given.get("code")
        if code is None:
            parsed.fail(row.number, "code", "Required: the course this row belongs to.")
            continue
        if code not in index_of:
            index_of[code] = len(parsed.courses)
            parsed.courses.append(_course(parsed, row.number, code, given))
            parsed.course_rows.append(row.number)
            parsed.equivalence_rows.append([])
        else:
            _check_agrees(parsed, row.number, index_of[code], given)
        equivalence = _equivalence(parsed, row.number, given)
        if equivalence is not None:
            parsed.courses[index_of[code]]["equivalences"].append(equivalence)
            parsed.equivalence_rows[index_of[code]].append(row.number)
    return parsed


def _columns(header: Row) -> tuple[list[str | None], ParsedCatalogue]:
    columns: list[str | None] = []
    parsed = ParsedCatalogue(labels={})
    for text in header.cells:
        normal = normal_header(text)
        name = _HEADERS.get(normal)
        if name is None and normal and normal not in IGNORED_HEADERS:
            accepted = "、".join(column.header for column in COLUMNS)
            parsed.errors.append(
                RowError(1, excerpt(text), f"Unknown column; the columns are {accepted}.")
            )
        elif name is not None and name in parsed.labels:
            message = f"Repeats the column {parsed.labels[name]}."
            parsed.errors.append(RowError(1, excerpt(text), message))
            name = None
        elif name is not None:
            parsed.labels[name] = text
        columns.append(name)
    for name in REQUIRED:
        if name not in parsed.labels:
            parsed.errors.append(RowError(1, BY_FIELD[name].header, "Missing column."))
    return columns, parsed


def _course(
    parsed: ParsedCatalogue, row: int, code: str, given: Mapping[str, str]
) -> dict[str, Any]:
    course: dict[str, Any] = {
        "code": code,
        "name": given.get("name"),
        "credits": given.get("credits"),
    }
    kind = given.get("kind")
    if kind is not None:
        try:
            course["kind"] = cells.course_kind(kind)
        except cells.CellError as exc:
            parsed.fail(row, "kind", str(exc))
            course["kind"] = kind
    course["equivalences"] = []
    return course


def _check_agrees(parsed: ParsedCatalogue, row: int, index: int, given: Mapping[str, str]) -> None:
    """A later row of a course may leave name, credits and kind empty, or repeat them."""
    course, first = parsed.courses[index], parsed.course_rows[index]
    for name in COURSE_FIELDS:
        text = given.get(name)
        if text is None:
            continue
        same = _same(name, text, course.get(name))
        if not same:
            was = course.get(name) or "empty"
            message = f"Differs from row {first} ({excerpt(str(was))}): a course's rows must agree."
            parsed.fail(row, name, message)


def _same(name: str, text: str, first: str | None) -> bool:
    if name == "kind":
        try:
            return cells.course_kind(text) == (first or "theory")
        except cells.CellError:
            return text == first
    if name == "credits" and first is not None:
        try:
            return parse_tenths(text) == parse_tenths(first)
        except AmountError:
            return text == first
    return text == first


def _equivalence(
    parsed: ParsedCatalogue, row: int, given: Mapping[str, str]
) -> dict[str, Any] | None:
    kind_text = given.get("equivalence")
    if kind_text is None:
        for name in APPLIES:
            if name in given:
                parsed.fail(row, name, f"Only for a row with {parsed.label('equivalence')}.")
        return None
    try:
        kind = cells.equivalence_kind(kind_text)
    except cells.CellError as exc:
        parsed.fail(row, "equivalence", str(exc))
        return {"kind": kind_text}
    equivalence: dict[str, Any] = {"kind": kind}
    for name, kinds in APPLIES.items():
        text = given.get(name)
        if text is None:
            continue
        if kinds is not None and kind not in kinds:
            parsed.fail(row, name, f"Not for {kind_text} equivalences.")
            continue
        try:
            equivalence[_field(name, kind)] = _value(name, text, kind)
        except cells.CellError as exc:
            parsed.fail(row, name, str(exc))
    return equivalence


def _field(name: str, kind: str) -> str:
    return SOURCE_FIELDS[kind] if name == "source_code" else name


def _value(name: str, text: str, kind: str) -> Any:
    if name == "min_level":
        return cells.min_level(text, kind)
    if name == "scopes":
        return cells.scopes(text)
    if name == "max_rank":
        return cells.whole_or_word(text, cells.RANKS)
    if name == "min_score":
        return cells.whole_or_word(text)
    if name == "online":
        return cells.online(text)
    if name == "grade":
        return cells.grade(text, kind)
    return text  # codes, the institution, min_credits: as typed
