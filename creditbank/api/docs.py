"""The served OpenAPI document's shared parts, and the Swagger UI assets (no CDN)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import swagger_ui_bundle
from flask import Flask, send_from_directory
from flask_smorest import Api

from creditbank.api.schemas import ProblemSchema

ASSETS = Path(swagger_ui_bundle.swagger_ui_path)

_ERRORS = {
    "400": "Malformed JSON (malformed_json)",
    "401": "Missing, invalid or expired token (unauthorized)",
    "403": "The token's role may not do this (forbidden)",
    "404": "No such resource (not_found)",
    "409": "Conflicts with what exists (idempotency_conflict, already_voided, conflict, …)",
    "413": "Body over the configured limit (payload_too_large)",
    "422": "Validation failed; errors are keyed by field path (validation_error)",
    "429": "Too many requests; see Retry-After (too_many_requests)",
    "503": "The database is unreachable; see Retry-After (service_unavailable)",
    "Default": "Any other error, as problem+json",
}


def init_docs(app: Flask, api: Api) -> None:
    """Serve the Swagger UI assets from the swagger-ui-bundle package; document errors."""
    api.spec.components.schema("Problem", schema=ProblemSchema)
    for code, description in _ERRORS.items():
        api.spec.components.response(
            f"Problem{code}",
            {
                "description": description,
                "content": {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                },
            },
        )

    @app.get("/api/v1/docs/assets/<path:filename>")
    def swagger_ui_assets(filename: str) -> Any:
        return send_from_directory(ASSETS, filename, max_age=86400)


def add_error_responses(spec: dict[str, Any]) -> dict[str, Any]:
    """Every operation documents the errors it can answer with (by its roles).

    flask-smorest documents its own error responses too (``422`` for ``@blp.arguments``,
    ``default`` for everything): ``application/json`` with its own schema, which is not what
    this service answers. Ours replace them, so the document matches every error body.
    """
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            codes = ["400", "422", "429", "503"]
            if operation.get("security"):
                codes += ["401", "403", "404"]
            if operation.get("requestBody"):
                codes += ["413"]
            for code in codes:
                if code not in responses or _is_smorest_error(responses[code]):
                    responses[code] = {"$ref": f"#/components/responses/Problem{code}"}
            if "default" in responses:
                responses["default"] = {"$ref": "#/components/responses/ProblemDefault"}
    return spec


def _is_smorest_error(response: Any) -> bool:
    """A reference to one of flask-smorest's own responses (named after the HTTP status)."""
    reference = response.get("$ref", "") if isinstance(response, dict) else ""
    prefix = "#/components/responses/"
    return reference.startswith(prefix) and not reference.startswith(f"{prefix}Problem")
