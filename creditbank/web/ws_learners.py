"""The clerk's learner pages: search (a posted form: a name, an account number or a national ID
never goes into a URL), one learner's page (identity, balance, outcomes, journal), and the
learner's documents as files (the same transcript and credential the API serves)."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from creditbank.documents.html import transcript_page
from creditbank.domain.errors import NotFound, ValidationFailed
from creditbank.labels import ENTRY_KIND_NAMES, category_text
from creditbank.services import accounts, credentials, learners, outcomes, transcripts
from creditbank.services.learner_search import search_learners
from creditbank.services.outcome_titles import outcome_title, outcome_titles
from creditbank.web.guards import login_required, staff_principal
from creditbank.web.pages import error_page
from creditbank.web.views import blp

PAGE_ROWS = 50
# A transcript saved from the workstation opens as a document of its own: inline styles only.
_DOCUMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@blp.route("/learners/search", methods=["GET", "POST"])
@login_required
def learner_search() -> Any:
    """The search form; its answer is the POST's page (nothing searched for is in the URL)."""
    if request.method == "GET":
        return render_template("workstation/learner_search.html")
    query = request.form.get("q", "")
    try:
        found = search_learners(query, request.form.get("cursor") or None, PAGE_ROWS)
    except ValidationFailed as exc:
        errors = {"q": (exc.errors or {}).get("q", [exc.detail])[0]}
        return render_template("workstation/learner_search.html", q=query, errors=errors), 422
    return render_template("workstation/learner_search.html", q=query, found=found)


@blp.get("/learners/<learner_id>")
@login_required
def learner_page(learner_id: str) -> Any:
    principal = staff_principal()
    try:
        learner = learners.get_learner(learner_id)
    except NotFound:
        return error_page("没有这个学员。", 404)
    balance = accounts.balance(principal, learner_id, None)
    outcome_page = outcomes.list_outcomes(
        principal,
        learner_id=learner_id,
        provider_id=None,
        status=None,
        cursor=request.args.get("outcomes") or None,
        limit=PAGE_ROWS,
    )
    for view in outcome_page.items:
        view["title_text"] = outcome_title(view["kind"], view, view.get("category"))
    entries = accounts.ledger(principal, learner_id, request.args.get("cursor") or None, PAGE_ROWS)
    titles = outcome_titles(
        learner_id, {entry["outcome_id"] for entry in entries.items if entry.get("outcome_id")}
    )
    return render_template(
        "workstation/learner.html",
        learner=learner,
        balance=balance,
        categories=_category_rows(balance),
        outcomes=outcome_page,
        entries=entries,
        titles=titles,
        entry_kinds=ENTRY_KIND_NAMES,
        may_write=g.staff.role == "workstation",
    )


@blp.get("/learners/<learner_id>/transcript.html")
@login_required
def transcript_html(learner_id: str) -> Response:
    document = transcripts.transcript(staff_principal(), learner_id)
    response = Response(transcript_page(document), mimetype="text/html")
    response.headers["Content-Security-Policy"] = _DOCUMENT_CSP
    return _attachment(response, document, "html")


@blp.get("/learners/<learner_id>/transcript.pdf")
@login_required
def transcript_pdf(learner_id: str) -> Response:
    document = transcripts.transcript(staff_principal(), learner_id)
    # reportlab is slow to load: imported with the first PDF, as the API does.
    from creditbank.documents.pdf import render_transcript_pdf

    response = Response(render_transcript_pdf(document), mimetype="application/pdf")
    return _attachment(response, document, "pdf")


@blp.get("/learners/<learner_id>/credential.jwt")
@login_required
def credential_file(learner_id: str) -> BaseResponse:
    number = learners.get_learner(learner_id).account_number
    try:
        token = credentials.issue_credential(staff_principal(), learner_id)
    except NotFound:  # nothing credited: a credential holds at least one achievement
        flash("该学员还没有已认定的学分，暂无可验证凭证可下载。", "error")
        return redirect(url_for("workstation.learner_page", learner_id=learner_id))
    response = Response(token, mimetype="application/vc+jwt")
    response.headers["Content-Disposition"] = f'attachment; filename="credential-{number}.jwt"'
    return response


def _attachment(response: Response, document: dict[str, Any], extension: str) -> Response:
    number = document["learner"]["account_number"]
    response.headers["Content-Disposition"] = (
        f'attachment; filename="transcript-{number}.{extension}"'
    )
    return response


def _category_rows(balance: dict[str, Any]) -> list[dict[str, str]]:
    """One row per category: its Chinese name, balance, converted and available."""
    names = sorted(
        balance["by_category"].keys()
        | balance["converted_by_category"].keys()
        | balance["available_by_category"].keys()
    )
    return [
        {
            "label": category_text(name)["zh"],
            "balance": balance["by_category"].get(name, "0.0"),
            "converted": balance["converted_by_category"].get(name, "0.0"),
            "available": balance["available_by_category"].get(name, "0.0"),
        }
        for name in names
    ]
