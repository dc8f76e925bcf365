"""The workstation's review desk (``/workstation/reviews``): the queue of pending outcomes with
filters (kind, source, time waited), one outcome's page with its evidence and what the rules
suggest, and the decision forms: approve (an amount within the rule's bounds) or reject (a
reason, confirmed on a second page). Decisions go through the same service as
``POST /api/v1/reviews/{outcome_id}``; auditors read every page and decide nothing."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for

from creditbank.documents.evidence import evidence_response
from creditbank.domain.amounts import AmountError, format_tenths, parse_tenths
from creditbank.domain.errors import NotPendingReview, ValidationFailed
from creditbank.intake.deposits import DEPOSIT_KINDS
from creditbank.intake.outcomes import KINDS
from creditbank.labels import category_text
from creditbank.services import deposits, review_desk
from creditbank.services import reviews as review_service
from creditbank.services.deposits import SELF_DECLARED
from creditbank.web.field_errors import field_messages
from creditbank.web.guards import login_required, staff_principal, writer_required
from creditbank.web.views import blp

PAGE_ROWS = 50
WAITED = (3, 7, 30)  # the age filter's choices, in days
_CATEGORY = r"^[A-Za-z0-9_.-]{1,64}$"


@blp.get("/reviews")
@login_required
def reviews() -> str:
    wanted = _queue_filter()
    page = review_desk.review_queue(wanted, request.args.get("cursor"), PAGE_ROWS)
    return render_template(
        "workstation/reviews.html",
        page=page,
        wanted=wanted,
        kinds=KINDS,
        providers=review_desk.providers_for_filter(),
        waited=WAITED,
        self_declared=SELF_DECLARED,
    )


@blp.get("/reviews/<outcome_id>")
@login_required
def review_page(outcome_id: str) -> str:
    return _review_page(outcome_id, {}, {})


@blp.post("/reviews/<outcome_id>/approve")
@writer_required
def approve(outcome_id: str) -> Any:
    """Grant the amount (within the rule's bounds) in the category; a refusal is the page again
    with the message beside its field (422), nothing decided."""
    item = review_desk.review_item(outcome_id)
    values = {name: request.form.get(name, "").strip() for name in ("credits", "category", "note")}
    errors: dict[str, str] = {}
    credits = 0
    try:
        credits = parse_tenths(values["credits"])
    except AmountError:
        errors["credits"] = "请填写最多一位小数的数字，例如 2.5。"
    bounds = item.suggestion
    if "credits" not in errors and not bounds.allows(credits):
        low, high = format_tenths(bounds.minimum), format_tenths(bounds.maximum)
        errors["credits"] = f"须在 {low} 到 {high} 之间（规则允许的范围）。"
    if not _is_category(values["category"]):
        errors["category"] = "请填写类别代码（字母、数字、_ . -，不超过 64 个字符）。"
    if errors:
        return _review_page(outcome_id, values, errors), 422
    return _decide(outcome_id, credits, values["category"], values["note"] or None, "批准")


@blp.post("/reviews/<outcome_id>/reject")
@writer_required
def reject(outcome_id: str) -> Any:
    """Grant nothing, with a reason; the first post shows the confirmation, the second
    (``confirm=1``) decides."""
    item = review_desk.review_item(outcome_id)
    reason = request.form.get("reason", "").strip()
    if not reason or len(reason) > 2000:
        message = "请填写驳回理由。" if not reason else "驳回理由不能超过 2000 字。"
        return _review_page(outcome_id, {"reason": reason}, {"reason": message}), 422
    if request.form.get("confirm") != "1":
        return render_template("workstation/review_reject.html", item=item, reason=reason)
    category = item.outcome["category"]
    return _decide(outcome_id, 0, category, f"驳回：{reason}", "驳回")


@blp.get("/evidence/<learner_id>/<sha256>")
@login_required
def evidence_file(learner_id: str, sha256: str) -> Response:
    row, data = deposits.evidence_file(staff_principal(), learner_id, sha256)
    return evidence_response(row.media_type, row.original_name, data)


def _decide(outcome_id: str, credits: int, category: str, note: str | None, verb: str) -> Any:
    try:
        review_service.decide_review(staff_principal(), outcome_id, credits, category, note)
    except NotPendingReview:
        flash("该成果已审核过，未再次处理。", "error")
        return redirect(url_for("workstation.review_page", outcome_id=outcome_id))
    except ValidationFailed as exc:  # a category the service refuses
        errors = field_messages(exc.errors or {})
        return _review_page(outcome_id, {"category": category}, errors), 422
    flash(f"已{verb}：授予 {format_tenths(credits)} 学分。", "success")
    return redirect(url_for("workstation.reviews"))


def _review_page(outcome_id: str, values: dict[str, str], errors: dict[str, str]) -> str:
    item = review_desk.review_item(outcome_id)
    suggested = item.suggestion.credits
    defaults = {
        "credits": format_tenths(suggested if suggested is not None else 0),
        "category": item.outcome["category"],
    }
    return render_template(
        "workstation/review.html",
        item=item,
        values={**defaults, **values},
        errors=errors,
        category_label=category_text(item.outcome["category"])["zh"],
        low=format_tenths(item.suggestion.minimum),
        high=format_tenths(item.suggestion.maximum),
        deposit_kinds=DEPOSIT_KINDS,
    )


def _queue_filter() -> review_desk.QueueFilter:
    kind = request.args.get("kind") or None
    source = request.args.get("source") or None
    waited = request.args.get("waited", "")
    return review_desk.QueueFilter(
        kind=kind if kind in KINDS else None,
        source=source if source and len(source) <= 40 else None,
        waited_days=int(waited) if waited.isdigit() and int(waited) in WAITED else None,
    )


def _is_category(name: str) -> bool:
    return re.fullmatch(_CATEGORY, name) is not None
