"""Training providers and their API clients (API.md § Accounts and providers)."""

from __future__ import annotations

import base64
import json

import pytest

from tests.api.helpers import assert_problem, walk_pages

PROVIDERS = "/api/v1/providers"


def register(api, code: str = "YYZJ", name: str = "云阳职教中心", headers=None):
    return api.post(PROVIDERS, headers or api.workstation, json={"code": code, "name": name})


def test_register_provider_is_201_with_its_id_code_and_name(api):
    response = register(api)

    assert response.status_code == 201
    body = response.get_json()
    assert body["id"]
    assert body["code"] == "YYZJ"
    assert body["name"] == "云阳职教中心"
    assert body["created_at"]


def test_duplicate_provider_code_is_409_conflict(api):
    assert register(api).status_code == 201

    response = register(api, name="另一个中心")

    assert_problem(response, 409, "conflict")
    assert [item["code"] for item in walk_pages(api, PROVIDERS, api.workstation)] == ["YYZJ"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "无代码"}, "code"),
        ({"code": "has space", "name": "x"}, "code"),
        ({"code": "X" * 33, "name": "x"}, "code"),
        ({"code": "YYZJ\n", "name": "x"}, "code"),
        ({"code": "OK"}, "name"),
        ({"code": "OK", "name": "x", "colour": "red"}, "colour"),
    ],
    ids=[
        "no-code",
        "code-with-space",
        "code-too-long",
        "code-with-a-trailing-newline",
        "no-name",
        "unknown-field",
    ],
)
def test_invalid_provider_is_422_naming_the_field(api, body, field):
    response = api.post(PROVIDERS, api.workstation, json=body)

    assert_problem(response, 422, "validation_error", field)


def test_list_and_get_providers(api):
    ids = {register(api, code=f"C{i}", name=f"中心{i}").get_json()["id"] for i in range(3)}

    listed = walk_pages(api, PROVIDERS, api.auditor, limit=1)
    one_id = sorted(ids)[0]
    one = api.get(f"{PROVIDERS}/{one_id}", api.workstation)

    assert {item["id"] for item in listed} == ids
    assert len(listed) == 3
    assert one.status_code == 200
    assert one.get_json()["id"] == one_id
    assert one.get_json()["code"] in {"C0", "C1", "C2"}


def test_unknown_provider_is_404(api):
    assert_problem(api.get(f"{PROVIDERS}/p_nobody", api.workstation), 404, "not_found")


def test_provider_client_gets_a_provider_token_bound_to_its_provider(api):
    provider_id = register(api).get_json()["id"]

    response = api.post(f"{PROVIDERS}/{provider_id}/clients", api.workstation)

    assert response.status_code == 201
    credentials = response.get_json()
    assert credentials["client_id"] and credentials["client_secret"]
    token = api.token_for(credentials["client_id"], credentials["client_secret"])
    payload = token["Authorization"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["role"] == "provider"
    assert claims["provider_id"] == provider_id


def test_two_clients_of_one_provider_have_different_secrets(api):
    provider_id = register(api).get_json()["id"]

    first = api.post(f"{PROVIDERS}/{provider_id}/clients", api.workstation).get_json()
    second = api.post(f"{PROVIDERS}/{provider_id}/clients", api.workstation).get_json()

    assert first["client_id"] != second["client_id"]
    assert first["client_secret"] != second["client_secret"]


def test_client_for_an_unknown_provider_is_404(api):
    response = api.post(f"{PROVIDERS}/p_nobody/clients", api.workstation)

    assert_problem(response, 404, "not_found")


def test_provider_cannot_register_providers_or_create_clients(api):
    provider_id, provider = api.new_provider()

    assert_problem(register(api, code="MINE", headers=provider), 403, "forbidden")
    assert_problem(api.post(f"{PROVIDERS}/{provider_id}/clients", provider), 403, "forbidden")
    assert [item["id"] for item in walk_pages(api, PROVIDERS, api.workstation)] == [provider_id]


def test_auditor_reads_but_cannot_write(api):
    provider_id = register(api).get_json()["id"]
    auditor = api.auditor

    assert api.get(PROVIDERS, auditor).status_code == 200
    assert api.get(f"{PROVIDERS}/{provider_id}", auditor).status_code == 200
    assert_problem(register(api, code="AUD", headers=auditor), 403, "forbidden")
    assert_problem(api.post(f"{PROVIDERS}/{provider_id}/clients", auditor), 403, "forbidden")
    learner = {"name": "张三", "password": "p" * 12}
    assert_problem(api.post("/api/v1/learners", auditor, json=learner), 403, "forbidden")
    assert [item["code"] for item in walk_pages(api, PROVIDERS, api.workstation)] == ["YYZJ"]


def test_learner_cannot_list_providers(api):
    headers = api.learner_headers(api.new_learner())

    assert_problem(api.get(PROVIDERS, headers), 403, "forbidden")
