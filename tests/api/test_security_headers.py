"""Standard security headers on every response, and no stack trace or SQL in any error body
(issue 5, § Authentication and authorisation)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy.exc import IntegrityError, ProgrammingError

from creditbank.app import create_app
from creditbank.extensions import db
from tests.api.helpers import PROBLEM_JSON
from tests.api.test_role_matrix import DECISIONS, ROLES, World, route_keys, send
from tests.support.processes import free_port

LEAKS = (
    "Traceback",
    'File "',
    "SELECT ",
    "INSERT ",
    "UPDATE ",
    "DELETE FROM",
    "sqlalchemy",
    "psycopg",
    "sqlite3",
    "IntegrityError",
    "ProgrammingError",
    "/work/",
    "site-packages",
)


def assert_secure(response, path: str) -> None:
    headers = response.headers
    where = f"{response.status_code} {path}"
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    # The workstation's pages send their Referer to their own origin, which Flask-WTF checks on
    # HTTPS form posts (creditbank/web/views.py); everything else sends none.
    pages = ("/workstation/", "/learner/", "/verify/", "/college/")
    referrer = "same-origin" if path.startswith(pages) else "no-referrer"
    assert headers.get("Referrer-Policy") == referrer, where
    assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""), where
    assert headers.get("X-Request-ID"), where
    if path.startswith("/api/") and not path.startswith("/api/v1/docs"):
        assert "no-store" in headers.get("Cache-Control", ""), where
    if response.status_code >= 400:
        text = response.get_data(as_text=True)
        assert response.mimetype == PROBLEM_JSON, where
        assert not [leak for leak in LEAKS if leak in text], (where, text)


def test_every_route_answers_every_caller_with_the_security_headers(api):
    """Every route of the role matrix, as every role and without a token, on every target."""
    world = World(api)
    routes = route_keys(api.app)
    checked = 0

    for key in sorted(DECISIONS):
        if key not in routes:
            continue
        for role in (None, *ROLES):
            for target in DECISIONS[key].targets:
                assert_secure(send(world, key, role, target), key.split(" ", 1)[1])
                checked += 1

    assert checked > 200


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("transcript", "text/html"),
        ("transcript", "application/pdf"),
        ("transcript", "image/png"),
        ("credential", "application/vc+jwt"),
    ],
)
def test_documents_in_other_media_types_carry_them_too(api, path, accept):
    world = World(api)
    learner = world.learner_id["own"]
    url = f"/api/v1/learners/{learner}/{path}"

    response = api.get(url, {**world.headers["learner"], "Accept": accept})

    assert response.status_code in (200, 404, 406), response.status_code
    assert_secure(response, url)


def test_the_html_audit_report_is_not_cached(api):
    world = World(api)
    url = f"/api/v1/audits/{world.audit_id()}"

    response = api.get(url, {**world.headers["auditor"], "Accept": "text/html"})

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert_secure(response, url)


def test_https_responses_add_strict_transport_security(api):
    response = api.client.get("/healthz", base_url="https://creditbank.example")

    assert "max-age=" in response.headers.get("Strict-Transport-Security", "")
    assert_secure(response, "/healthz")


# -- error bodies --------------------------------------------------------------------------------


def test_every_kind_of_error_is_plain_problem_json(api):
    provider = api.new_provider()[1]
    responses = {
        "malformed": api.post(
            "/api/v1/learners", api.workstation, data="{", content_type="application/json"
        ),
        "no route": api.get("/api/v1/nothing/here"),
        "method": api.call("DELETE", "/api/v1/rulesets"),
        "too large": api.post("/api/v1/learners", data=b"x" * (5 * 1024 * 1024 + 1)),
        "invalid": api.post("/api/v1/outcomes", provider, json={"kind": "informal"}),
        "deep": api.post(
            "/api/v1/rulesets",
            api.workstation,
            data="[" * 5000 + "]" * 5000,
            content_type="application/json",
        ),
        "forbidden": api.get("/api/v1/learners", provider),
        "unauthorized": api.get("/api/v1/learners", {"Authorization": "Bearer x.y.z"}),
    }

    for name, response in responses.items():
        assert response.status_code >= 400, name
        assert_secure(response, "/api/v1/")


@pytest.mark.parametrize(
    "error",
    [
        IntegrityError(
            "INSERT INTO identities (national_id_fingerprint) VALUES (?)",
            {"national_id_fingerprint": "ab12"},
            Exception("UNIQUE constraint failed: identities.national_id_fingerprint"),
        ),
        ProgrammingError("SELECT secret_hash FROM clients", {}, Exception("syntax error")),
        RuntimeError('File "/work/main/creditbank/services/clients.py", line 1: SELECT 1'),
        RecursionError("maximum recursion depth exceeded"),
    ],
    ids=["integrity", "programming", "runtime-with-sql", "recursion"],
)
def test_an_internal_error_says_nothing_about_its_cause(api, monkeypatch, error):
    from creditbank.services import clients

    def fail(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(clients, "list_providers", fail)

    response = api.get("/api/v1/providers", api.workstation)

    assert response.status_code == 500
    assert response.get_json()["type"] == "internal_error"
    assert_secure(response, "/api/v1/providers")


def test_too_many_requests_and_service_unavailable_carry_them_too(settings, keys_dir, tmp_path):
    throttled = create_app(dataclasses.replace(settings, failed_login_limit_per_client="1/hour"))
    unreachable = create_app(
        dataclasses.replace(
            settings, database_url=f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none"
        )
    )
    grant = {"grant_type": "client_credentials", "client_id": "c_x", "client_secret": "nope"}
    try:
        client = throttled.test_client()
        client.post("/api/v1/auth/token", json=grant)
        too_many = client.post("/api/v1/auth/token", json=grant)
        unavailable = unreachable.test_client().post("/api/v1/auth/token", json=grant)
    finally:
        for app in (throttled, unreachable):
            with app.app_context():
                db.engine.dispose()

    assert too_many.status_code == 429
    assert unavailable.status_code == 503
    for response in (too_many, unavailable):
        assert_secure(response, "/api/v1/auth/token")
