"""The college half's operations in the served OpenAPI document (PROGRAMMES.md § Endpoints):
each is named from its view, types every 2xx it answers with, and lists the problem types of
its own error statuses (``x-problem-types``, named in the description too): the 409s and 422s
PROGRAMMES.md gives it, each a type the server really has under that status."""

from __future__ import annotations

import re
from typing import Any

import pytest

from creditbank.api.docs import PROBLEM_TYPES, operation_id
from creditbank.domain import errors

OPENAPI = "/api/v1/openapi.json"
COLLEGE_BLUEPRINTS = {"colleges", "programmes", "catalogues", "applications"}
COLLEGE_EXPORTS = {
    "/api/v1/exports/course-conversions.csv",
    "/api/v1/exports/course-conversions.xlsx",
}
JSON = "application/json"

# PROGRAMMES.md § Endpoints, Conventions: the new problem types.
PROGRAMMES_CONFLICTS = {
    *("not_enrolled", "programme_disabled", "college_disabled", "no_catalogue"),
    *("outcome_claimed", "course_already_recognised", "course_in_application"),
    *("already_decided", "not_pending", "source_unavailable", "source_cap_exceeded"),
    *("online_cap_exceeded", "share_cap_exceeded", "not_approved", "already_revoked"),
    *("not_flagged", "certificate_not_issued"),
}
PROGRAMMES_INVALID = {"invalid_source"}

# What each operation (by operationId) answers with besides the statuses every operation
# documents, as PROGRAMMES.md says it (§ Colleges, § Programmes and enrolments, § Catalogues,
# § Eligibility preview, § Applications, § Decisions, § Conversion certificate). Operations
# not named here have no error status of their own.
OWN_PROBLEMS: dict[str, dict[str, set[str]]] = {
    "register_college": {"409": {"conflict"}},
    "create_programme": {"409": {"conflict"}},
    "create_enrolment": {
        "409": {"conflict"},
        "422": {"validation_error", "unknown_learner"},
    },
    "end_enrolment": {"409": {"not_enrolled"}},
    "get_catalogue": {"406": {"not_acceptable"}},
    "file_application": {
        "409": {
            *("idempotency_conflict", "programme_disabled", "college_disabled"),
            *("no_catalogue", "not_enrolled", "outcome_claimed"),
            *("course_already_recognised", "course_in_application"),
        },
        "422": {"validation_error", "unknown_learner", "invalid_source"},
    },
    "withdraw_application": {"409": {"not_pending"}},
    "decide_item": {
        "409": {
            *("already_decided", "not_pending", "not_enrolled", "source_unavailable"),
            *("source_cap_exceeded", "online_cap_exceeded", "share_cap_exceeded"),
        },
        "422": {"validation_error"},
    },
    "revoke_item": {"409": {"not_approved", "already_revoked"}},
    "confirm_item": {"409": {"not_flagged"}},
    "get_certificate": {"406": {"not_acceptable"}, "409": {"certificate_not_issued"}},
    "preview_eligibility": {"409": {"no_catalogue"}},
}
OWN_STATUSES = {"406", "409"}  # statuses no operation documents unless it answers with them


@pytest.fixture
def document(api) -> dict[str, Any]:
    response = api.get(OPENAPI)
    assert response.status_code == 200
    return response.get_json()


