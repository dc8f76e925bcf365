"""A lone UTF-16 surrogate (``"\\ud800"``) is valid JSON syntax but no text: it cannot be
encoded as UTF-8, so neither hashed, stored nor logged. Every JSON body refuses it up front,
400 ``malformed_json`` keyed by the path of the string that holds it, before authentication
too."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem


def post_raw(api, path, body: str, headers=None):
    return api.post(path, headers, data=body, content_type="application/json")


def test_a_lone_surrogate_in_a_value_is_400_keyed_by_its_field(api):
    before = api.get("/api/v1/learners", api.workstation).get_json()["items"]

    response = post_raw(api, "/api/v1/learners", '{"name": "张\\ud800三"}', api.workstation)

    body = assert_problem(response, 400, "malformed_json", "name")
    assert list(body["errors"]) == ["name"]
    assert api.get("/api/v1/learners", api.workstation).get_json()["items"] == before


def test_a_lone_surrogate_deep_in_a_batch_is_keyed_by_its_path(api):
    _, provider = api.new_provider()
    raw = '{"items": [{"kind": "informal"}, {"kind": "informal", "title": "x\\udc00"}]}'

    body = assert_problem(post_raw(api, "/api/v1/outcomes", raw, provider), 400, "malformed_json")

    assert list(body["errors"]) == ["items.1.title"]


def test_a_lone_surrogate_in_a_key_is_keyed_by_that_key(api):
    raw = '{"name": "张三", "ti\\ud800tle": "x"}'
    response = post_raw(api, "/api/v1/learners", raw, api.workstation)

    body = assert_problem(response, 400, "malformed_json")

    assert list(body["errors"]) == ["ti\ufffdtle"]


@pytest.mark.parametrize("field", ["client_id", "client_secret"])
def test_a_lone_surrogate_in_a_token_request_is_400_without_authentication(api, field):
    body = {"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}
    body[field] = "\\ud800"
    raw = "{" + ", ".join(f'"{k}": "{v}"' for k, v in body.items()) + "}"

    response = post_raw(api, "/api/v1/auth/token", raw)

    assert list(assert_problem(response, 400, "malformed_json", field)["errors"]) == [field]


def test_a_surrogate_pair_is_a_character_and_is_accepted(api):
    response = post_raw(api, "/api/v1/learners", '{"name": "张\\ud83d\\ude00三"}', api.workstation)

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["name"] == "张\U0001f600三"
