"""The XLSX upload template of one outcome kind: Chinese headers, a note row that says what
each column takes (skipped on upload: it starts with ``#``), one example row, and drop-down
lists where a column takes a few values."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from creditbank.api.fields import today_in_shanghai
from creditbank.api.outcome_sheets import COLUMNS, KIND_NAMES, NOTE_MARK, VALUE_NAMES
from creditbank.api.schemas import OUTCOME_SCHEMAS
from creditbank.conversion import Ruleset, ruleset_in_force
from creditbank.extensions import db
from creditbank.services.conversion import load_rulesets
from creditbank.services.transaction import utcnow

if TYPE_CHECKING:
    from openpyxl.worksheet.datavalidation import DataValidation

FIRST_DATA_ROW = 3
LAST_VALIDATED_ROW = 20_002
_REF_PREFIXES = {
    "training_hours": "PX",
    "certificate": "ZS",
    "skill_level": "JN",
    "competition": "JS",
    "course": "KC",
    "informal": "FZ",
}
_EXAMPLES: dict[str, dict[str, Any]] = {
    "training_hours": {"title": "安全生产培训", "hours": 10},
    "certificate": {
        "title": "Web 前端开发职业技能等级证书",
        "certificate_code": "1X-WEB-FRONTEND",
        "level": "初级",
        "certificate_no": "WEB-J-0001",
    },
    "skill_level": {
        "title": "电工",
        "occupation_code": "6-31-01-03",
        "level": "中级工",
        "certificate_no": "DG-2026-0001",
    },
    "competition": {
        "title": "电子商务技能竞赛",
        "scope": "市级",
        "rank": "二等奖",
        "event": "重庆市职业院校技能大赛",
    },
    "course": {
        "title": "计算机应用基础",
        "course_code": "CS101",
        "credits": 2,
        "score": 85,
        "institution": "重庆开放大学",
    },
    "informal": {"title": "社区志愿服务", "description": "社区养老志愿服务 40 小时"},
}


def build_template(kind: str) -> io.BytesIO:
    """The template workbook of ``kind``, ready to send."""
    # openpyxl (and numpy with it) would add 0.15 s to every start-up: imported on first use.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    declared = OUTCOME_SCHEMAS[kind]().fields
    columns = [column for column in COLUMNS if column.field in declared]
    in_force = ruleset_in_force(load_rulesets(db.session).values(), utcnow())
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = KIND_NAMES[kind]
    sheet.append([column.header for column in columns])
    notes = [("必填：" if declared[c.field].required else "选填：") + c.note for c in columns]
    notes[0] = f"{NOTE_MARK} {notes[0]}（以 {NOTE_MARK} 开头的行是说明，上传时跳过）"
    sheet.append(notes)
    example = _example(kind, in_force)
    sheet.append([example.get(column.field) for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="808080")
    for index, column in enumerate(columns):
        letter = sheet.cell(row=1, column=index + 1).column_letter
        sheet.column_dimensions[letter].width = 18
        if column.field in ("achieved_on", "valid_until"):
            sheet.cell(row=FIRST_DATA_ROW, column=index + 1).number_format = "yyyy-mm-dd"
        validation = _validation(kind, column.field, in_force)
        if validation is not None:
            validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_VALIDATED_ROW}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = f"A{FIRST_DATA_ROW}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def _example(kind: str, in_force: Ruleset | None) -> dict[str, Any]:
    today = today_in_shanghai()
    example: dict[str, Any] = {
        "learner_id": "L0000000000",
        "external_ref": f"{_REF_PREFIXES[kind]}-{today:%Y%m}-0001",
        "kind": KIND_NAMES[kind],
        "achieved_on": today.replace(day=1),
        **_EXAMPLES[kind],
    }
    if kind == "training_hours":
        categories = sorted(in_force.hours_per_credit) if in_force else []
        example["category"] = categories[0] if categories else "theory"
    if kind == "certificate":
        example["valid_until"] = today.replace(day=1) + timedelta(days=3 * 365)
    return example


def _validation(kind: str, name: str, in_force: Ruleset | None) -> DataValidation | None:
    """A drop-down list (a warning, not a refusal: other accepted spellings still go in), or a
    number or date check, for the columns that have one."""
    from openpyxl.worksheet.datavalidation import DataValidation  # see build_template

    choices: list[str] = []
    if name == "kind":
        choices = list(KIND_NAMES.values())
    elif (kind, name) in VALUE_NAMES:
        choices = _labels(VALUE_NAMES[(kind, name)])
    elif name == "category" and kind == "training_hours" and in_force:
        choices = sorted(in_force.hours_per_credit)
    if choices:
        return DataValidation(
            type="list",
            formula1='"' + ",".join(choices) + '"',
            allow_blank=True,
            errorStyle="warning",
            showErrorMessage=True,
        )
    if name in ("achieved_on", "valid_until"):
        return DataValidation(
            type="date",
            operator="greaterThan",
            formula1="1",
            allow_blank=True,
            errorStyle="warning",
            showErrorMessage=True,
            error="请填写日期（YYYY-MM-DD）",
        )
    if name in ("hours", "credits"):
        return DataValidation(
            type="decimal",
            operator="greaterThanOrEqual",
            formula1="0",
            allow_blank=True,
            errorStyle="warning",
            showErrorMessage=True,
            error="请填写数字，至多一位小数",
        )
    if name == "score":
        return DataValidation(
            type="whole",
            operator="between",
            formula1="0",
            formula2="100",
            allow_blank=True,
            errorStyle="warning",
            showErrorMessage=True,
            error="请填写 0–100 的整数",
        )
    return None


def _labels(values: dict[str, Any]) -> list[str]:
    """The Chinese labels of a coded value, one per code (the first spelling of each)."""
    seen: dict[Any, str] = {}
    for label, code in values.items():
        seen.setdefault(code, label)
    return list(seen.values())
