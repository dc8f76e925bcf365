"""The workstation's conversion pages (``/workstation/conversion``): the hub (enrol a learner,
file for a learner, the latest applications, the national record), filing on a learner's
behalf from the eligibility preview, an application's status and its conversion certificate.
Enrolling is :mod:`creditbank.web.ws_enrolments`. Auditors read every page; the forms that
change something are the workstation's."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from creditbank.domain.errors import DomainError, ValidationFailed
from creditbank.domain.roles import Role
from creditbank.extensions import db
from creditbank.services import applications, conversion_pages, learners, programmes
from creditbank.web.conversion_forms import (
    certificate_pdf,
    file_from_form,
    month_errors,
    national_record,
    new_ref,
    preview_with_titles,
    problem_text,
)
from creditbank.web.guards import login_required, staff_principal, writer_required
from creditbank.web.views import blp

PAGE_ROWS = 30
PROGRAMME_ROWS = 500


@blp.get("/conversion")
@login_required
def conversion() -> str:
    return hub("", {}, {})


def hub(section: str, errors: dict[str, str], form: Any, status: int = 200) -> Any:
    """The hub page; when the form of ``section`` (enrol, sheet, apply, record) was refused,
    its errors beside its fields and what was typed in it."""
    query = {"cursor": request.args.get("cursor"), "limit": PAGE_ROWS}
    page = applications.list_applications(staff_principal(), query)
    rows = conversion_pages.named(db.session(), page.items)
    html = render_template(
        "workstation/conversion.html",
        rows=rows,
        next_cursor=page.next_cursor,
        programmes=all_programmes(),
        section=section,
        errors=errors,
        form=form,
        writer=g.staff.role == Role.WORKSTATION.value,
    )
    return html, status


@blp.get("/conversion/apply")
@login_required
def conversion_apply() -> Any:
    """The eligibility preview of a learner (by account number) in a programme; the
    workstation files the ticked courses on the learner's behalf."""
    preview = _preview()
    if not isinstance(preview, dict):
        return preview
    return _apply_page(preview, {})


@blp.post("/conversion/apply")
@writer_required
def conversion_file() -> Any:
    preview = _preview()
    if not isinstance(preview, dict):
        return preview
    filing = file_from_form(staff_principal(), preview, request.form)
    if filing.view is None:
        return _apply_page(preview, filing.errors), filing.status
    flash(f"已代学员提交申请，共 {len(filing.view['items'])} 门课程。", "success")
    return redirect(url_for("workstation.conversion_application", application_id=filing.view["id"]))


def _preview() -> Any:
    """The preview the form names (learner by account number, programme), or the hub with
    the fields' errors."""
    values = request.values
    account, programme_id = values.get("account", "").strip(), values.get("programme_id", "")
    learner_id, errors = learner_by_account(account)
    if learner_id is None:
        return hub("apply", errors, values, 422)
    try:
        return preview_with_titles(staff_principal(), programme_id, learner_id)
    except DomainError as error:
        if error.status == 404:
            return hub("apply", {"programme_id": "请选择专业。"}, values, 422)
        return hub("apply", {"programme_id": problem_text(error)}, values, error.status)


@blp.get("/conversion/applications/<application_id>")
@login_required
def conversion_application(application_id: str) -> str:
    view = conversion_pages.application_detail(staff_principal(), application_id)
    return render_template("workstation/conversion_application.html", application=view)


@blp.get("/conversion/applications/<application_id>/certificate.pdf")
@login_required
def conversion_certificate(application_id: str) -> Any:
    return certificate_pdf(staff_principal(), application_id)


@blp.get("/conversion/record.xlsx")
@login_required
def conversion_record() -> Any:
    """The national record for a month range: national IDs whole for the workstation,
    masked for auditors (the API's scope)."""
    months, errors = month_errors(request.args)
    if errors:
        return hub("record", errors, request.args, 422)
    return national_record(staff_principal(), months)


def learner_by_account(account: str) -> tuple[str | None, dict[str, str]]:
    """The learner of an account number as the workstation types it, or the field's error."""
    if not account:
        return None, {"account": "请填写学员的学习账号。"}
    try:
        page = learners.find_learners(account_number=account, name=None, cursor=None, limit=1)
    except ValidationFailed:
        return None, {"account": "学习账号格式不对（请核对校验位）。"}
    if not page.items:
        return None, {"account": "没有这个学习账号的学员。"}
    return page.items[0].learner_id, {}


def all_programmes() -> list[dict[str, Any]]:
    return programmes.list_programmes(None, None, PROGRAMME_ROWS).items


def _apply_page(preview: dict[str, Any], errors: dict[str, str]) -> str:
    learner = learners.get_learner(preview["learner_id"])
    return render_template(
        "workstation/conversion_apply.html",
        preview=preview,
        learner=learner,
        account=request.values.get("account", "").strip(),
        programme_name=conversion_pages.programme_name(preview["programme_id"]),
        ref=request.form.get("ref") or new_ref(),
        errors=errors,
        writer=g.staff.role == Role.WORKSTATION.value,
    )
