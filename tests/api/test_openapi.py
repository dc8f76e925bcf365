"""The served OpenAPI document, the docs page, and the public operational endpoints."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.api.helpers import assert_problem

OPENAPI = "/api/v1/openapi.json"
PUBLIC_API_PATHS = {
    "/api/v1/openapi.json",
    "/api/v1/docs",
    "/api/v1/auth/token",
    "/api/v1/documents/{number}",  # a document's status: anyone may check (docs/api.md)
}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def api_rules(app) -> list[Any]:
    """The app's own /api/v1 routes, docs pages and their assets excepted."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        and not rule.rule.startswith("/api/v1/docs")
        and rule.rule != OPENAPI
    ]


def openapi_path(rule_text: str) -> str:
    """``/learners/<learner_id>`` → ``/learners/{learner_id}`` (converters dropped)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule_text)


def operations(document: dict[str, Any]):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "delete", "patch"}:
                yield path, method, operation


@pytest.fixture
def document(api) -> dict[str, Any]:
    response = api.get(OPENAPI)
    assert response.status_code == 200
    return response.get_json()


def test_openapi_document_is_public_and_openapi_3(api, document):
    response = api.get(OPENAPI)

    assert response.mimetype == "application/json"
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] and document["info"]["version"]
    assert document["paths"]


def test_every_api_route_of_the_app_is_documented(api, document):
    missing = []
    for rule in api_rules(api.app):
        path = openapi_path(rule.rule)
        for method in sorted(rule.methods - IGNORED_METHODS):
            if method.lower() not in document["paths"].get(path, {}):
                missing.append(f"{method} {path}")

    assert missing == []


def test_every_secured_operation_declares_bearer_auth_and_documents_401_and_403(document):
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    secured = [
        (path, method, operation)
        for path, method, operation in operations(document)
        if path not in PUBLIC_API_PATHS
    ]

    assert secured
    for path, method, operation in secured:
        assert operation.get("security") == [{"bearerAuth": []}], (method, path)
        assert {"401", "403"} <= operation["responses"].keys(), (method, path)


def test_every_reference_in_the_document_resolves(document):
    def refs(node: Any):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    unresolved = []
    for ref in set(refs(document)):
        target: Any = document
        for part in ref.removeprefix("#/").split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        if target is None:
            unresolved.append(ref)

    assert unresolved == []


def test_every_secured_route_refuses_an_anonymous_call(api):
    """What the document promises, the app does: no token, no access (API.md § Conventions)."""
    checked = 0
    for rule in api_rules(api.app):
        if openapi_path(rule.rule) in PUBLIC_API_PATHS:
            continue
        # an identifier of the right shape, of nothing that exists (IDs: a prefix and a ULID)
        path = re.sub(r"<document_number:[^<>]+>", "YY-T-2026-0000123", rule.rule)
        path = re.sub(r"<sha256:[^<>]+>", "0" * 64, path)  # an evidence file's name
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", "x_" + "0" * 26, path)
        for method in sorted(rule.methods - IGNORED_METHODS):
            response = api.call(method, path, json={} if method != "GET" else None)
            assert_problem(response, 401, "unauthorized")
            assert response.headers["WWW-Authenticate"].startswith("Bearer"), (method, path)
            checked += 1

    assert checked >= 20


def test_docs_page_loads_its_assets_from_the_app_itself(api):
    response = api.get("/api/v1/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", html), "external asset"
    assert "http://" not in html and "https://" not in html
    assets = re.findall(r"(?:src|href)\s*=\s*[\"']([^\"']+)[\"']", html)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert asset.startswith("/api/v1/docs/assets/"), asset
        fetched = api.get(asset)
        assert fetched.status_code == 200, asset
        assert fetched.get_data(), asset
        fetched.close()


def test_docs_page_points_at_the_served_document(api):
    html = api.get("/api/v1/docs").get_data(as_text=True)

    assert OPENAPI in html


def test_missing_docs_asset_is_404(api):
    assert_problem(api.get("/api/v1/docs/assets/no-such-file.js"), 404, "not_found")


def test_healthz_is_public_and_up(api):
    response = api.get("/healthz")

    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_readyz_is_200_with_the_migrations_at_head(api):
    response = api.get("/readyz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["migrations"] and all(isinstance(m, str) for m in body["migrations"])


def test_jwks_is_public_and_holds_only_public_ed25519_keys(api):
    response = api.get("/.well-known/jwks.json")

    assert response.status_code == 200
    keys = response.get_json()["keys"]
    assert keys
    for key in keys:
        assert (key["kty"], key["crv"], key["alg"]) == ("OKP", "Ed25519", "EdDSA")
        assert key["kid"] and key["x"]
        assert "d" not in key  # never the private part


def test_patterns_stay_anchored_ecma_regexes(document):
    """The validators match the whole value (a trailing newline no longer passes for "ABC"),
    while clients still read an ECMA-262 pattern: no Python-only ``\\Z``."""
    provider = document["components"]["schemas"]["ProviderCreate"]["properties"]["code"]
    assert provider["pattern"] == "^[A-Za-z0-9_-]+$"
    patterns = re.findall(r'"pattern": "([^"]*)"', json.dumps(document))
    assert patterns and not [p for p in patterns if "\\\\Z" in p or "\\\\A" in p]


def test_a_route_of_its_own_is_never_read_as_an_identifier(api):
    """``/outcomes/upload`` is not the outcome ``upload``: its other methods are 405, and an
    OPTIONS lists only its own (RFC 9110 § 10.2.1), as the document does."""
    allowed = api.call("OPTIONS", "/api/v1/outcomes/upload").headers["Allow"]
    response = api.get("/api/v1/outcomes/upload", api.workstation)

    assert set(allowed.split(", ")) == {"POST", "OPTIONS"}
    assert_problem(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


def test_every_identifier_in_a_path_is_documented_with_its_shape(api, document):
    shapes = {
        parameter["name"]: parameter["schema"].get("pattern")
        for item in document["paths"].values()
        for parameter in item.get("parameters", [])
        if parameter["in"] == "path"
    }
    learner = api.new_learner()

    assert shapes.keys() >= {"learner_id", "outcome_id", "provider_id", "audit_id"}
    digest = shapes.pop("sha256")  # an evidence file's name (POST /learners/{id}/deposits)
    assert re.fullmatch(digest, "0" * 64) and not re.fullmatch(digest, "upload")
    number = shapes.pop("number")  # a document number, not an identifier
    assert re.fullmatch(number, "YY-T-2026-0000123") and not re.fullmatch(number, "upload")
    for name, pattern in shapes.items():
        assert pattern and re.fullmatch(pattern, "o_" + "0" * 26), name
        assert not re.fullmatch(pattern, "upload"), name
    assert re.fullmatch(shapes["learner_id"], learner)
