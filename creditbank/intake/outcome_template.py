"""The XLSX upload template of one outcome kind: Chinese headers, a note row that says what
each column takes (skipped on upload: it starts with ``#``), one example row, and drop-down
lists where a column takes a few values."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from creditbank.conversion import Ruleset
from creditbank.intake.fields import today_in_shanghai
from creditbank.intake.outcome_sheets import COLUMNS, NOTE_MARK, VALUE_NAMES
from creditbank.intake.outcomes import OUTCOME_SCHEMAS
from creditbank.labels import SHEET_KIND_NAMES as KIND_NAMES

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


def build_template(kind: str, in_force: Ruleset | None) -> io.BytesIO:
    """The template workbook of ``kind``, ready to send; ``in_force`` (the ruleset in force,
    if any) names the training-hours categories the drop-down offers."""
    # openpyxl (and numpy with it) would add 0.15 s to every start-up: imported on first use.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    declared = OUTCOME_SCHEMAS[kind]().fields
    columns = [column for column in COLUMNS if column.field in declared]
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook has one sheet, a worksheet
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
        letter = get_column_letter(index + 1)
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


# The number and date checks: (type, operator, formula1, formula2, the message shown).
_CheckType = Literal["whole", "decimal", "date"]
_Operator = Literal["between", "greaterThan", "greaterThanOrEqual"]
_CHECKS: dict[str, tuple[_CheckType, _Operator, str, str | None, str]] = {
    "achieved_on": ("date", "greaterThan", "1", None, "请填写日期（YYYY-MM-DD）"),
    "valid_until": ("date", "greaterThan", "1", None, "请填写日期（YYYY-MM-DD）"),
    "hours": ("decimal", "greaterThanOrEqual", "0", None, "请填写数字，至多一位小数"),
    "credits": ("decimal", "greaterThanOrEqual", "0", None, "请填写数字，至多一位小数"),
    "score": ("whole", "between", "0", "100", "请填写 0–100 的整数"),
}


def _validation(kind: str, name: str, in_force: Ruleset | None) -> DataValidation | None:
    """A drop-down list (a warning, not a refusal: other accepted spellings still go in), or a
    number or date check, for the columns that have one."""
    from openpyxl.worksheet.datavalidation import DataValidation  # see build_template

    # A warning, never a refusal: the file is checked again, row by row, on upload.
    warning: dict[str, Any] = {
        "allow_blank": True,
        "errorStyle": "warning",
        "showErrorMessage": True,
    }
    choices = _choices(kind, name, in_force)
    if choices:
        return DataValidation(type="list", formula1='"' + ",".join(choices) + '"', **warning)
    if name not in _CHECKS:
        return None
    kind_of_check, operator, low, high, message = _CHECKS[name]
    return DataValidation(
        type=kind_of_check, operator=operator, formula1=low, formula2=high, error=message, **warning
    )


def _choices(kind: str, name: str, in_force: Ruleset | None) -> list[str]:
    if name == "kind":
        return list(KIND_NAMES.values())
    if (kind, name) in VALUE_NAMES:
        return _labels(VALUE_NAMES[(kind, name)])
    if name == "category" and kind == "training_hours" and in_force:
        return sorted(in_force.hours_per_credit)
    return []


def _labels(values: dict[str, Any]) -> list[str]:
    """The Chinese labels of a coded value, one per code (the first spelling of each)."""
    seen: dict[Any, str] = {}
    for label, code in values.items():
        seen.setdefault(code, label)
    return list(seen.values())
