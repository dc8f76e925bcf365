"""POST /auth/token and what makes a token stop working (API.md § Auth)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.api.helpers import assert_problem, bearer

TOKEN = "/api/v1/auth/token"
PASSWORD = "correct horse battery"


def staff_credentials(role: str) -> tuple[str, str]:
    """A client created as ``creditbank clients create`` does: (client_id, client_secret)."""
    from creditbank.domain.roles import Role
    from creditbank.services.clients import create_client

    credentials = create_client(Role(role), f"test {role}")
    return credentials.client_id, credentials.client_secret


def provider_client(api) -> tuple[str, str]:
    provider_id, _ = api.new_provider()
    response = api.post(f"/api/v1/providers/{provider_id}/clients", api.workstation)
    assert response.status_code == 201
    body = response.get_json()
    return body["client_id"], body["client_secret"]


def client_grant(client_id: str, secret: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}


def password_grant(learner_id: str, password: str) -> dict[str, str]:
    return {"grant_type": "password", "username": learner_id, "password": password}


def decode_segment(segment: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def assert_unauthorized(response) -> dict[str, Any]:
    body = assert_problem(response, 401, "unauthorized")
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer"), response.headers
    return body


# -- issuing ---------------------------------------------------------------------------------


def test_client_credentials_as_json_give_a_bearer_token_of_900_seconds(api):
    client_id, secret = staff_credentials("auditor")

    response = api.post(TOKEN, json=client_grant(client_id, secret))

    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["access_token"].count(".") == 2
    assert api.get("/api/v1/providers", bearer(body["access_token"])).status_code == 200


def test_client_credentials_form_encoded_give_a_working_token(api):
    client_id, secret = staff_credentials("workstation")

    response = api.post(TOKEN, data=client_grant(client_id, secret))

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["token_type"] == "Bearer"
    token = response.get_json()["access_token"]
    assert api.get("/api/v1/learners", bearer(token)).status_code == 200


def test_a_grant_is_read_by_its_own_schema_a_field_of_the_other_is_refused(api):
    """The document's TokenRequest is one of ClientCredentialsGrant and PasswordGrant, each
    closed; the server reads a body with the schema its grant_type names, in either encoding."""
    client_id, secret = staff_credentials("auditor")
    mixed = {**client_grant(client_id, secret), "username": "L0", "password": PASSWORD}

    assert_problem(api.post(TOKEN, json=mixed), 422, "validation_error", "username", "password")
    assert_problem(api.post(TOKEN, data=mixed), 422, "validation_error", "username")
    twice = f"grant_type=client_credentials&grant_type=password&client_id={client_id}"
    repeated = api.post(TOKEN, data=twice, content_type="application/x-www-form-urlencoded")
    assert_problem(repeated, 422, "validation_error", "grant_type")
    unknown = api.post(TOKEN, json={"grant_type": "refresh_token"})
    assert_problem(unknown, 422, "validation_error", "grant_type")


def test_learner_password_grant_gives_a_token_that_reads_its_own_account(api):
    learner = api.new_learner(password=PASSWORD)

    response = api.post(TOKEN, json=password_grant(learner, PASSWORD))

    assert response.status_code == 200
    assert response.get_json()["expires_in"] == 900
    token = response.get_json()["access_token"]
    assert api.get(f"/api/v1/learners/{learner}", bearer(token)).status_code == 200


def test_token_is_an_eddsa_jwt_whose_kid_is_published_in_the_jwks(api):
    client_id, secret = provider_client(api)

    token = api.post(TOKEN, json=client_grant(client_id, secret)).get_json()["access_token"]

    header_segment, payload_segment, _ = token.split(".")
    header = decode_segment(header_segment)
    claims = decode_segment(payload_segment)
    assert header["alg"] == "EdDSA"
    jwks = api.get("/.well-known/jwks.json").get_json()
    published = {key["kid"]: key for key in jwks["keys"]}
    assert header["kid"] in published
    assert published[header["kid"]]["crv"] == "Ed25519"
    assert {"iss", "aud", "sub", "role", "iat", "exp", "jti", "provider_id"} <= claims.keys()
    assert claims["role"] == "provider"
    assert claims["sub"] == client_id
    assert claims["exp"] - claims["iat"] == 900


def test_grant_without_its_credentials_is_422_naming_them(api):
    response = api.post(TOKEN, json={"grant_type": "client_credentials", "client_id": "c_x"})

    assert_problem(response, 422, "validation_error", "client_secret")


def test_unknown_grant_type_is_422(api):
    response = api.post(TOKEN, json={"grant_type": "implicit", "username": "a", "password": "b"})

    assert_problem(response, 422, "validation_error", "grant_type")


# -- refusing credentials --------------------------------------------------------------------


@pytest.mark.parametrize("case", ["wrong secret", "unknown client"])
def test_wrong_client_credentials_are_401_with_www_authenticate(api, case):
    client_id, secret = staff_credentials("workstation")
    if case == "wrong secret":
        grant = client_grant(client_id, secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    else:
        grant = client_grant("c_nobody", secret)

    response = api.post(TOKEN, json=grant)

    assert_unauthorized(response)
    assert "access_token" not in response.get_data(as_text=True)


@pytest.mark.parametrize("case", ["wrong password", "unknown learner"])
def test_wrong_learner_credentials_are_401_with_www_authenticate(api, case):
    learner = api.new_learner(password=PASSWORD)
    grant = (
        password_grant(learner, "wrong horse battery")
        if case == "wrong password"
        else password_grant("L_nobody", PASSWORD)
    )

    assert_unauthorized(api.post(TOKEN, json=grant))


# -- refusing tokens -------------------------------------------------------------------------


def test_missing_token_is_401_with_www_authenticate(api):
    assert_unauthorized(api.get("/api/v1/learners"))


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer garbage",
        "Bearer a.b.c",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        # {"alg":"none"} with a workstation claim set and no signature
        "Bearer eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0."
        "eyJyb2xlIjoid29ya3N0YXRpb24iLCJzdWIiOiJ4In0.",
    ],
    ids=["garbage", "three-dots", "empty", "basic", "alg-none"],
)
def test_garbage_token_is_401(api, authorization):
    response = api.get("/api/v1/learners", {"Authorization": authorization})

    assert_unauthorized(response)


def test_token_whose_signature_is_altered_is_401(api):
    token = api.workstation["Authorization"].removeprefix("Bearer ")
    head, payload, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]

    assert_unauthorized(api.get("/api/v1/learners", bearer(f"{head}.{payload}.{flipped}")))


def forge(api, *, key=None, header: dict | None = None, **claims: Any) -> dict[str, str]:
    """A token for a real workstation client, signed with the bank's key unless ``key`` is
    given; ``claims`` and ``header`` override what a genuine token carries."""
    client_id, _ = staff_credentials("workstation")
    settings = api.app.extensions["creditbank.settings"]
    keyring = api.app.extensions["creditbank.keyring"]
    now = int(time.time())
    genuine = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": client_id,
        "role": "workstation",
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "jti": uuid.uuid4().hex,
        "ver": 0,
    }
    headers = {"kid": keyring.active_kid, "typ": "at+jwt", **(header or {})}
    token = jwt.encode(
        {**genuine, **claims},
        key or keyring.signing_key(),
        algorithm="EdDSA",
        headers=headers,
    )
    return bearer(token)


def test_a_genuine_forged_token_is_accepted(api):
    """The control for the tests below: ``forge`` without overrides makes a working token."""
    assert api.get("/api/v1/learners", forge(api)).status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"claims": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4500}},
        {"claims": {"aud": "someone-else"}},
        {"claims": {"iss": "https://evil.example/"}},
        {"claims": {"role": "root"}},
        {"claims": {"sub": "c_nobody"}},
        {"claims": {"ver": 1}},
        {"header": {"typ": "vc+jwt"}},
        {"header": {"kid": "unknown-kid"}},
        {"key": Ed25519PrivateKey.generate()},
    ],
    ids=[
        "expired",
        "other-audience",
        "other-issuer",
        "unknown-role",
        "unknown-client",
        "stale-version",
        "credential-typ",
        "unknown-kid",
        "foreign-key",
    ],
)
def test_token_that_is_not_genuine_and_current_is_401(api, change):
    headers = forge(
        api, key=change.get("key"), header=change.get("header"), **change.get("claims", {})
    )

    assert_unauthorized(api.get("/api/v1/learners", headers))


def test_disabled_client_token_stops_working_at_once(api):
    client_id, secret = provider_client(api)
    headers = api.token_for(client_id, secret)
    assert api.get("/api/v1/outcomes", headers).status_code == 200

    response = api.post(f"/api/v1/clients/{client_id}/disable", api.workstation)

    assert response.status_code == 200
    assert response.get_json() == {"client_id": client_id, "disabled": True}
    assert_unauthorized(api.get("/api/v1/outcomes", headers))
    assert_unauthorized(api.post(TOKEN, json=client_grant(client_id, secret)))


def test_rotate_returns_a_new_secret_and_stops_the_old_secret_and_tokens(api):
    client_id, old_secret = provider_client(api)
    old_headers = api.token_for(client_id, old_secret)

    response = api.post(f"/api/v1/clients/{client_id}/rotate", api.workstation)

    assert response.status_code == 200
    body = response.get_json()
    assert body["client_id"] == client_id
    assert body["client_secret"] and body["client_secret"] != old_secret
    assert_unauthorized(api.get("/api/v1/outcomes", old_headers))
    assert_unauthorized(api.post(TOKEN, json=client_grant(client_id, old_secret)))
    new_headers = api.token_for(client_id, body["client_secret"])
    assert api.get("/api/v1/outcomes", new_headers).status_code == 200


@pytest.mark.parametrize("action", ["disable", "rotate"])
def test_only_the_workstation_manages_clients(api, action):
    client_id, secret = provider_client(api)
    provider_headers = api.token_for(client_id, secret)

    for headers in (api.auditor, provider_headers):
        assert_problem(api.post(f"/api/v1/clients/{client_id}/{action}", headers), 403, "forbidden")
    assert api.get("/api/v1/outcomes", provider_headers).status_code == 200


@pytest.mark.parametrize("action", ["disable", "rotate"])
def test_managing_an_unknown_client_is_404(api, action):
    assert_problem(
        api.post(f"/api/v1/clients/c_nobody/{action}", api.workstation), 404, "not_found"
    )


# -- learner passwords -----------------------------------------------------------------------


def test_learner_password_change_stops_old_tokens_and_old_password(api):
    learner = api.new_learner(password=PASSWORD)
    old_headers = api.learner_headers(learner, PASSWORD)

    response = api.put(
        f"/api/v1/learners/{learner}/password",
        old_headers,
        json={"old_password": PASSWORD, "new_password": "a brand new secret"},
    )

    assert response.status_code == 204
    assert_unauthorized(api.get(f"/api/v1/learners/{learner}", old_headers))
    assert_unauthorized(api.post(TOKEN, json=password_grant(learner, PASSWORD)))
    new_headers = api.learner_headers(learner, "a brand new secret")
    assert api.get(f"/api/v1/learners/{learner}", new_headers).status_code == 200


def test_learner_password_change_with_wrong_old_password_is_401_and_changes_nothing(api):
    learner = api.new_learner(password=PASSWORD)
    headers = api.learner_headers(learner, PASSWORD)

    response = api.put(
        f"/api/v1/learners/{learner}/password",
        headers,
        json={"old_password": "not my password", "new_password": "a brand new secret"},
    )

    assert_unauthorized(response)
    assert api.get(f"/api/v1/learners/{learner}", headers).status_code == 200
    assert api.post(TOKEN, json=password_grant(learner, PASSWORD)).status_code == 200


def test_learner_password_change_without_old_password_is_a_reset_and_403(api):
    """A body without old_password is a reset, which the workstation makes (API.md § Accounts):
    well-formed (the document's PasswordChange), but not the learner's to send."""
    learner = api.new_learner(password=PASSWORD)
    headers = api.learner_headers(learner, PASSWORD)

    response = api.put(
        f"/api/v1/learners/{learner}/password", headers, json={"new_password": "a brand new one"}
    )

    assert_problem(response, 403, "forbidden")
    assert api.post(TOKEN, json=password_grant(learner, PASSWORD)).status_code == 200


def test_learner_cannot_change_another_learners_password(api):
    me = api.new_learner(password=PASSWORD)
    other = api.new_learner(password=PASSWORD)

    response = api.put(
        f"/api/v1/learners/{other}/password",
        api.learner_headers(me, PASSWORD),
        json={"old_password": PASSWORD, "new_password": "taken over now"},
    )

    assert_problem(response, 403, "forbidden")
    assert api.post(TOKEN, json=password_grant(other, PASSWORD)).status_code == 200


def test_workstation_resets_a_password_without_the_old_one(api):
    learner = api.new_learner(password=PASSWORD)
    old_headers = api.learner_headers(learner, PASSWORD)

    response = api.put(
        f"/api/v1/learners/{learner}/password",
        api.workstation,
        json={"new_password": "reset by the desk"},
    )

    assert response.status_code == 204
    assert_unauthorized(api.get(f"/api/v1/learners/{learner}", old_headers))
    assert_unauthorized(api.post(TOKEN, json=password_grant(learner, PASSWORD)))
    assert api.post(TOKEN, json=password_grant(learner, "reset by the desk")).status_code == 200


def test_new_password_shorter_than_eight_characters_is_422(api):
    learner = api.new_learner(password=PASSWORD)

    response = api.put(
        f"/api/v1/learners/{learner}/password", api.workstation, json={"new_password": "short"}
    )

    assert_problem(response, 422, "validation_error", "new_password")
    assert api.post(TOKEN, json=password_grant(learner, PASSWORD)).status_code == 200
