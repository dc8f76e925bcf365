"""The learner portal's own pages on the ``learner`` blueprint: the balance chart (an SVG image
with a table of the same figures on the home page), depositing an outcome with evidence files
(存入), and reading one's evidence files back."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, g, redirect, render_template, request, url_for

from creditbank.body_limits import body_limit
from creditbank.documents.charts import balance_chart
from creditbank.documents.evidence import evidence_response
from creditbank.domain.errors import ValidationFailed
from creditbank.intake.deposits import DEPOSIT_KINDS, EVIDENCE_FIELD, MAX_EVIDENCE_FILES
from creditbank.labels import CERTIFICATE_LEVEL_TEXT, SKILL_LEVEL_TEXT
from creditbank.services import deposits, learner_portal
from creditbank.services.rulesets import ruleset_in_force_now
from creditbank.web.field_errors import field_messages
from creditbank.web.guards import learner_principal, learner_required
from creditbank.web.learner_views import blp

# An SVG document with its own inline styles and nothing else.
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
DEPOSIT_BODY_BYTES = MAX_EVIDENCE_FILES * 10 * 1024 * 1024 + 1024 * 1024
FORM_FIELDS = (
    "kind",
    "title",
    "issuer",
    "achieved_on",
    "hours",
    "category",
    "level",
    "certificate_code",
    "occupation_code",
    "certificate_no",
    "description",
)


@blp.get("/balance-chart.svg")
@learner_required
def balance_chart_image() -> Response:
    figures = learner_portal.overview(learner_principal(), g.learner.learner_id)
    svg = balance_chart({f.label: f.credits for f in figures.by_category}, "各类别学分")
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = CHART_CSP
    return response


@blp.route("/deposit", methods=["GET", "POST"])
@body_limit(DEPOSIT_BODY_BYTES)
@learner_required
def deposit() -> Any:
    """The form; posted, the outcome and its files are deposited, or the form comes back with
    each refusal beside its field (422) and nothing kept."""
    if request.method == "GET":
        return _form({}, {})
    # a field the form sent empty was not filled in: absent, as the API would be sent it
    form = {name: request.form.get(name, "").strip() for name in FORM_FIELDS}
    form = {name: value for name, value in form.items() if value}
    files = [
        (upload.filename or "", upload.read())
        for upload in request.files.getlist(EVIDENCE_FIELD)
        if upload.filename
    ]
    try:
        posted = deposits.deposit(learner_principal(), g.learner.learner_id, form, files)
    except ValidationFailed as exc:
        return _form(form, field_messages(exc.errors or {})), 422
    flash(f"已存入「{posted.outcome['title']}」，等待工作站审核。", "success")
    return redirect(url_for("learner.home"))


@blp.get("/evidence/<sha256>")
@learner_required
def evidence(sha256: str) -> Response:
    row, data = deposits.evidence_file(learner_principal(), g.learner.learner_id, sha256)
    return evidence_response(row.media_type, row.original_name, data)


def _form(values: dict[str, str], errors: dict[str, str]) -> str:
    ruleset = ruleset_in_force_now()
    categories = sorted(ruleset.hours_per_credit) if ruleset else []
    return render_template(
        "learner/deposit.html",
        values=values,
        errors=errors,
        kinds=DEPOSIT_KINDS,
        categories=categories,
        certificate_levels=[(key, text[0]) for key, text in CERTIFICATE_LEVEL_TEXT.items()],
        skill_levels=[(str(key), text[0]) for key, text in sorted(SKILL_LEVEL_TEXT.items())],
    )
