"""Failed logins are throttled per client and per address (API.md § Conventions: 429 with
Retry-After), in storage that several processes share (Redis) or that one process keeps."""

from __future__ import annotations

import dataclasses
import os
import socket
import time
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask

from config.settings import Settings, SettingsError
from creditbank.app import create_app
from creditbank.extensions import db
from tests.api.helpers import assert_problem

TOKEN = "/api/v1/auth/token"
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a new horse battery"
REDIS_URL = os.environ.get("CREDITBANK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SMALL = {
    "failed_login_limit_per_client": "3 per 15 minutes",
    "failed_login_limit_per_address": "6 per 15 minutes",
}


@pytest.fixture
def make_app(settings: Settings) -> Iterator:
    """Apps on the test database with their own limits; engines are closed afterwards."""
    made: list[Flask] = []

    def make(**overrides: str) -> Flask:
        app = create_app(dataclasses.replace(settings, **{**SMALL, **overrides}))
        app.config["TESTING"] = True
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own on the local Redis, removed afterwards."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({type(exc).__name__})")
    prefix = f"creditbank-test-{uuid.uuid4().hex}"
    yield prefix
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
    client.close()


def login(app: Flask, grant: dict[str, str], address: str = "192.0.2.1", **kwargs):
    client = app.test_client()
    return client.post(TOKEN, json=grant, environ_base={"REMOTE_ADDR": address}, **kwargs)


def client_grant(client_id: str, secret: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}


def learner_grant(learner_id: str, password: str) -> dict[str, str]:
    return {"grant_type": "password", "username": learner_id, "password": password}


def provider_credentials(api) -> tuple[str, str]:
    provider_id, _ = api.new_provider()
    body = api.post(f"/api/v1/providers/{provider_id}/clients", api.workstation).get_json()
    return body["client_id"], body["client_secret"]


def assert_throttled(response) -> int:
    assert_problem(response, 429, "too_many_requests")
    assert "access_token" not in response.get_data(as_text=True)
    retry_after = response.headers.get("Retry-After", "")
    assert retry_after.isdigit(), response.headers
    return int(retry_after)


# -- per client --------------------------------------------------------------------------------


def test_failed_logins_of_one_client_are_throttled_whatever_the_address(api, make_app):
    client_id, secret = provider_credentials(api)
    app = make_app()

    for attempt in range(3):
        wrong = login(app, client_grant(client_id, "wrong"), address=f"192.0.2.{attempt}")
        assert_problem(wrong, 401, "unauthorized")
    refused = login(app, client_grant(client_id, secret), address="198.51.100.7")

    retry_after = assert_throttled(refused)
    assert 1 <= retry_after <= 15 * 60 + 1
    other_id, other_secret = provider_credentials(api)
    assert login(app, client_grant(other_id, other_secret)).status_code == 200


def test_failed_learner_logins_are_throttled_per_username_also_form_encoded(api, make_app):
    learner = api.new_learner(password=PASSWORD)
    app = make_app()
    client = app.test_client()

    for attempt in range(3):
        wrong = client.post(
            TOKEN,
            data=learner_grant(learner, "not the password"),
            environ_base={"REMOTE_ADDR": f"203.0.113.{attempt}"},
        )
        assert_problem(wrong, 401, "unauthorized")

    assert_throttled(login(app, learner_grant(learner, PASSWORD), address="203.0.113.99"))
    assert_throttled(client.post(TOKEN, data=learner_grant(learner, PASSWORD)))


def test_a_learners_id_and_account_number_share_one_count(api, make_app):
    """Guessing under both names a learner signs in with buys no extra tries."""
    learner = api.new_learner(password=PASSWORD)
    number = api.get(f"/api/v1/learners/{learner}", api.workstation).get_json()["account_number"]
    printed = f"{number[:4]} {number[4:8]} {number[8:]}"
    app = make_app()

    for attempt, username in enumerate((learner, number, printed)):
        wrong = login(app, learner_grant(username, "not it"), address=f"203.0.113.{attempt}")
        assert_problem(wrong, 401, "unauthorized")

    assert_throttled(login(app, learner_grant(number, PASSWORD), address="203.0.113.99"))
    assert_throttled(login(app, learner_grant(learner, PASSWORD), address="203.0.113.98"))


# -- per address -------------------------------------------------------------------------------


