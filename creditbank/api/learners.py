"""Learner accounts: open, look up, correct, erase (workstation); passwords are in
:mod:`creditbank.api.passwords`."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE

from creditbank.api import Blueprint
from creditbank.api.access import allow, current_principal
from creditbank.api.docs import problem
from creditbank.api.schemas import (
    LearnerCreate,
    LearnerPage,
    LearnerPatch,
    LearnerQuery,
    LearnerSchema,
    LearnerSearch,
)
from creditbank.domain.errors import Forbidden
from creditbank.domain.roles import STAFF, Role
from creditbank.services import identities, learners

blp = Blueprint("learners", __name__, description="Learner accounts")


@blp.route("/learners", methods=["POST"])
@allow(Role.WORKSTATION)
@blp.arguments(LearnerCreate)
@blp.response(201, LearnerSchema)
@blp.doc(responses=problem(409))  # one account per national ID
def open_learner(body: dict[str, Any]) -> Any:
    """Open a learner's account (one per national ID)."""
    return learners.open_learner(body["name"], body["national_id"], body["password"])


@blp.route("/learners", methods=["GET"])
@allow(*STAFF)
# Unknown query parameters are refused here (webargs drops them elsewhere): a national ID
# sent the old way, ?national_id=, is a 422 rather than a list of everyone.
@blp.arguments(LearnerQuery, location="query", unknown=RAISE)
@blp.page(LearnerPage)
def find_learners(query: dict[str, Any]) -> Any:
    """List learners: all, by account number or by name (by national ID: POST /learners/search)."""
    return learners.find_learners(
        account_number=query["account_number"],
        name=query["name"],
        cursor=query["cursor"],
        limit=query["limit"],
    )


@blp.route("/learners/search", methods=["POST"])
@allow(*STAFF)
@blp.arguments(LearnerSearch)
@blp.response(200, LearnerPage, description="One page; next_cursor is always null")
def search_learners(body: dict[str, Any]) -> Any:
    """Find the learner with a national ID (matched through its HMAC; never put in a URL).

    One account per national ID, so the answer is a single page: ``items`` holds that
    learner or nothing, and ``next_cursor`` is always ``null``. An ID that fails the
    GB 11643 check is a 422 keyed ``national_id``.
    """
    return learners.search_by_national_id(body["national_id"])


@blp.route("/learners/<learner_id>", methods=["GET"])
@allow(Role.WORKSTATION, Role.AUDITOR, Role.LEARNER)
@blp.response(200, LearnerSchema)
def get_learner(learner_id: str) -> Any:
    """One learner: staff, or that learner."""
    if not current_principal().may_read_learner(learner_id):
        raise Forbidden("A learner reads only its own account")
    return learners.get_learner(learner_id)


@blp.route("/learners/<learner_id>", methods=["PATCH"])
@allow(Role.WORKSTATION)
@blp.arguments(LearnerPatch)
@blp.response(200, LearnerSchema)
@blp.doc(responses=problem(409))  # another account has that national ID
def correct_identity(body: dict[str, Any], learner_id: str) -> Any:
    """Correct a learner's name or national ID (recorded as an audit event)."""
    return identities.correct_identity(current_principal(), learner_id, body)


@blp.route("/learners/<learner_id>/identity", methods=["DELETE"])
@allow(Role.WORKSTATION)
@blp.response(204)
def erase_identity(learner_id: str) -> None:
    """Erase a learner's personal data; the journal and balance stay (an audit event)."""
    identities.erase_identity(current_principal(), learner_id)
