"""Outcomes: post one or a batch, void, list (providers write, staff read)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from creditbank.api import Blueprint
from creditbank.api.access import allow, current_principal
from creditbank.api.docs import SCHEMAS, problem
from creditbank.api.ledger_schemas import (
    OutcomePage,
    OutcomeQuery,
    OutcomeSchema,
    PostedBatchSchema,
    PostedSchema,
    VoidRequest,
    VoidResponse,
)
from creditbank.api.parsing import json_body
from creditbank.domain.roles import STAFF, Role
from creditbank.intake.outcomes import parse_outcomes
from creditbank.services import outcomes, posting, voiding
from creditbank.services.outcome_views import Posted

blp = Blueprint("outcomes", __name__, description="Outcomes posted by training providers")


_POSTED = {"oneOf": [PostedSchema, PostedBatchSchema]}
_BODY = {"oneOf": [{"$ref": f"{SCHEMAS}NewOutcome"}, {"$ref": f"{SCHEMAS}OutcomeBatch"}]}


@blp.route("/outcomes", methods=["POST"])
@allow(Role.PROVIDER)
@blp.doc(
    requestBody={"required": True, "content": {"application/json": {"schema": _BODY}}},
    responses={
        201: {"content": {"application/json": {"schema": _POSTED}}},
        200: {"content": {"application/json": {"schema": _POSTED}}},
        **problem(409),
    },
)
@blp.response(201, PostedSchema, description="Posted (a batch: PostedBatch)")
@blp.alt_response(200, schema=PostedSchema, description="Replays only: the original results")
def post_outcomes() -> Any:
    """Post one outcome, or up to 1,000 as ``{"items": [...]}``, all or nothing."""
    items, batch = parse_outcomes(json_body())
    results = posting.record_outcomes(current_principal(), items, batch=batch)
    status = 200 if all(result.replayed for result in results) else 201
    # The service's views are already the documented shapes (PostedSchema, PostedBatchSchema;
    # tests/api check them against the OpenAPI document), so they are not dumped again. A
    # Response passes through @blp.response untouched.
    if not batch:
        return jsonify(_posted(results[0])), status
    return jsonify({"items": [_posted(result) for result in results]}), status


def _posted(result: Posted) -> dict[str, Any]:
    return {"outcome": result.outcome, "credits": result.credits, "replayed": result.replayed}


@blp.route("/outcomes/<outcome_id>/void", methods=["POST"])
@allow(Role.PROVIDER, Role.WORKSTATION)
@blp.arguments(VoidRequest)
@blp.response(201, VoidResponse)
@blp.doc(responses=problem(409))
def void_outcome(body: dict[str, Any], outcome_id: str) -> Any:
    """Void an outcome (its provider or the workstation); everything after is re-converted."""
    void, credits = voiding.void_outcome(current_principal(), outcome_id, body["reason"])
    return {"void": void, "credits": credits}


@blp.route("/outcomes", methods=["GET"])
@allow(*STAFF, Role.PROVIDER)
@blp.arguments(OutcomeQuery, location="query")
@blp.page(OutcomePage)
def list_outcomes(query: dict[str, Any]) -> Any:
    """List outcomes: staff see all, a provider its own; filter by learner, provider, status."""
    return outcomes.list_outcomes(
        current_principal(),
        learner_id=query["learner_id"],
        provider_id=query["provider_id"],
        status=query["status"],
        cursor=query["cursor"],
        limit=query["limit"],
    )


@blp.route("/outcomes/<outcome_id>", methods=["GET"])
@allow(*STAFF, Role.PROVIDER)
@blp.response(200, OutcomeSchema)
def get_outcome(outcome_id: str) -> Any:
    """One outcome as it stands."""
    return outcomes.get_outcome(current_principal(), outcome_id)
