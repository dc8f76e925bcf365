"""Outcomes: post one or a batch, void, list (providers write, staff read)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from creditbank.api import Blueprint
from creditbank.api.access import allow, current_principal
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
from creditbank.intake.outcomes import MAX_BATCH, OUTCOME_SCHEMAS, parse_outcomes
from creditbank.services import outcomes, posting, voiding
from creditbank.services.outcome_views import Posted

blp = Blueprint("outcomes", __name__, description="Outcomes posted by training providers")


def _request_body_doc() -> dict[str, Any]:
    one_of = [
        {"$ref": f"#/components/schemas/{schema.__name__}"} for schema in OUTCOME_SCHEMAS.values()
    ]
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        *one_of,
                        {
                            "type": "object",
                            "required": ["items"],
                            "additionalProperties": False,
                            "properties": {
                                "items": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": MAX_BATCH,
                                    "items": {"oneOf": one_of},
                                }
                            },
                        },
                    ]
                }
            }
        },
    }


@blp.route("/outcomes", methods=["POST"])
@allow(Role.PROVIDER)
@blp.doc(requestBody=_request_body_doc())
@blp.response(201, PostedSchema, description="Posted (a batch answers with PostedBatch)")
@blp.alt_response(200, schema=PostedSchema, description="A replay: the original result")
def post_outcomes() -> Any:
    """Post one outcome, or up to 1,000 as ``{"items": [...]}``, all or nothing."""
    items, batch = parse_outcomes(json_body())
    results = posting.record_outcomes(current_principal(), items, batch=batch)
    status = 200 if all(result.replayed for result in results) else 201
    # The service's views are already the documented shapes (PostedSchema, PostedBatchSchema;
    # tests/api check them against the OpenAPI document), so they are not dumped again. A
    # Response passes through @blp.response untouched (which documents the single shape).
    if not batch:
        return jsonify(_posted(results[0])), status
    return jsonify({"items": [_posted(result) for result in results]}), status


def _posted(result: Posted) -> dict[str, Any]:
    return {"outcome": result.outcome, "credits": result.credits, "replayed": result.replayed}


@blp.route("/outcomes/<outcome_id>/void", methods=["POST"])
@allow(Role.PROVIDER, Role.WORKSTATION)
@blp.arguments(VoidRequest)
@blp.response(201, VoidResponse)
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


def register_schemas(spec: Any) -> None:
    """The per-kind outcome schemas, referenced by the polymorphic request body, and the
    answer to a batch (named in the 201 response's description)."""
    for schema in OUTCOME_SCHEMAS.values():
        spec.components.schema(schema.__name__, schema=schema)
    spec.components.schema("PostedBatch", schema=PostedBatchSchema)