def college_operations(app, document: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """``METHOD /path`` → (the view's name, the operation) for every college-half route."""
    found = {}
    for rule in app.url_map.iter_rules():
        blueprint, _, view = rule.endpoint.rpartition(".")
        if blueprint not in COLLEGE_BLUEPRINTS and rule.rule not in COLLEGE_EXPORTS:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found[f"{method} {path}"] = (view, document["paths"][path][method.lower()])
    return found


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def server_problem_types() -> dict[str, int]:
    """Every problem type the server's errors have, and its status."""
    found, pending = {}, [errors.DomainError]
    while pending:
        error = pending.pop()
        found[error.slug] = error.status
        pending += error.__subclasses__()
    return found


def test_the_college_half_has_its_operations(api, document):
    operations = college_operations(api.app, document)

    assert len(operations) >= 30
    assert {operation["operationId"] for _, operation in operations.values()} >= OWN_PROBLEMS.keys()


def test_every_college_half_operation_is_named_from_its_view(api, document):
    wrong = {
        name: (operation.get("operationId"), operation_id(view, name.split()[0].lower()))
        for name, (view, operation) in college_operations(api.app, document).items()
        if operation.get("operationId") != operation_id(view, name.split()[0].lower())
    }

    assert wrong == {}


def test_every_2xx_of_the_college_half_is_typed(api, document):
    """JSON: a named schema with its properties; a file or a page: text or binary."""
    untyped = []
    for name, (_, operation) in college_operations(api.app, document).items():
        for status, response in operation["responses"].items():
            if not status.startswith("2"):
                continue
            content = resolve(document, response).get("content") or {}
            for media_type, media in content.items():
                schema = media.get("schema") or {}
                if media_type == JSON:
                    typed = "$ref" in schema and resolve(document, schema).get("properties")
                else:
                    typed = schema.get("type") == "string"
                if not typed:
                    untyped.append(f"{name} {status} {media_type}")
            if not content:
                untyped.append(f"{name} {status}")

    assert untyped == []


def test_each_college_half_operation_lists_the_problem_types_of_its_own_statuses(api, document):
    documented = {}
    for _, operation in college_operations(api.app, document).values():
        statuses = {
            status: set(response[PROBLEM_TYPES])
            for status, response in operation["responses"].items()
            if PROBLEM_TYPES in response
        }
        unlisted = [
            status
            for status in OWN_STATUSES
            if status in operation["responses"] and status not in statuses
        ]
        assert not unlisted, (operation["operationId"], unlisted)  # a status without types
        if statuses:
            documented[operation["operationId"]] = statuses

    assert documented == OWN_PROBLEMS


def test_the_description_of_an_error_status_names_its_problem_types(document):
    described = [
        response
        for item in document["paths"].values()
        for operation in item.values()
        if "responses" in operation
        for response in operation["responses"].values()
        if PROBLEM_TYPES in response
    ]

    assert len(described) >= 15
    for response in described:
        named = re.search(r"\(([^()]*)\)$", response["description"])
        assert named, response
        assert named.group(1).split(", ") == response[PROBLEM_TYPES]


def test_every_new_problem_type_of_programmes_md_is_documented(api, document):
    listed: dict[str, set[str]] = {}
    for _, (_, operation) in college_operations(api.app, document).items():
        for status, response in operation["responses"].items():
            listed.setdefault(status, set()).update(response.get(PROBLEM_TYPES, []))

    assert listed["409"] >= PROGRAMMES_CONFLICTS
    assert listed["422"] >= PROGRAMMES_INVALID


def test_every_listed_problem_type_is_one_the_server_answers_with_under_that_status(document):
    server = server_problem_types()
    wrong = [
        (path, method, status, slug)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "responses" in operation
        for status, response in operation.get("responses", {}).items()
        for slug in response.get(PROBLEM_TYPES, [])
        if server.get(slug) != int(status)
    ]

    assert server["invalid_source"] == 422 and server["share_cap_exceeded"] == 409
    assert wrong == []


def test_a_nested_schema_that_may_be_null_is_its_reference_or_null(document):
    """A decision's ``transfer``, a programme's ``catalogue`` in force, a dry run's
    ``catalogue``: a generated client reads each as the referenced model or None, never as
    an untyped object (apispec's ``anyOf: [{type: object, nullable: true}, {$ref}]``)."""

    def loose(node: Any, where: str) -> list[str]:
        found = []
        if isinstance(node, dict):
            for key in ("anyOf", "oneOf"):
                if {"type": "object", "nullable": True} in node.get(key, []):
                    found.append(where)
            for key, value in node.items():
                found += loose(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                found += loose(value, f"{where}/{index}")
        return found

    schemas = document["components"]["schemas"]

    assert loose(document, "#") == []
    assert schemas["DecisionResponse"]["properties"]["transfer"] == {
        "allOf": [{"$ref": "#/components/schemas/Entry"}],
        "nullable": True,
    }
    assert schemas["Programme"]["properties"]["catalogue"]["nullable"] is True
