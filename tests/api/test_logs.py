"""Logs are JSON, one object a line, each with the request id (also ``X-Request-ID``), and
never hold a password, a client secret, a token or a whole national ID: the tests use each
kind, then grep everything that was logged for the values."""

from __future__ import annotations

import dataclasses
import json
import logging
import runpy
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from flask import Flask, g
from werkzeug.serving import make_server

from creditbank.app import create_app
from creditbank.extensions import db
from tests.api.helpers import bearer, national_id, with_wrong_check

PASSWORD = "Tr0ub4dor&3-horse"
NEW_PASSWORD = "staple battery 42!"
WRONG_PASSWORD = "guessing-at-random"
NATIONAL_ID = national_id(region="500235", born="19880808", serial="417")
CORRECTED_ID = national_id(region="500235", born="19880809", serial="418")
TOKEN = "/api/v1/auth/token"
BODY_NATIONAL_ID = "11010519491231002X"  # checksum-valid, as a client sends it
GUNICORN_CONF = Path(__file__).resolve().parents[2] / "config" / "gunicorn.conf.py"


@pytest.fixture
def logging_app(settings) -> Iterator[Callable[[], Flask]]:
    """Makes an app that logs everything (DEBUG) and keeps its limits small. Make it inside
    the test: its handler keeps the stderr of the moment, and ``capsys`` gives each test phase
    a stream of its own."""
    made: list[Flask] = []

    def make() -> Flask:
        app = create_app(
            dataclasses.replace(
                settings, log_level="DEBUG", failed_login_limit_per_client="2 per 15 minutes"
            )
        )
        app.config["TESTING"] = True
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of every logger, the app's own (which do not propagate) included."""
    caplog.set_level(logging.DEBUG)
    creditbank = logging.getLogger("creditbank")
    added = caplog.handler not in creditbank.handlers
    if added:
        creditbank.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        if added:
            creditbank.removeHandler(caplog.handler)


class Secrets:
    """Every secret value a scenario used, to grep the logs for."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def add(self, what: str, value: str) -> str:
        self.values[what] = value
        return value

    def add_token(self, what: str, token: str) -> dict[str, str]:
        self.add(what, token)
        self.add(f"{what} signature", token.rsplit(".", 1)[-1])
        return bearer(token)

    def found_in(self, text: str) -> list[str]:
        return [what for what, value in self.values.items() if value in text]


def scenario(call: Any, secrets: Secrets) -> None:
    """Logins, right and wrong; a learner with a national ID, looked up, corrected, refused;
    password changes; a throttled login; errors. ``call(method, path, **kwargs)`` answers
    with the response's JSON."""
    from creditbank.domain.roles import Role
    from creditbank.services.clients import create_client

    credentials = create_client(Role.WORKSTATION, "desk")
    secrets.add("workstation secret", credentials.client_secret)
    grant = {
        "grant_type": "client_credentials",
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
    }
    workstation = secrets.add_token(
        "workstation token", call("POST", TOKEN, json=grant)["access_token"]
    )

    opened = call(
        "POST",
        "/api/v1/learners",
        headers=workstation,
        json={
            "name": "张三",
            "national_id": secrets.add("national ID", NATIONAL_ID),
            "password": secrets.add("password", PASSWORD),
        },
    )
    learner = opened["learner_id"]
    call(
        "POST",
        "/api/v1/learners",
        headers=workstation,
        json={"name": "重复", "national_id": NATIONAL_ID},
    )
    invalid = secrets.add("invalid national ID", with_wrong_check(CORRECTED_ID))
    call(
        "POST",
        "/api/v1/learners",
        headers=workstation,
        json={"name": "李四", "national_id": invalid},
    )
    call("POST", "/api/v1/learners/search", headers=workstation, json={"national_id": NATIONAL_ID})
    call("POST", "/api/v1/learners/search", headers=workstation, json={"national_id": invalid})
    call("GET", "/api/v1/learners", headers=workstation, params={"name": "张三"})
    # A client that still puts the ID in the URL is refused (422), and still not logged.
    call("GET", f"/api/v1/learners?national_id={NATIONAL_ID}&name=张三", headers=workstation)
    call(
        "PATCH",
        f"/api/v1/learners/{learner}",
        headers=workstation,
        json={"national_id": secrets.add("corrected ID", CORRECTED_ID)},
    )

    login = {"grant_type": "password", "username": learner, "password": PASSWORD}
    learner_headers = secrets.add_token(
        "learner token", call("POST", TOKEN, data=login)["access_token"]
    )
    call("GET", f"/api/v1/learners/{learner}/balance", headers=learner_headers)
    change = {"old_password": PASSWORD, "new_password": secrets.add("new password", NEW_PASSWORD)}
    call("PUT", f"/api/v1/learners/{learner}/password", headers=learner_headers, json=change)
    call("GET", f"/api/v1/learners/{learner}", headers=learner_headers)  # now a stale token: 401

    provider = call(
        "POST",
        "/api/v1/providers",
        headers=workstation,
        json={"code": "LOGS", "name": "日志培训中心"},
    )["id"]
    client = call("POST", f"/api/v1/providers/{provider}/clients", headers=workstation)
    secrets.add("provider secret", client["client_secret"])
    rotated = call("POST", f"/api/v1/clients/{client['client_id']}/rotate", headers=workstation)
    secrets.add("rotated secret", rotated["client_secret"])

    wrong = {
        "grant_type": "client_credentials",
        "client_id": client["client_id"],
        "client_secret": secrets.add("wrong secret", WRONG_PASSWORD),
    }
    for _ in range(3):  # the third is throttled (429)
        call("POST", TOKEN, json=wrong)
    call(
        "POST",
        TOKEN,
        json={"grant_type": "password", "username": learner, "password": WRONG_PASSWORD},
    )
    call(
        "GET",
        "/api/v1/learners",
        headers={"Authorization": "Bearer " + secrets.values["workstation token"][:-3] + "abc"},
    )
    call("GET", "/api/v1/learners", headers={"Authorization": f"Basic {PASSWORD}"})


