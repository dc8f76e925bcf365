"""U+0000 (NUL) in any part of a request is refused before it reaches the database.

Found by schemathesis against a live server: PostgreSQL text cannot hold NUL, so each of
these was a 500 there (and a stored NUL on SQLite). Now 404 in a path, 422 elsewhere, on
both databases, and nothing is written.
"""

from __future__ import annotations

import json

import pytest

NUL_MESSAGE = "Text may not contain U+0000 (NUL)."


def assert_refused(response, status: int = 422) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    if status == 422:
        assert response.get_json()["type"] == "validation_error"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/learners/L%00x",
        "/api/v1/learners/L%00x/balance",
        "/api/v1/outcomes/o%00",
        "/api/v1/rulesets/r%00",
        "/api/v1/providers/p%00",
    ],
)
def test_a_nul_in_a_path_names_nothing(api, path):
    assert_refused(api.get(path, api.workstation), 404)


@pytest.mark.parametrize(
    "query", ["/api/v1/learners?name=a%00b", "/api/v1/outcomes?learner_id=a%00"]
)
def test_a_nul_in_a_query_is_a_validation_error(api, query):
    assert_refused(api.get(query, api.workstation))


def test_a_nul_in_a_json_string_is_refused_and_nothing_is_written(api):
    before = api.get("/api/v1/learners", api.workstation).get_json()["items"]

    assert_refused(api.post("/api/v1/learners", api.workstation, json={"name": "张\u0000三"}))

    assert api.get("/api/v1/learners", api.workstation).get_json()["items"] == before


def test_a_nul_in_an_outcome_is_refused(api):
    api.publish_ruleset()
    learner = api.new_learner()
    _, provider = api.new_provider()

    response = api.post_outcome(provider, learner, external_ref="ref\u0000x")

    assert_refused(response)
    ledger = api.get(f"/api/v1/learners/{learner}/ledger", api.workstation).get_json()
    assert ledger["items"] == []


def test_an_escaped_backslash_before_u0000_is_text_not_a_nul(api):
    body = json.dumps({"name": "C:\\u0000"})  # the JSON text "C:\\u0000": no NUL in it
    assert "\\\\u0000" in body

    response = api.post(
        "/api/v1/learners", api.workstation, data=body, content_type="application/json"
    )

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["name"] == "C:\\u0000"


def test_a_nul_in_a_form_encoded_token_request_is_refused(api):
    response = api.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": "L\x00", "password": "x"},
    )
    assert_refused(response)


def test_a_nul_in_a_batch_is_keyed_by_the_path_of_its_string(api):
    api.publish_ruleset()
    learner = api.new_learner()
    _, provider = api.new_provider()
    items = [
        {
            "learner_id": learner,
            "external_ref": f"ref-{number}",
            "kind": "informal",
            "description": "社区服务",
            "achieved_on": "2026-01-15",
        }
        for number in range(4)
    ]
    items[3]["title"] = "志愿\u0000服务"

    response = api.post("/api/v1/outcomes", provider, json={"items": items})

    assert_refused(response)
    assert response.get_json()["errors"] == {"items.3.title": [NUL_MESSAGE]}
    ledger = api.get(f"/api/v1/learners/{learner}/ledger", api.workstation).get_json()
    assert ledger["items"] == []


def test_a_nul_in_a_key_is_keyed_by_that_key(api):
    response = api.post("/api/v1/learners", api.workstation, json={"name": "张三", "na\u0000me": 1})

    assert_refused(response)
    assert list(response.get_json()["errors"]) == ["na\ufffdme"]


def test_a_nul_in_a_token_request_is_keyed_by_its_field(api):
    body = {"grant_type": "client_credentials", "client_id": "c\u0000", "client_secret": "x"}

    response = api.post("/api/v1/auth/token", json=body)

    assert_refused(response)
    assert list(response.get_json()["errors"]) == ["client_id"]
