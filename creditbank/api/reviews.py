"""Reviews: the workstation decides outcomes no rule covers."""

from __future__ import annotations

from typing import Any

from creditbank.api import Blueprint
from creditbank.api.access import allow, current_principal
from creditbank.api.docs import problem
from creditbank.api.ledger_schemas import OutcomePage, ReviewDecision, ReviewQuery, ReviewResponse
from creditbank.domain.amounts import parse_tenths
from creditbank.domain.roles import STAFF, Role
from creditbank.services import reviews

blp = Blueprint("reviews", __name__, description="Reviews of outcomes no rule covers")


@blp.route("/reviews", methods=["GET"])
@allow(*STAFF)
@blp.arguments(ReviewQuery, location="query")
@blp.page(OutcomePage)
def list_reviews(query: dict[str, Any]) -> Any:
    """Outcomes waiting for review (``status=pending``) or already decided."""
    return reviews.list_reviews(
        current_principal(), query["status"], query["cursor"], query["limit"]
    )


@blp.route("/reviews/<outcome_id>", methods=["POST"])
@allow(Role.WORKSTATION)
@blp.arguments(ReviewDecision)
@blp.response(201, ReviewResponse)
@blp.doc(responses=problem(409))  # not pending review
def decide_review(body: dict[str, Any], outcome_id: str) -> Any:
    """Decide a pending outcome: grant credits (maybe 0) in a category; capped like any credit."""
    review, credits = reviews.decide_review(
        current_principal(),
        outcome_id,
        parse_tenths(body["credits"]),
        body["category"],
        body["note"],
    )
    return {"review": review, "credits": credits}
