"""The learner's conversion pages (``/learner/applications``): pick a programme one is
enrolled in, see the eligibility preview (which courses one's outcomes can exempt, the bank
credits each would spend, the room left under the caps), tick courses and file; then follow
each course's decision and download the conversion certificate (PDF)."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from creditbank.domain.errors import DomainError
from creditbank.extensions import db
from creditbank.services import applications, conversion_pages
from creditbank.web.conversion_forms import (
    certificate_pdf,
    file_from_form,
    new_ref,
    preview_with_titles,
    problem_text,
)
from creditbank.web.guards import learner_principal, learner_required
from creditbank.web.learner_views import blp
from creditbank.web.pages import error_page

PAGE_ROWS = 20


@blp.get("/applications", endpoint="applications")
@learner_required
def applications_page() -> str:
    query = {"cursor": request.args.get("cursor"), "limit": PAGE_ROWS}
    page = applications.list_applications(learner_principal(), query)
    return render_template(
        "learner/applications.html",
        rows=conversion_pages.named(db.session(), page.items),
        next_cursor=page.next_cursor,
        programmes=conversion_pages.open_enrolments(g.learner.learner_id),
    )


@blp.route("/apply/<programme_id>", methods=["GET", "POST"])
@learner_required
def apply(programme_id: str) -> Any:
    enrolled = conversion_pages.open_enrolments(g.learner.learner_id)
    if programme_id not in {row["programme_id"] for row in enrolled}:
        return error_page("您没有在读注册的这个专业。", 404)
    try:
        preview = preview_with_titles(learner_principal(), programme_id, None)
    except DomainError as error:
        return error_page(problem_text(error), error.status)
    if request.method == "GET":
        return _apply_page(preview, {})
    filing = file_from_form(learner_principal(), preview, request.form)
    if filing.view is None:
        return _apply_page(preview, filing.errors), filing.status
    count = len(filing.view["items"])
    flash(f"申请已提交，共 {count} 门课程，请等待院校审核。", "success")
    return redirect(url_for("learner.application", application_id=filing.view["id"]))


@blp.get("/applications/<application_id>")
@learner_required
def application(application_id: str) -> str:
    view = conversion_pages.application_detail(learner_principal(), application_id)
    return render_template("learner/application.html", application=view)


@blp.get("/applications/<application_id>/certificate.pdf")
@learner_required
def certificate(application_id: str) -> Any:
    return certificate_pdf(learner_principal(), application_id)


def _apply_page(preview: dict[str, Any], errors: dict[str, str]) -> str:
    return render_template(
        "learner/apply.html",
        preview=preview,
        programme_name=conversion_pages.programme_name(preview["programme_id"]),
        ref=request.form.get("ref") or new_ref(),
        errors=errors,
    )
