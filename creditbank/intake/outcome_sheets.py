"""Outcomes in a spreadsheet: the columns (Chinese or English headers), reading each row into
the same outcome the JSON batch takes, and keying every error by row and column.

Each row is validated by :func:`creditbank.intake.outcomes.load_outcome` and posted by
:func:`creditbank.services.outcomes.record_outcomes`, so an upload follows exactly the rules of
``POST /outcomes``: all or nothing, replays answered from the original, conflicts refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import fields

from creditbank.domain.errors import ValidationFailed
from creditbank.intake.outcomes import OUTCOME_SCHEMAS, load_outcome
from creditbank.intake.sheets import MAX_CELL_LENGTH, Row, iso_date
from creditbank.intake.text import excerpt, unkeepable
from creditbank.labels import SHEET_KIND_NAMES as KIND_NAMES


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # the Chinese header the template writes; the field name is accepted too
    note: str  # what the template's note row says about it


COLUMNS: tuple[Column, ...] = (
    Column("learner_id", "学员编号", "学分银行账号，如 L01J…"),
    Column("external_ref", "外部编号", "本机构的记录编号，不可重复；重传同一编号不会重复登记"),
    Column("kind", "成果类型", "培训学时、证书、技能等级、竞赛、课程或非正式学习"),
    Column("achieved_on", "获得日期", "YYYY-MM-DD，不晚于今天"),
    Column("title", "名称", "成果名称"),
    Column("category", "类别", "学分类别；培训学时填转换规则中的学时类别"),
    Column("hours", "学时", "大于 0，至多一位小数"),
    Column("certificate_code", "证书代码", "如 1X-WEB-FRONTEND"),
    Column("level", "等级", "证书：初级/中级/高级；技能等级：五级(初级工)至一级(高级技师)"),
    Column("certificate_no", "证书编号", "证书上的编号"),
    Column("valid_until", "有效期至", "YYYY-MM-DD"),
    Column("occupation_code", "职业代码", "国家职业分类代码"),
    Column("scope", "范围", "国家级/省级/市级/县级"),
    Column("rank", "名次", "一等奖/二等奖/三等奖（或 1、2、3）"),
    Column("event", "赛事", "赛事名称"),
    Column("course_code", "课程代码", "课程代码"),
    Column("credits", "学分", "课程学分，至多一位小数"),
    Column("score", "成绩", "0–100 的整数"),
    Column("institution", "院校", "开课院校"),
    Column("description", "说明", "学习内容说明"),
)
BY_FIELD = {column.field: column for column in COLUMNS}
# Columns a provider may keep for its own checking; they are read past, never posted.
IGNORED_HEADERS = frozenset({"姓名", "name"})

# Chinese spellings of coded values, per (kind, field); the codes themselves are accepted too.
VALUE_NAMES: dict[tuple[str, str], dict[str, Any]] = {
    ("certificate", "level"): {"初级": "junior", "中级": "intermediate", "高级": "senior"},
    ("skill_level", "level"): {
        **{"初级工": 5, "中级工": 4, "高级工": 3, "技师": 2, "高级技师": 1},
        **{"五级": 5, "四级": 4, "三级": 3, "二级": 2, "一级": 1},
    },
    ("competition", "scope"): {
        "国家级": "national",
        "省级": "provincial",
        "市级": "municipal",
        "县级": "county",
    },
    ("competition", "rank"): {"一等奖": 1, "二等奖": 2, "三等奖": 3},
}
NOTE_MARK = "#"
_INTEGER = re.compile(r"[+-]?\d+")
_KINDS = {**{name: kind for kind, name in KIND_NAMES.items()}, **{k: k for k in KIND_NAMES}}


def normal_header(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


_HEADERS = {
    **{normal_header(c.header): c.field for c in COLUMNS},
    **{c.field: c.field for c in COLUMNS},
}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # the header as the file spells it, or the template's when the column is absent
    message: str

    @property
    def key(self) -> str:
        return f"rows.{self.row}.{self.column}"

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ParsedSheet:
    """Valid rows as outcomes (with their row numbers) and every error found in the others."""

    labels: dict[str, str]  # field -> header as the file spells it
    items: list[dict[str, Any]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0

    def label(self, name: str) -> str:
        column = BY_FIELD.get(name)
        return self.labels.get(name) or (column.header if column else name)

    def row_errors(self, keyed: Mapping[str, list[str]]) -> list[RowError]:
        """Errors keyed ``items.<i>.<field>`` (the service's keys) as row and column errors."""
        found: list[RowError] = []
        for key, messages in keyed.items():
            _, index, name = key.split(".", 2)
            row = self.row_numbers[int(index)]
            found.extend(RowError(row, self.label(name), message) for message in messages)
        return found


def keyed(errors: Iterable[RowError]) -> dict[str, list[str]]:
    """Row errors as problem+json ``errors``: ``{"rows.<row>.<column>": [messages]}``."""
    result: dict[str, list[str]] = {}
    for error in sorted(errors, key=lambda e: e.row):
        result.setdefault(error.key, []).append(error.message)
    return result


def parse_sheet(header: Row, rows: Iterable[Row]) -> ParsedSheet:
    """Read every row, validating each as ``POST /outcomes`` would; collect all errors."""
    columns, labels, errors = _columns(header)
    parsed = ParsedSheet(labels=labels, errors=errors)
    names = [excerpt(text) for text in header.cells]  # a column as errors name it
    first_row_of: dict[str, int] = {}
    for row in rows:
        if is_note(row):
            continue
        parsed.rows += 1
        unfit = _unfit_cells(row, names)
        if unfit:  # the cells, not the outcome, are wrong: their text could not be posted
            parsed.errors.extend(unfit)
            continue
        raw = {name: text for name, text in zip(columns, row.cells, strict=False) if name and text}
        parsed.errors.extend(_values_under_no_header(row, len(columns)))
        try:
            item = load_outcome(_typed(raw), "")
        except ValidationFailed as exc:
            for name, messages in (exc.errors or {}).items():
                parsed.errors.extend(RowError(row.number, parsed.label(name), m) for m in messages)
            continue
        earlier = first_row_of.setdefault(item["external_ref"], row.number)
        if earlier != row.number:
            message = f"Repeats row {earlier} of this file."
            parsed.errors.append(RowError(row.number, parsed.label("external_ref"), message))
            continue
        parsed.items.append(item)
        parsed.row_numbers.append(row.number)
    return parsed


def _values_under_no_header(row: Row, width: int) -> list[RowError]:
    filled = [index for index in range(width, len(row.cells)) if row.cells[index]]
    return [RowError(row.number, _column_letter(i + 1), "A value under no header.") for i in filled]


def _unfit_cells(row: Row, names: list[str]) -> list[RowError]:
    """Cells no column may hold: text the bank cannot keep (a NUL), or longer than any field."""
    found: list[RowError] = []
    for index, (name, text) in enumerate(zip(names, row.cells, strict=False)):
        problem = unkeepable(text)
        if problem is None and len(text) > MAX_CELL_LENGTH:
            problem = f"Longer than {MAX_CELL_LENGTH:,} characters."
        if problem is not None:
            found.append(RowError(row.number, name or _column_letter(index + 1), problem))
    return found


def _column_letter(number: int) -> str:
    """``A``, ``B`` … ``AA``: the name a spreadsheet shows for its ``number``-th column."""
    from openpyxl.utils import get_column_letter  # not at the top: openpyxl slows start-up

    return get_column_letter(number)


def is_note(row: Row) -> bool:
    """A row whose first filled cell starts with ``#`` is a note (the template has one)."""
    first = next((cell for cell in row.cells if cell), "")
    return first.startswith(NOTE_MARK)


def _columns(header: Row) -> tuple[list[str | None], dict[str, str], list[RowError]]:
    columns: list[str | None] = []
    labels: dict[str, str] = {}
    errors: list[RowError] = []
    for text in header.cells:
        normal = normal_header(text)
        name = _HEADERS.get(normal)
        if name is None and normal and normal not in IGNORED_HEADERS:
            accepted = "、".join(c.header for c in COLUMNS)
            errors.append(
                RowError(1, excerpt(text), f"Unknown column; the columns are {accepted}.")
            )
        elif name is not None and name in labels:
            errors.append(RowError(1, excerpt(text), f"Repeats the column {labels[name]}."))
            name = None
        elif name is not None:
            labels[name] = text
        columns.append(name)
    return columns, labels, errors


def _typed(raw: dict[str, str]) -> dict[str, Any]:
    """Cell text as the JSON body would carry it: kinds and coded values in English, whole
    numbers as integers where the kind's schema wants one, dates as ``YYYY-MM-DD``."""
    kind = _KINDS.get(normal_header(raw.get("kind", "")), raw.get("kind"))
    typed: dict[str, Any] = {**raw, "kind": kind} if kind else dict(raw)
    schema = OUTCOME_SCHEMAS.get(kind or "")
    if schema is None:
        if "kind" in raw:
            names = "、".join(f"{zh} ({en})" for en, zh in KIND_NAMES.items())
            raise ValidationFailed(errors={"kind": [f"Must be one of: {names}."]})
        return typed  # the schema lookup reports the missing kind
    declared = schema._declared_fields  # the class's fields; no instance needed to read them
    for name, text in raw.items():
        if name == "kind":
            continue
        value: Any = VALUE_NAMES.get((kind or "", name), {}).get(text, text)
        kind_of_field = declared.get(name)
        if isinstance(kind_of_field, fields.Integer) and isinstance(value, str):
            value = int(value) if _INTEGER.fullmatch(value) else value
        elif isinstance(kind_of_field, fields.Date):
            value = iso_date(value)
        typed[name] = value
    return typed