# -- the format --------------------------------------------------------------------------------


def test_every_line_is_json_with_the_request_id_of_its_request(logging_app, capsys):
    client = logging_app().test_client()
    capsys.readouterr()  # what start-up wrote

    ok = client.get("/healthz")
    refused = client.get("/api/v1/learners")
    missing = client.get("/nope", headers={"X-Request-ID": "trace-4711"})
    too_large = client.post("/api/v1/learners", data=b"x" * (6 * 1024 * 1024))

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    ids = [response.headers["X-Request-ID"] for response in (ok, refused, missing, too_large)]
    assert ids[2] == "trace-4711"
    assert len(set(ids)) == 4 and all(ids)
    assert lines, "the access log wrote nothing"
    assert all(line["request_id"] in ids for line in lines), lines
    access = [line for line in lines if line["logger"] == "creditbank.access"]
    assert [(line["request_id"], line["status"]) for line in access] == list(
        zip(ids, (200, 401, 404, 413), strict=True)
    )
    assert all(
        {"time", "level", "message", "method", "path", "duration_ms"} <= line.keys()
        for line in access
    )


def test_an_unexpected_error_is_one_json_line_with_its_traceback_and_request_id(
    logging_app, capsys, monkeypatch
):
    logged = logging_app()
    from creditbank.services import clients

    monkeypatch.setattr(clients, "list_providers", lambda *_: 1 / 0)
    client = logged.test_client()
    with logged.app_context():
        from creditbank.domain.roles import Role

        credentials = clients.create_client(Role.WORKSTATION, "desk")
    token = client.post(
        TOKEN,
        json={
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        },
    ).get_json()["access_token"]
    capsys.readouterr()

    response = client.get("/api/v1/providers", headers=bearer(token))

    assert response.status_code == 500
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    errors = [line for line in lines if line["level"] == "error"]
    assert len(errors) == 1, lines
    assert errors[0]["request_id"] == response.headers["X-Request-ID"]
    assert "ZeroDivisionError" in errors[0]["exception"]


def test_the_app_logger_writes_each_line_once(logging_app, capsys):
    logged = logging_app()
    capsys.readouterr()
    with logged.test_request_context("/"):
        g.request_id = "one-line"
        logged.logger.warning("said once")

    lines = [line for line in capsys.readouterr().err.splitlines() if "said once" in line]
    assert len(lines) == 1, lines
    assert json.loads(lines[0])["request_id"] == "one-line"


@pytest.mark.parametrize(
    "incoming",
    ["", "has space", "x" * 65, 'quote"injection', "new\nline", "ünïcode"],
    ids=["empty", "space", "too-long", "quote", "newline", "unicode"],
)
def test_an_unsafe_incoming_request_id_is_replaced(api, incoming):
    response = api.get("/healthz", {"X-Request-ID": incoming} if "\n" not in incoming else {})

    echoed = response.headers["X-Request-ID"]
    assert echoed and echoed != incoming
    assert len(echoed) <= 64 and echoed.isascii()


def test_a_valid_incoming_request_id_is_echoed(api):
    for value in ("abc-123", "0f" * 32, "gateway.7_A"):
        assert api.get("/healthz", {"X-Request-ID": value}).headers["X-Request-ID"] == value


def test_every_response_has_a_request_id_even_errors(api):
    for response in (api.get("/nope"), api.get("/api/v1/learners"), api.call("DELETE", "/healthz")):
        assert len(response.headers.get("X-Request-ID", "")) >= 8, response.status_code


# -- no secrets --------------------------------------------------------------------------------


def test_logs_never_hold_passwords_secrets_tokens_or_national_ids(
    logging_app, everything_logged, capsys
):
    logged = logging_app()
    client = logged.test_client()
    secrets = Secrets()

    def call(method: str, path: str, *, params: dict | None = None, **kwargs: Any):
        return client.open(path, method=method, query_string=params, **kwargs).get_json(silent=True)

    with logged.app_context():
        scenario(call, secrets)

    text = capsys.readouterr().err + "\n" + everything_logged.text
    text += "\n".join(json.dumps(vars(record), default=str) for record in everything_logged.records)
    assert "creditbank.access" in text and "ratelimit" in text  # the logs were captured
    assert secrets.found_in(text) == [], secrets.found_in(text)


