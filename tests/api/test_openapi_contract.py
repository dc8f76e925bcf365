"""The served OpenAPI document is a contract client generators accept (the hardening issue's
"The API contract must be valid"): it validates, names and summarises every operation, says
where the server is, types every response, refers every error to the one Problem schema, and
lets ``kind`` select the schema of a posted outcome."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from gunicorn.config import Config
from openapi_spec_validator import validate

OPENAPI = "/api/v1/openapi.json"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
PROBLEM = {"$ref": "#/components/schemas/Problem"}
KINDS = {"training_hours", "certificate", "skill_level", "competition", "course", "informal"}


@pytest.fixture
def document(api) -> dict[str, Any]:
    response = api.get(OPENAPI)
    assert response.status_code == 200
    return response.get_json()


def operations(document: dict[str, Any]):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", method, operation


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def responses(document: dict[str, Any]):
    """``(operation name, method, status, response)`` for every response, references resolved."""
    for name, method, operation in operations(document):
        for status, response in operation["responses"].items():
            yield name, method, status, resolve(document, response)


def test_the_document_passes_openapi_spec_validator(document):
    validate(document)  # raises, naming the first place that is not OpenAPI


def test_every_operation_has_a_unique_verb_noun_operation_id_and_a_summary(document):
    ids = {name: operation.get("operationId", "") for name, _, operation in operations(document)}
    summaries = {name: operation.get("summary", "") for name, _, operation in operations(document)}

    verb_noun = re.compile(r"[a-z]+(_[a-z0-9]+)+")
    assert [name for name, id_ in ids.items() if not verb_noun.fullmatch(id_)] == []
    assert [id_ for id_, count in Counter(ids.values()).items() if count > 1] == []
    assert [name for name, summary in summaries.items() if not summary.strip()] == []
    # a view named without a verb takes its method's
    assert ids["GET /api/v1/learners/{learner_id}/balance"] == "get_balance"
    assert ids["POST /api/v1/auth/token"] == "issue_token"


def test_the_document_says_where_the_server_is(document):
    assert document["servers"] and all(server["url"] for server in document["servers"])


def test_every_response_is_described_and_typed(document):
    untyped = []
    for name, method, status, response in responses(document):
        assert response.get("description"), (name, status)
        if status == "204" or method == "head":
            assert "content" not in response, (name, status)
            continue
        content = response.get("content") or {}
        if not content or not all(media.get("schema") for media in content.values()):
            untyped.append(f"{name} {status}")

    assert untyped == []


def test_every_error_response_is_the_one_problem_schema(document):
    wrong = [
        f"{name} {status} {media_type}"
        for name, _, status, response in responses(document)
        if status == "default" or status.startswith(("4", "5"))
        for media_type, media in response["content"].items()
        if (media_type, media["schema"]) != ("application/problem+json", PROBLEM)
    ]

    assert wrong == []
    assert "Error" not in document["components"]["schemas"]  # flask-smorest's own, unused


def test_every_operation_documents_the_errors_it_answers_with(document):
    conflicts = {
        name for name, _, operation in operations(document) if "409" in operation["responses"]
    }

    assert {
        "POST /api/v1/outcomes",
        "POST /api/v1/outcomes/{outcome_id}/void",
        "POST /api/v1/reviews/{outcome_id}",
        "POST /api/v1/learners",
        "POST /api/v1/providers",
    } <= conflicts
    for name, _, operation in operations(document):
        assert {"400", "414", "422", "429", "503", "default"} <= operation["responses"].keys(), name


def test_an_outcome_kind_is_an_enum_whose_discriminator_selects_the_kind_schema(document):
    operation = document["paths"]["/api/v1/outcomes"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    one_outcome, batch = (resolve(document, member) for member in body["oneOf"])
    assert resolve(document, batch["properties"]["items"]["items"]) == one_outcome

    discriminator = one_outcome["discriminator"]
    assert discriminator["propertyName"] == "kind"
    assert discriminator["mapping"].keys() == KINDS
    assert sorted(discriminator["mapping"].values()) == sorted(
        member["$ref"] for member in one_outcome["oneOf"]
    )
    for kind, reference in discriminator["mapping"].items():
        schema = resolve(document, {"$ref": reference})
        assert schema["properties"]["kind"]["enum"] == [kind], reference
        assert "kind" in schema["required"], reference
    outcome = document["components"]["schemas"]["Outcome"]
    assert set(outcome["properties"]["kind"]["enum"]) == KINDS


def test_a_token_request_is_one_of_the_grants_by_grant_type(document):
    body = document["paths"]["/api/v1/auth/token"]["post"]["requestBody"]["content"]
    assert body.keys() == {"application/json", "application/x-www-form-urlencoded"}
    grants = resolve(document, body["application/json"]["schema"])

    assert grants["discriminator"]["propertyName"] == "grant_type"
    for grant, reference in grants["discriminator"]["mapping"].items():
        schema = resolve(document, {"$ref": reference})
        assert schema["properties"]["grant_type"]["enum"] == [grant]
        assert schema["additionalProperties"] is False


def test_every_link_leads_to_an_operation_of_the_document(document):
    ids = {operation["operationId"] for _, _, operation in operations(document)}
    links = [
        link
        for _, _, _, response in responses(document)
        for link in response.get("links", {}).values()
    ]

    assert len(links) >= 10
    assert {link["operationId"] for link in links} <= ids


def longest(schema: dict[str, Any]) -> int:
    """The most bytes a parameter of ``schema`` may take in a URL, percent-encoded (text: each
    character 4 bytes of UTF-8, each byte %XX; anything else ASCII); 0 when unbounded."""
    if "enum" in schema:
        return 3 * max(len(str(value)) for value in schema["enum"])
    ascii_sizes = {"integer": 20, "number": 32, "boolean": 5, "date": 10, "date-time": 35}
    if schema["type"] != "string" or schema.get("format") in ascii_sizes:
        return 3 * ascii_sizes[schema.get("format", schema["type"])]
    return 12 * schema.get("maxLength", 0)


def test_every_request_line_the_document_allows_fits_gunicorn(document):
    """No request the document allows can pass the request line gunicorn reads (a 414 before
    the app): every path and query parameter is bounded, and the longest line still fits."""
    limit = Config().limit_request_line
    assert "limit_request_line" not in Path("config/gunicorn.conf.py").read_text()
    lines = {}
    for name, _, operation in operations(document):
        method, path = name.split(" ", 1)
        path_item = document["paths"][path]
        parameters = [*path_item.get("parameters", []), *operation.get("parameters", [])]
        query = []
        for parameter in parameters:
            size = longest(parameter["schema"])
            assert size, (name, parameter["name"])  # unbounded
            if parameter["in"] == "path":
                path = path.replace(f"{{{parameter['name']}}}", "x" * size)
            else:
                query.append(f"{parameter['name']}={'x' * size}")
        lines[name] = len(f"{method} {path}?{'&'.join(query)} HTTP/1.1")

    assert max(lines.values()) < limit, sorted(lines.items(), key=lambda item: -item[1])[:3]


def test_a_ruleset_body_documents_every_field_the_server_reads(document):
    from creditbank.conversion.rulesets import FIELDS

    body = document["paths"]["/api/v1/rulesets"]["post"]["requestBody"]["content"]
    schema = resolve(document, body["application/json"]["schema"])

    assert set(schema["properties"]) == set(FIELDS)
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"name", "effective_from"}


def test_every_list_links_a_page_to_the_next(document):
    lists = [
        (name, operation)
        for name, method, operation in operations(document)
        if any(parameter["name"] == "cursor" for parameter in operation.get("parameters", []))
    ]

    assert len(lists) >= 7
    for name, operation in lists:
        link = operation["responses"]["200"]["links"]["next"]
        assert link["operationId"] == operation["operationId"], name
        assert link["parameters"]["cursor"] == "$response.body#/next_cursor", name