def test_failed_logins_from_one_address_are_throttled_whatever_the_client(api, make_app):
    learner = api.new_learner(password=PASSWORD)
    app = make_app()

    for attempt in range(6):
        guess = learner_grant(f"L_guess_{attempt}", "guessing")
        assert_problem(login(app, guess, address="192.0.2.50"), 401, "unauthorized")

    assert_throttled(login(app, learner_grant(learner, PASSWORD), address="192.0.2.50"))
    # A forged X-Forwarded-For does not buy a fresh address.
    spoofed = login(
        app,
        learner_grant(learner, PASSWORD),
        address="192.0.2.50",
        headers={"X-Forwarded-For": "198.51.100.1"},
    )
    assert_throttled(spoofed)
    assert login(app, learner_grant(learner, PASSWORD), address="192.0.2.51").status_code == 200


# -- what counts -------------------------------------------------------------------------------


def test_successful_logins_and_invalid_requests_do_not_count(api, make_app):
    client_id, secret = provider_credentials(api)
    app = make_app()

    for _ in range(8):
        assert login(app, client_grant(client_id, secret)).status_code == 200
        incomplete = login(app, {"grant_type": "client_credentials", "client_id": client_id})
        assert_problem(incomplete, 422, "validation_error", "client_secret")

    assert login(app, client_grant(client_id, secret)).status_code == 200


def test_the_window_moves_on(api, make_app):
    client_id, secret = provider_credentials(api)
    app = make_app(failed_login_limit_per_client="2 per 1 second")

    for _ in range(2):
        assert login(app, client_grant(client_id, "wrong")).status_code == 401
    retry_after = assert_throttled(login(app, client_grant(client_id, secret)))
    assert retry_after <= 2
    time.sleep(1.2)

    assert login(app, client_grant(client_id, secret)).status_code == 200


# -- password changes (PUT /learners/{id}/password): the same counts as logins ---------------


def change_password(app: Flask, learner: str, headers: dict[str, str], old: str, **kwargs):
    body = {"old_password": old, "new_password": NEW_PASSWORD}
    address = kwargs.pop("address", "192.0.2.1")
    return app.test_client().put(
        f"/api/v1/learners/{learner}/password",
        json=body,
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
        **kwargs,
    )


def test_wrong_old_passwords_are_throttled_per_account_whatever_the_address(api, make_app):
    learner = api.new_learner(password=PASSWORD)
    headers = api.learner_headers(learner, PASSWORD)
    app = make_app()

    for attempt in range(3):
        wrong = change_password(
            app, learner, headers, "not the password", address=f"192.0.2.{attempt}"
        )
        assert_problem(wrong, 401, "unauthorized")
    refused = change_password(app, learner, headers, PASSWORD, address="198.51.100.7")

    assert 1 <= assert_throttled(refused) <= 15 * 60 + 1
    assert api.learner_headers(learner, PASSWORD)  # nothing changed: the old one still works
    other = api.new_learner(password=PASSWORD)
    assert (
        change_password(app, other, api.learner_headers(other, PASSWORD), PASSWORD).status_code
        == 204
    )


def test_wrong_old_passwords_from_one_address_are_throttled_whatever_the_account(api, make_app):
    learners = [api.new_learner(password=PASSWORD) for _ in range(7)]
    tokens = {learner: api.learner_headers(learner, PASSWORD) for learner in learners}
    app = make_app()

    for learner in learners[:6]:
        wrong = change_password(app, learner, tokens[learner], "guessing", address="192.0.2.60")
        assert_problem(wrong, 401, "unauthorized")

    last = learners[6]
    assert_throttled(change_password(app, last, tokens[last], PASSWORD, address="192.0.2.60"))
    assert (
        change_password(app, last, tokens[last], PASSWORD, address="192.0.2.61").status_code == 204
    )


def test_wrong_passwords_count_together_at_login_and_at_a_password_change(api, make_app):
    learner = api.new_learner(password=PASSWORD)
    headers = api.learner_headers(learner, PASSWORD)
    app = make_app()

    assert login(app, learner_grant(learner, "wrong"), address="192.0.2.70").status_code == 401
    for address in ("192.0.2.71", "192.0.2.72"):
        assert change_password(app, learner, headers, "wrong", address=address).status_code == 401

    assert_throttled(login(app, learner_grant(learner, PASSWORD), address="192.0.2.73"))
    assert_throttled(change_password(app, learner, headers, PASSWORD, address="192.0.2.74"))