def test_the_development_server_log_holds_no_secrets(logging_app, everything_logged):
    """Werkzeug's server logs each request line; a client that puts a national ID in the
    query string (refused now: the search takes it in the body) must not have it logged."""
    logged = logging_app()
    server = make_server("127.0.0.1", 0, logged, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    secrets = Secrets()
    session = requests.Session()

    def call(method: str, path: str, **kwargs: Any):
        response = session.request(method, base + path, timeout=30, **kwargs)
        return response.json() if response.content else None

    try:
        with logged.app_context():
            scenario(call, secrets)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        session.close()

    werkzeug = [
        record.getMessage() for record in everything_logged.records if record.name == "werkzeug"
    ]
    assert any("/api/v1/learners?" in line for line in werkzeug), werkzeug  # lookups logged
    # urllib3 logs the test's own requests (the client side), which are not the service's logs.
    server_side = [r for r in everything_logged.records if r.name.split(".")[0] != "urllib3"]
    text = "\n".join(logging.Formatter().format(record) for record in server_side)
    assert secrets.found_in(text) == [], secrets.found_in(text)


def test_a_national_id_in_a_body_leaves_no_trace_in_any_log(
    logging_app, everything_logged, capsys, tmp_path, monkeypatch
):
    """The search, opening an account and correcting one carry the ID in the body only: none of
    its 18 characters (nor the first 17, a wrong check character's) reach the app's JSON
    logs, nor gunicorn's access line in the format config/gunicorn.conf.py leaves it."""
    logged = logging_app()
    client = logged.test_client()
    with logged.app_context():
        responses = send_national_id_in_bodies(client)

    assert [response.status_code for response in responses] == [
        201,
        201,
        200,
        200,
        409,
        409,
        200,
        422,
    ]
    text = capsys.readouterr().err + "\n" + everything_logged.text
    text += "\n".join(json.dumps(vars(record), default=str) for record in everything_logged.records)
    access = gunicorn_access_log(responses, tmp_path, monkeypatch)
    assert "creditbank.access" in text and "/api/v1/learners/search" in text  # logs were captured
    assert "POST /api/v1/learners/search HTTP/1.1" in access
    for logs in (text, access):
        assert BODY_NATIONAL_ID[:17] not in logs
        assert BODY_NATIONAL_ID.lower() not in logs


def send_national_id_in_bodies(client: Any) -> list[Any]:
    from creditbank.domain.roles import Role
    from creditbank.services.clients import create_client

    credentials = create_client(Role.WORKSTATION, "desk")
    grant = {"grant_type": "client_credentials", **vars(credentials)}
    workstation = bearer(client.post(TOKEN, json=grant).get_json()["access_token"])
    opened = client.post(
        "/api/v1/learners",
        headers=workstation,
        json={"name": "张三", "national_id": BODY_NATIONAL_ID},
    )
    other = client.post("/api/v1/learners", headers=workstation, json={"name": "李四"})
    learner, someone_else = opened.get_json()["learner_id"], other.get_json()["learner_id"]
    same_id = {"national_id": BODY_NATIONAL_ID}
    calls = [
        ("POST", "/api/v1/learners/search", same_id),
        ("POST", "/api/v1/learners/search", {"national_id": BODY_NATIONAL_ID.lower()}),
        ("POST", "/api/v1/learners", {"name": "重复", **same_id}),  # 409
        ("PATCH", f"/api/v1/learners/{someone_else}", same_id),  # 409: another account has it
        ("PATCH", f"/api/v1/learners/{learner}", same_id),  # unchanged
        ("POST", "/api/v1/learners/search", {"national_id": with_wrong_check(BODY_NATIONAL_ID)}),
    ]
    answered = [
        client.open(path, method=method, headers=workstation, json=body)
        for method, path, body in calls
    ]
    return [opened, other, *answered]


def gunicorn_access_log(responses: list[Any], tmp_path: Path, monkeypatch: Any) -> str:
    """What gunicorn's access log would hold for these requests with the settings of
    config/gunicorn.conf.py, were an operator to switch it on (``--access-logfile``)."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    # The conf file makes a metrics directory of its own unless one is named.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    conf = runpy.run_path(str(GUNICORN_CONF))
    assert conf["accesslog"] is None  # off: the app writes its own JSON access line
    config = Config()
    for name, value in conf.items():
        if name in config.settings:
            config.set(name, value)
    config.set("accesslog", str(tmp_path / "access.log"))
    logger = Logger(config)
    try:
        for response in responses:
            sent = SimpleNamespace(
                status=response.status,
                sent=len(response.data),
                headers=list(response.headers.items()),
            )
            request = SimpleNamespace(headers=list(response.request.headers.items()))
            logger.access(sent, request, response.request.environ, timedelta(milliseconds=3))
    finally:
        for log in (logger.error_log, logger.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
                handler.close()
    return (tmp_path / "access.log").read_text(encoding="utf-8")
