"""The served OpenAPI document's shared parts, its finishing touches, and the Swagger UI assets
(no CDN).

flask-smorest writes each operation from its view's decorators; what every operation shares is
written here, once: its operationId, the error responses it can answer with (one Problem schema),
the oneOf bodies whose discriminator selects the schema the server reads them with, the links
from what an operation creates to the operations that read it, and that no text may hold NUL.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from flask import Flask, send_from_directory
from flask_smorest import Api
from marshmallow import Schema

from creditbank.api.catalogue_schemas import COMPONENTS as CATALOGUE_COMPONENTS
from creditbank.api.ledger_schemas import NEW_RULESET
from creditbank.api.links import LINKS
from creditbank.api.schemas import GRANTS, LearnerPatch, ProblemSchema
from creditbank.intake.outcomes import MAX_BATCH, OUTCOME_SCHEMAS

ASSETS = Path(swagger_ui_bundle.swagger_ui_path)
SCHEMAS = "#/components/schemas/"
PROBLEM_JSON = "application/problem+json"
JSON = "application/json"
BINARY = {"type": "string", "format": "binary"}
TEXT = {"type": "string"}

ERRORS = {
    "400": "Malformed JSON (malformed_json)",
    "401": "Missing, invalid or expired token (unauthorized)",
    "403": "The token's role may not do this (forbidden)",
    "404": "No such resource (not_found)",
    "406": "None of the media types in Accept is offered (not_acceptable)",
    "409": "Conflicts with what exists (idempotency_conflict, already_voided, conflict, …)",
    "413": "Body over the configured limit (payload_too_large)",
    "414": "Request line over 2 KiB (uri_too_long): the proxy's answer (docs/operations.md § 5)",
    "422": "Validation failed; errors are keyed by field path (validation_error)",
    "429": "Too many requests; see Retry-After (too_many_requests)",
    "503": "The database is unreachable; see Retry-After (service_unavailable)",
    "Default": "Any other error, as problem+json",
}
# A view whose name starts with none of these verbs is named by its method's.
METHOD_VERBS = {
    "get": "get",
    "post": "create",
    "put": "replace",
    "patch": "update",
    "delete": "delete",
}
VERBS = frozenset(
    {
        *("add", "cancel", "change", "close", "confirm", "correct", "create", "decide"),
        *("delete", "enrol", "file", "preview", "withdraw"),
        *("disable", "download", "enable", "end", "erase", "export", "find", "get"),
        *("import", "issue", "list", "open", "post", "publish", "read", "register"),
        *("remove", "replace", "reset", "revoke", "rotate", "run", "search", "send"),
        *("set", "sign", "start", "update", "upload", "verify", "void"),
    }
)
OUTCOME_BATCH = {
    "type": "object",
    "required": ["items"],
    "additionalProperties": False,
    "properties": {
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_BATCH,
            "uniqueItems": True,  # and no external_ref twice (its format says so)
            "items": {"$ref": f"{SCHEMAS}NewOutcome"},
        }
    },
}
_ANY_OBJECT_OR_NULL = {"type": "object", "nullable": True}  # apispec's nullable reference
PROBLEM_TYPES = "x-problem-types"  # the problem types of one documented error status
# No text anywhere in a request may hold U+0000 (creditbank.security.nul refuses it).
NO_NUL = "^[^\\u0000]*$"


def init_docs(app: Flask, api: Api) -> None:
    """The components every operation shares (before the blueprints are documented), and the
    Swagger UI assets from the swagger-ui-bundle package."""
    components = api.spec.components
    components.schema("Problem", schema=ProblemSchema)
    for code, description in ERRORS.items():
        components.response(f"Problem{code}", problem_response(description))
    components.schema("NewRuleset", NEW_RULESET)
    for name, schema in CATALOGUE_COMPONENTS.items():
        components.schema(name, schema)
    # a correction changes something: {} is a 422, which no marshmallow field can say
    components.schema("LearnerPatch", {"minProperties": 1}, schema=LearnerPatch)
    one_of(api, "TokenRequest", "grant_type", GRANTS)
    one_of(api, "NewOutcome", "kind", OUTCOME_SCHEMAS)
    components.schema("OutcomeBatch", OUTCOME_BATCH)

    @app.get("/api/v1/docs/assets/<path:filename>")
    def swagger_ui_assets(filename: str) -> Any:
        return send_from_directory(ASSETS, filename, max_age=86400)


def problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": f"{SCHEMAS}Problem"}}},
    }


def problem(code: int, *types: str) -> dict[int | str, Any]:
    """A view's own error response (``@blp.doc(responses=problem(409, "not_pending"))``),
    besides the ones every operation gets from :func:`add_error_responses`. ``types`` are the
    problem types it answers with under that status: its description names them, and
    ``x-problem-types`` lists them for a client (and for the tests, which check each is a
    type the server has under that status)."""
    if not types:
        return {code: {"$ref": f"#/components/responses/Problem{code}"}}
    general = ERRORS[str(code)].split(" (", 1)[0]
    response = problem_response(f"{general} ({', '.join(types)})")
    return {code: {**response, PROBLEM_TYPES: list(types)}}


def one_of(api: Api, name: str, discriminator: str, members: Mapping[str, type[Schema]]) -> None:
    """``name``: one of ``members``, the one whose ``discriminator`` property holds its key
    (each member's schema allows that one value, so the oneOf is exclusive)."""
    mapping = {}
    for value, schema in members.items():
        api.spec.components.schema(schema.__name__, schema=schema)
        mapping[value] = f"{SCHEMAS}{schema.__name__}"
    api.spec.components.schema(
        name,
        {
            "oneOf": [{"$ref": ref} for ref in mapping.values()],
            "discriminator": {"propertyName": discriminator, "mapping": mapping},
        },
    )


def operation_id(view_name: str, method: str) -> str:
    """``verb_noun`` from the view's name; a name that starts with no verb takes the method's
    (``balance`` → ``get_balance``, ``credential`` → ``get_credential``)."""
    if view_name.split("_")[0] in VERBS:
        return view_name
    return f"{METHOD_VERBS[method]}_{view_name}"


def finish_document(spec: dict[str, Any]) -> dict[str, Any]:
    """The document as served: flask-smorest's, with what every operation shares added."""
    document = copy.deepcopy(spec)
    type_nullable_references(document)
    add_error_responses(document)
    add_links(document)
    refuse_nul(document)
    return document


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield path, method, operation


def add_error_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Every operation documents the errors it can answer with (by its roles).

    flask-smorest documents its own 422 for ``@blp.arguments``; ours (problem+json) replaces
    it, so the document matches every error body.
    """
    for _, _, operation in operations(document):
        responses = operation["responses"]
        codes = ["400", "414", "422", "429", "503"]
        if operation.get("security"):
            codes += ["401", "403", "404"]
        if operation.get("requestBody"):
            codes += ["413"]
        for code in codes:
            if code not in responses or _is_smorest_error(responses[code]):
                responses[code] = {"$ref": f"#/components/responses/Problem{code}"}
        responses["default"] = {"$ref": "#/components/responses/ProblemDefault"}
    return document


def _is_smorest_error(response: Any) -> bool:
    """A reference to one of flask-smorest's own responses (named after the HTTP status)."""
    reference = response.get("$ref", "") if isinstance(response, dict) else ""
    prefix = "#/components/responses/"
    return reference.startswith(prefix) and not reference.startswith(f"{prefix}Problem")


def type_nullable_references(node: Any) -> None:
    """A nested schema that may be null (``Nested(..., allow_none=True)``) as ``{"allOf":
    [{"$ref": …}], "nullable": true}``. apispec writes ``{"anyOf": [{"type": "object",
    "nullable": true}, {"$ref": …}]}``, whose first member is any object at all: a generated
    client reads every value as that untyped member and never as the referenced schema."""
    if isinstance(node, list):
        for value in node:
            type_nullable_references(value)
    if not isinstance(node, dict):
        return
    members = node.get("anyOf")
    if isinstance(members, list) and len(members) == 2 and _ANY_OBJECT_OR_NULL in members:
        (reference,) = (member for member in members if member != _ANY_OBJECT_OR_NULL)
        if reference.keys() == {"$ref"}:
            del node["anyOf"]
            node.update({"allOf": [reference], "nullable": True})
    for value in node.values():
        type_nullable_references(value)


def add_links(document: dict[str, Any]) -> None:
    """OpenAPI links from what an operation creates to the operations that use it, and from a
    page to the next (a client generator's, or a stateful fuzzer's, way on): :data:`LINKS`."""
    by_id = {operation["operationId"]: operation for _, _, operation in operations(document)}
    for (source, status), targets in LINKS.items():
        response = by_id[source]["responses"][status]
        response["links"] = {
            "next" if target == source else target: {
                "operationId": target,
                "parameters": parameters,
            }
            for target, parameters in targets.items()
            if target in by_id
        }


def refuse_nul(document: dict[str, Any]) -> None:
    """Every text a request carries (parameters and bodies, and the schemas they refer to)
    says it holds no NUL, as :mod:`creditbank.security.nul` enforces."""
    schemas = document.get("components", {}).get("schemas", {})
    seen: set[str] = set()
    pending: list[Any] = []
    for _, _, operation in operations(document):
        pending += [parameter.get("schema") for parameter in operation.get("parameters", [])]
        for media in operation.get("requestBody", {}).get("content", {}).values():
            pending.append(media.get("schema"))
    for item in document.get("paths", {}).values():
        pending += [parameter.get("schema") for parameter in item.get("parameters", [])]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending += node
        if not isinstance(node, dict):
            continue
        reference = node.get("$ref", "")
        if reference.startswith(SCHEMAS) and reference not in seen:
            seen.add(reference)
            pending.append(schemas.get(reference.removeprefix(SCHEMAS)))
        if node.get("type") == "string" and not {"pattern", "enum", "format"} & node.keys():
            node["pattern"] = NO_NUL
        pending += [value for key, value in node.items() if key != "discriminator"]
