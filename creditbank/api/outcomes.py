"""Outcomes: post one or a batch, void, list (providers write, staff read)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from marshmallow import ValidationError

from creditbank.api import Blueprint
from creditbank.api.parsing import flatten_errors, json_body
from creditbank.api.schemas import (
    OUTCOME_SCHEMAS,
    OutcomePage,
    OutcomeQuery,
    OutcomeSchema,
    PostedBatchSchema,
    PostedSchema,
    VoidRequest,
    VoidResponse,
)
from creditbank.auth import allow, current_principal
from creditbank.domain.roles import STAFF, Role
from creditbank.errors import ValidationFailed
from creditbank.services import outcomes

blp = Blueprint("outcomes", __name__, description="Outcomes posted by training providers")

MAX_BATCH = 1000
# One instance per kind serves every request, as flask-smorest does with its own schemas: a
# schema keeps no state between loads, and building one costs more than a load does.
_LOADERS = {kind: schema() for kind, schema in OUTCOME_SCHEMAS.items()}


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
    results = outcomes.record_outcomes(current_principal(), items, batch=batch)
    status = 200 if all(result.replayed for result in results) else 201
    # The service's views are already the documented shapes (PostedSchema, PostedBatchSchema;
    # tests/api check them against the OpenAPI document), so they are not dumped again. A
    # Response passes through @blp.response untouched (which documents the single shape).
    if not batch:
        return jsonify(_posted(results[0])), status
    return jsonify({"items": [_posted(result) for result in results]}), status


def _posted(result: outcomes.Posted) -> dict[str, Any]:
    return {"outcome": result.outcome, "credits": result.credits, "replayed": result.replayed}


def parse_outcomes(payload: Any) -> tuple[list[dict[str, Any]], bool]:
    """One outcome or ``{"items": [...]}``, each validated by its kind's schema."""
    if not isinstance(payload, dict):
        raise ValidationFailed(errors={"body": ["Expected a JSON object."]})
    batch = "items" in payload and "kind" not in payload
    if not batch:
        return [load_outcome(payload, "")], False
    if set(payload) != {"items"}:
        extra = sorted(set(payload) - {"items"})
        raise ValidationFailed(errors={name: ["Unknown field."] for name in extra})
    raw_items = payload["items"]
    if not isinstance(raw_items, list) or not 1 <= len(raw_items) <= MAX_BATCH:
        raise ValidationFailed(errors={"items": [f"Expected a list of 1 to {MAX_BATCH} outcomes."]})
    errors: dict[str, list[str]] = {}
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_items):
        try:
            item = load_outcome(raw, f"items.{index}")
        except ValidationFailed as exc:
            errors.update(exc.errors or {})
            continue
        if item["external_ref"] in seen:
            errors[f"items.{index}.external_ref"] = ["Repeats an earlier item of this batch."]
        seen.add(item["external_ref"])
        items.append(item)
    if errors:
        raise ValidationFailed(errors=errors)
    return items, True


def load_outcome(raw: Any, path: str) -> dict[str, Any]:
    """One outcome validated by its kind's schema; errors keyed under ``path`` (spreadsheet
    uploads validate each row with this too, so both follow exactly the same rules)."""
    prefix = f"{path}." if path else ""
    if not isinstance(raw, dict):
        raise ValidationFailed(errors={path or "body": ["Expected a JSON object."]})
    kind = raw.get("kind")
    schema = OUTCOME_SCHEMAS.get(kind) if isinstance(kind, str) else None  # a list is unhashable
    if schema is None:
        kinds = ", ".join(OUTCOME_SCHEMAS)
        raise ValidationFailed(errors={f"{prefix}kind": [f"Must be one of: {kinds}."]})
    try:
        return _LOADERS[kind].load(raw)
    except ValidationError as exc:
        raise ValidationFailed(errors=flatten_errors(exc.messages, path)) from exc


@blp.route("/outcomes/<outcome_id>/void", methods=["POST"])
@allow(Role.PROVIDER, Role.WORKSTATION)
@blp.arguments(VoidRequest)
@blp.response(201, VoidResponse)
def void_outcome(body: dict[str, Any], outcome_id: str) -> Any:
    """Void an outcome (its provider or the workstation); everything after is re-converted."""
    void, credits = outcomes.void_outcome(current_principal(), outcome_id, body["reason"])
    return {"void": void, "credits": credits}


@blp.route("/outcomes", methods=["GET"])
@allow(*STAFF, Role.PROVIDER)
@blp.arguments(OutcomeQuery, location="query")
@blp.response(200, OutcomePage)
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
