"""The college's pages (``/college/``), for staff accounts of role ``college`` bound to one
college: the queue of applications that need it, an application's page, and on it the
decisions course by course (approve with a grade, reject with a reason, revoke after a
confirmation, confirm a flagged item), through the same services as the API. Another
college's application is 404; workstation staff get 403 here, as college staff do on the
workstation's pages."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from creditbank.domain.errors import DomainError, NotFound, ValidationFailed
from creditbank.domain.roles import Role
from creditbank.services import conversion_pages, transfers
from creditbank.web.conversion_forms import MAX_NOTE, certificate_pdf, problem_text
from creditbank.web.guards import staff_principal, staff_required
from creditbank.web.pages import page_blueprint

blp = page_blueprint("college", "/college")
college_required = staff_required(Role.COLLEGE)
PAGE_ROWS = 50
MAX_REASON = 500
GRADE_HELP = "等级须为 优秀、良好、中等、合格，或 60–100 的整数分数。"
Errors = dict[str, dict[str, str]]  # by item id: by field


@blp.get("/")
@college_required
def queue() -> str:
    page = conversion_pages.college_queue(staff_principal(), request.args.get("cursor"), PAGE_ROWS)
    return render_template("college/queue.html", page=page)


@blp.get("/applications/<application_id>")
@college_required
def application(application_id: str) -> str:
    return _application_page(application_id)


@blp.post("/applications/<application_id>/items/<item_id>/approve")
@college_required
def approve(application_id: str, item_id: str) -> Any:
    grade = request.form.get("grade", "").strip()
    note = request.form.get("note", "").strip()
    errors = _note_errors(note)
    if len(grade) > 16:
        errors["grade"] = GRADE_HELP
    body = {"decision": "approve", "grade": grade or None, "note": note or None}
    return _decide(application_id, item_id, body, errors)


@blp.post("/applications/<application_id>/items/<item_id>/reject")
@college_required
def reject(application_id: str, item_id: str) -> Any:
    reason = request.form.get("reason", "").strip()
    note = request.form.get("note", "").strip()
    errors = _note_errors(note)
    if not reason or len(reason) > MAX_REASON:
        errors["reason"] = f"请填写不认定的理由（不超过 {MAX_REASON} 字）。"
    body = {"decision": "reject", "reason": reason, "note": note or None}
    return _decide(application_id, item_id, body, errors)


@blp.route("/applications/<application_id>/items/<item_id>/revoke", methods=["GET", "POST"])
@college_required
def revoke(application_id: str, item_id: str) -> Any:
    """A page of its own that asks for the reason and confirms: a revocation appends a
    reversal to the learner's journal and cannot be undone."""
    view = conversion_pages.application_detail(staff_principal(), application_id)
    item = _item(view, item_id)
    if request.method == "GET":
        return render_template("college/revoke.html", application=view, item=item, errors={})
    reason = request.form.get("reason", "").strip()
    errors = {}
    if not reason or len(reason) > MAX_REASON:
        errors["reason"] = f"请填写撤销认定的理由（不超过 {MAX_REASON} 字）。"
    if request.form.get("confirm") != "yes":
        errors["confirm"] = "请勾选确认撤销。"
    if errors:
        page = render_template("college/revoke.html", application=view, item=item, errors=errors)
        return page, 422
    try:
        transfers.revoke_item(staff_principal(), application_id, item_id, reason)
    except DomainError as error:
        return _refused(application_id, item_id, error)
    flash(f"已撤销 {item['course_code']} {item['course_name']} 的认定。", "success")
    return _back(application_id, item_id)


@blp.post("/applications/<application_id>/items/<item_id>/confirm")
@college_required
def confirm(application_id: str, item_id: str) -> Any:
    note = request.form.get("note", "").strip()
    errors = _note_errors(note)
    if errors:
        return _application_page(application_id, errors={item_id: errors}, status=422)
    try:
        answer = transfers.confirm_item(staff_principal(), application_id, item_id, note or None)
    except DomainError as error:
        return _refused(application_id, item_id, error)
    item = answer["item"]
    flash(f"已确认 {item['course_code']} {item['course_name']} 的认定继续有效。", "success")
    return _back(application_id, item_id)


@blp.get("/applications/<application_id>/certificate.pdf")
@college_required
def certificate(application_id: str) -> Any:
    return certificate_pdf(staff_principal(), application_id)


def _decide(application_id: str, item_id: str, body: dict[str, Any], errors: dict[str, str]) -> Any:
    if errors:
        return _application_page(application_id, errors={item_id: errors}, status=422)
    try:
        decided = transfers.decide(staff_principal(), application_id, item_id, body)
    except ValidationFailed as error:
        fields = {
            field: GRADE_HELP if field == "grade" else "请检查此项。"
            for field in error.errors or {"grade": []}
        }
        return _application_page(application_id, errors={item_id: fields}, status=422)
    except DomainError as error:
        if error.status == 404:
            raise
        return _refused(application_id, item_id, error)
    item = decided.body["item"]
    what = f"{item['course_code']} {item['course_name']}"
    if item["status"] == "approved":
        flash(f"已认定 {what}（{item['course_credits']} 学分，成绩 {item['grade']}）。", "success")
    else:
        flash(f"已决定不认定 {what}。", "success")
    return _back(application_id, item_id)


def _application_page(
    application_id: str,
    *,
    errors: Errors | None = None,
    refusals: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    view = conversion_pages.application_detail(staff_principal(), application_id)
    page = render_template(
        "college/application.html",
        application=view,
        errors=errors or {},
        refusals=refusals or {},
        form=request.form if request.method == "POST" else {},
    )
    return page, status


def _item(view: dict[str, Any], item_id: str) -> dict[str, Any]:
    for item in view["items"]:
        if item["id"] == item_id:
            return item
    raise NotFound("没有这门申请课程。")


def _note_errors(note: str) -> dict[str, str]:
    return {"note": f"备注不超过 {MAX_NOTE} 字。"} if len(note) > MAX_NOTE else {}


def _back(application_id: str, item_id: str) -> BaseResponse:
    target = url_for(
        "college.application", application_id=application_id, _anchor=f"item-{item_id}"
    )
    return redirect(target)


def _refused(application_id: str, item_id: str, error: DomainError) -> Any:
    """The application again, the refusal in words beside the course (a cap's numbers)."""
    refusals = {item_id: problem_text(error)}
    return _application_page(application_id, refusals=refusals, status=error.status)
