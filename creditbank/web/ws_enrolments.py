"""Enrolling learners in a programme from the workstation's conversion hub: one by the form
(account number, student number, date), many by a sheet (学习账号, 学号, 入学日期), previewed
row by row and enrolled only when confirmed (the file staged between the two)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from creditbank.domain.errors import DomainError
from creditbank.intake.fields import today_in_shanghai
from creditbank.intake.sheets import SheetError, iso_date, read_sheet
from creditbank.services import enrolments, learners, staged_files
from creditbank.services.conversion_pages import open_enrolments, programme_name
from creditbank.web.conversion_forms import problem_text
from creditbank.web.guards import staff_principal, writer_required
from creditbank.web.views import blp
from creditbank.web.ws_conversion import hub, learner_by_account

MAX_ROWS = 1_000
MAX_STUDENT_NO = 32
HEADERS = {"account": ("学习账号", "account"), "student_no": ("学号", "student_no"),
           "enrolled_on": ("入学日期", "enrolled_on")}  # fmt: skip


@blp.post("/conversion/enrol")
@writer_required
def conversion_enrol() -> Any:
    form = request.form
    fields, errors = enrolment_fields(
        form.get("account", ""), form.get("student_no", ""), form.get("enrolled_on", "")
    )
    programme_id = form.get("programme_id", "")
    if programme_name(programme_id) is None:
        errors["programme_id"] = "请选择专业。"
    if errors:
        return hub("enrol", errors, form, 422)
    try:
        enrolments.enrol(staff_principal(), programme_id, fields)
    except DomainError as error:
        return hub("enrol", {"account": problem_text(error)}, form, error.status)
    who = learners.get_learner(fields["learner_id"]).name
    what = f"{programme_name(programme_id)}（学号 {fields['student_no']}）"
    flash(f"已为 {who} 注册 {what}。", "success")
    return redirect(url_for("workstation.conversion"))


@blp.post("/conversion/enrol-sheet")
@writer_required
def conversion_enrol_sheet() -> Any:
    programme_id = request.form.get("programme_id", "")
    upload = request.files.get("sheet")
    data = upload.read() if upload is not None else b""
    errors = {} if data else {"sheet": "请上传 XLSX 或 CSV 格式的注册表。"}
    if programme_name(programme_id) is None:
        errors["programme_id"] = "请选择专业。"
    if errors:
        return hub("sheet", errors, request.form, 422)
    return _preview(programme_id, staged_files.stage(data))


@blp.post("/conversion/enrol-sheet/confirm")
@writer_required
def conversion_enrol_confirm() -> BaseResponse | Any:
    programme_id, staged = request.form.get("programme_id", ""), request.form.get("staged", "")
    rows, problem = _rows(staged_files.load(staged, "sheet"), programme_id)
    if problem or any(row["error"] for row in rows) or programme_name(programme_id) is None:
        return _preview(programme_id, staged)
    done, refused = 0, []
    for row in rows:
        try:
            enrolments.enrol(staff_principal(), programme_id, row["fields"])
            done += 1
        except DomainError as error:
            refused.append(f"第 {row['number']} 行：{problem_text(error)}")
    flash(f"已注册 {done} 名学员到 {programme_name(programme_id)}。", "success")
    if refused:
        flash("未注册：" + "；".join(refused), "error")
    return redirect(url_for("workstation.conversion"))


def enrolment_fields(
    account: str, student_no: str, enrolled_on: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The enrolment's fields for the service, or the errors beside each field."""
    learner_id, errors = learner_by_account(account.strip())
    student_no = student_no.strip()
    if not 1 <= len(student_no) <= MAX_STUDENT_NO:
        errors["student_no"] = f"请填写学号（1–{MAX_STUDENT_NO} 位）。"
    try:
        day = date.fromisoformat(iso_date(enrolled_on.strip()))
        if day > today_in_shanghai():
            errors["enrolled_on"] = "入学日期不能晚于今天。"
    except ValueError:
        day = None
        errors["enrolled_on"] = "请按 年-月-日 填写入学日期，例如 2026-09-01。"
    fields = {"learner_id": learner_id, "student_no": student_no, "enrolled_on": day}
    return fields, errors


def _preview(programme_id: str, staged: str) -> Any:
    rows, problem = _rows(staged_files.load(staged, "sheet"), programme_id)
    bad = problem is not None or any(row["error"] for row in rows) or not rows
    page = render_template(
        "workstation/enrol_preview.html",
        rows=rows,
        problem=problem or ("表中没有数据行。" if not rows else None),
        staged=staged,
        programme_id=programme_id,
        programme_name=programme_name(programme_id),
    )
    return page, 422 if bad else 200


def _rows(data: bytes, programme_id: str) -> tuple[list[dict[str, Any]], str | None]:
    """The sheet's rows, each with its fields, the learner's name and its first error (a
    learner enrolled in the programme already is one)."""
    try:
        sheet = read_sheet(io.BytesIO(data), MAX_ROWS)
        header = [cell.strip() for cell in sheet.header.cells]
        where = _columns(header)
        if isinstance(where, str):
            return [], where
        rows = []
        for row in sheet.rows:
            cells = [*row.cells, *[""] * len(header)]
            values = {key: cells[index] for key, index in where.items()}
            fields, errors = enrolment_fields(
                values["account"], values["student_no"], values["enrolled_on"]
            )
            learner_id = fields["learner_id"]
            name = learners.get_learner(learner_id).name if learner_id else None
            enrolled = {e["programme_id"] for e in open_enrolments(learner_id or "")}
            if learner_id and programme_id in enrolled:
                errors = {"account": "该学员已在此专业注册。", **errors}
            first = next(iter(errors.values()), None)
            rows.append(
                {"number": row.number, **values, "name": name, "fields": fields, "error": first}
            )
    except SheetError as exc:
        return [], str(exc)
    return rows, None


def _columns(header: list[str]) -> dict[str, int] | str:
    """Where each column is (by its Chinese or field name), or what is missing."""
    where = {}
    for key, names in HEADERS.items():
        found = [i for i, cell in enumerate(header) if cell in names]
        if not found:
            return f"表头缺少“{names[0]}”列。"
        where[key] = found[0]
    return where