def test_right_old_passwords_and_invalid_requests_do_not_count(api, make_app):
    learner = api.new_learner(password=PASSWORD)
    app = make_app()
    current = PASSWORD

    for _ in range(4):  # each change ends the old token, so each one logs in afresh
        token = login(app, learner_grant(learner, current)).get_json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        short = app.test_client().put(
            f"/api/v1/learners/{learner}/password",
            json={"old_password": current, "new_password": "short"},
            headers=headers,
        )
        assert_problem(short, 422, "validation_error", "new_password")
        body = {"old_password": current, "new_password": f"{PASSWORD} {_}"}
        changed = app.test_client().put(
            f"/api/v1/learners/{learner}/password", json=body, headers=headers
        )
        assert changed.status_code == 204
        current = body["new_password"]

    assert login(app, learner_grant(learner, current)).status_code == 200


def test_a_workstation_reset_is_not_held_back_by_a_learners_wrong_guesses(api, make_app):
    learner = api.new_learner(password=PASSWORD)
    headers = api.learner_headers(learner, PASSWORD)
    app = make_app()
    for _ in range(3):
        assert change_password(app, learner, headers, "wrong").status_code == 401

    reset = app.test_client().put(
        f"/api/v1/learners/{learner}/password",
        json={"new_password": NEW_PASSWORD},
        headers=api.workstation,
        environ_base={"REMOTE_ADDR": "192.0.2.1"},
    )

    assert reset.status_code == 204
    assert_throttled(login(app, learner_grant(learner, NEW_PASSWORD)))  # the learner still waits
    assert login(make_app(), learner_grant(learner, NEW_PASSWORD)).status_code == 200


def test_the_openapi_document_says_a_password_change_may_be_throttled(api):
    document = api.get("/api/v1/openapi.json").get_json()

    throttled = document["paths"]["/api/v1/learners/{learner_id}/password"]["put"]["responses"][
        "429"
    ]

    assert "Retry-After" in throttled["headers"]
    assert "password" in throttled["description"]
    assert throttled["content"]["application/problem+json"]


# -- where the counts live ---------------------------------------------------------------------


def test_memory_storage_counts_per_process_only(api, make_app):
    """Why gunicorn needs Redis: two processes with memory:// each keep their own count."""
    client_id, secret = provider_credentials(api)
    first, second = make_app(ratelimit_storage="memory://"), make_app()

    for _ in range(3):
        assert login(first, client_grant(client_id, "wrong")).status_code == 401

    assert_throttled(login(first, client_grant(client_id, secret)))
    assert login(second, client_grant(client_id, secret)).status_code == 200


def test_redis_storage_is_shared_by_two_apps(api, make_app, redis_prefix):
    client_id, secret = provider_credentials(api)
    shared = {"ratelimit_storage": REDIS_URL, "ratelimit_key_prefix": redis_prefix}
    first, second = make_app(**shared), make_app(**shared)

    for app in (first, second, first):
        assert login(app, client_grant(client_id, "wrong")).status_code == 401

    assert_throttled(login(second, client_grant(client_id, secret)))
    assert_throttled(login(first, client_grant(client_id, secret)))
    elsewhere = make_app(ratelimit_storage=REDIS_URL, ratelimit_key_prefix=f"{redis_prefix}-b")
    assert login(elsewhere, client_grant(client_id, secret)).status_code == 200


def test_unreachable_redis_falls_back_to_counting_in_memory(api, make_app):
    client_id, secret = provider_credentials(api)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = make_app(ratelimit_storage=f"redis://127.0.0.1:{port}/0")

    assert login(app, client_grant(client_id, secret)).status_code == 200
    for _ in range(3):
        assert login(app, client_grant(client_id, "wrong")).status_code == 401

    assert_throttled(login(app, client_grant(client_id, secret)))


# -- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variable", ["FAILED_LOGIN_LIMIT_PER_CLIENT", "FAILED_LOGIN_LIMIT_PER_ADDRESS"]
)
def test_a_malformed_limit_stops_start_up_naming_the_variable(variable):
    with pytest.raises(SettingsError, match=f"CREDITBANK_{variable}"):
        Settings.from_env({f"CREDITBANK_{variable}": "lots"})


def test_limits_are_read_from_the_environment():
    settings = Settings.from_env(
        {
            "CREDITBANK_FAILED_LOGIN_LIMIT_PER_CLIENT": "4 per minute",
            "CREDITBANK_FAILED_LOGIN_LIMIT_PER_ADDRESS": "40/hour",
            "CREDITBANK_RATELIMIT_STORAGE": "redis://127.0.0.1:6379/0",
        }
    )

    assert settings.failed_login_limit_per_client == "4 per minute"
    assert settings.failed_login_limit_per_address == "40/hour"
    assert settings.ratelimit_storage == "redis://127.0.0.1:6379/0"
