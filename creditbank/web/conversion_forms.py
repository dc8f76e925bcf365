"""What the conversion pages of every visitor share (the college's, the learner's, the
workstation's): a refusal in words, the eligibility preview as a form and the filing it
posts, the conversion certificate as a PDF, the national record's month range."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Response, send_file
from werkzeug.datastructures import MultiDict

from creditbank.college_labels import PROBLEM_TEXT, cap_sentence
from creditbank.documents.spreadsheets import XLSX_MIMETYPE, xlsx_file
from creditbank.domain.errors import DomainError
from creditbank.domain.roles import Principal
from creditbank.services import applications, course_conversions, eligibility
from creditbank.services import transfer_certificates as certificates
from creditbank.services.conversion_pages import filed_under_ref, outcome_titles
from creditbank.services.transaction import utcnow

REF = re.compile(r"web-[0-9a-f]{16}")
MONTH_FIELD = re.compile(r"(\d{4})-(\d{2})")  # <input type="month">: 2026-09
MAX_NOTE = 500


def problem_text(error: DomainError) -> str:
    """A refusal as a person reads it: a cap's numbers, else the problem's sentence."""
    cap = error.members.get("cap")
    if isinstance(cap, Mapping):
        return cap_sentence(cap)
    return PROBLEM_TEXT.get(error.slug, error.detail)


def new_ref() -> str:
    """The filing's idempotency key, made when the form is shown: posting it twice files once."""
    return f"web-{secrets.token_hex(8)}"


def preview_with_titles(principal: Principal, programme_id: str, learner_id: str | None) -> Any:
    """The eligibility preview, each option's outcomes with their titles."""
    preview = eligibility.preview(principal, programme_id, learner_id)
    options = [option for course in preview["courses"] for option in course["options"]]
    ids = {outcome_id for option in options for outcome_id in option["outcome_ids"]}
    titles = outcome_titles(preview["learner_id"], ids)
    for course in preview["courses"]:
        for option in course["options"]:
            option["titles"] = [titles.get(oid, "—") for oid in option["outcome_ids"]]
    return preview


def filing_from_form(
    preview: Mapping[str, Any], form: MultiDict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The filing the ticked courses make (each with the option chosen, the first by
    default), or the errors beside the fields."""
    errors: dict[str, str] = {}
    courses = {c["course_code"]: c for c in preview["courses"] if c["options"]}
    ticked = form.getlist("course")
    items = []
    for code in ticked:
        course = courses.get(code)
        if course is None:
            errors["course"] = "所选课程不可申请，请按预览重新勾选。"
            continue
        choice = form.get(f"option-{code}", "0")
        index = int(choice) if choice.isdigit() else -1
        if not 0 <= index < len(course["options"]):
            errors[f"option-{code}"] = "请选择用于该课程的成果。"
            continue
        items.append({"course_code": code, "outcome_ids": course["options"][index]["outcome_ids"]})
    if not ticked:
        errors["course"] = "请至少勾选一门课程。"
    ref, note = form.get("ref", ""), form.get("note", "").strip()
    if not REF.fullmatch(ref):
        errors["course"] = "表单已失效，请重新打开申请页面。"
    if len(note) > MAX_NOTE:
        errors["note"] = f"备注不超过 {MAX_NOTE} 字。"
    body = {"programme_id": preview["programme_id"], "external_ref": ref, "items": items}
    if note:
        body["note"] = note
    return body, errors


class Filing:
    """What posting the preview's form did: the application filed, or the errors beside the
    fields and the status of the page that shows them again."""

    def __init__(
        self, view: dict[str, Any] | None, errors: dict[str, str], status: int = 201
    ) -> None:
        self.view, self.errors, self.status = view, errors, status


def file_from_form(
    principal: Principal, preview: Mapping[str, Any], form: MultiDict[str, str]
) -> Filing:
    """File the ticked courses for ``preview``'s learner (nothing is written on an error).
    The same form posted again (its filing key) answers the application it filed."""
    earlier = filed_under_ref(preview["learner_id"], form.get("ref", ""))
    if earlier is not None:
        return Filing(applications.get_application(principal, earlier), {}, 200)
    body, errors = filing_from_form(preview, form)
    if errors:
        return Filing(None, errors, 422)
    if principal.subject != preview["learner_id"]:
        body["learner_id"] = preview["learner_id"]
    try:
        view, _ = applications.file_application(principal, body)
    except DomainError as error:
        if error.status == 404:
            raise
        return Filing(None, {"course": problem_text(error)}, error.status)
    return Filing(view, {})


def certificate_pdf(principal: Principal, application_id: str) -> Response:
    """The conversion certificate (the API's document) as a PDF download."""
    from creditbank.documents.certificate_pdf import render_certificate_pdf

    document = certificates.certificate(principal, application_id)
    response = Response(render_certificate_pdf(document), mimetype="application/pdf")
    name = f"certificate-{document['certificate_no']}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def month_errors(form: Mapping[str, str]) -> tuple[dict[str, str | None], dict[str, str]]:
    """The record's ``from``/``to`` months (YYYYMM) from month fields, or errors by field."""
    months: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for field in ("from", "to"):
        value = (form.get(field) or "").strip()
        found = MONTH_FIELD.fullmatch(value)
        month = f"{found.group(1)}{found.group(2)}" if found else None
        if value and (month is None or not course_conversions.MONTH.fullmatch(month)):
            errors[field] = "请按 年-月 填写月份，例如 2026-09。"
        months[field] = month
    if not errors and months["from"] and months["to"] and months["from"] > months["to"]:
        errors["to"] = "结束月份不能早于起始月份。"
    return months, errors


def national_record(principal: Principal, months: Mapping[str, str | None]) -> Response:
    """The national conversion record (XLSX) in the caller's scope, as the API exports it."""
    scope = course_conversions.export_scope(principal, {**months, "college_id": None})
    rows = course_conversions.course_conversion_rows(scope)
    return send_file(
        xlsx_file(course_conversions.SHEET_TITLE, course_conversions.COLUMNS, rows),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"course-conversions-{utcnow():%Y%m%dT%H%MZ}.xlsx",
    )
