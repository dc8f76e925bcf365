"""While the database is unreachable every request that needs it is a clean 503
``service_unavailable`` with Retry-After (no traceback), ``/readyz`` says so, and the service
recovers by itself once the database is back (API.md § Conventions, § Operations)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from creditbank.app import create_app
from creditbank.extensions import db
from creditbank.security.tokens import issue_access_token
from tests.api.helpers import NO_TRACEBACK, assert_problem, bearer
from tests.api.tcp_proxy import TcpProxy
from tests.conftest import empty_postgres
from tests.support.banks import make_settings
from tests.support.processes import free_port

SQL_WORDS = ("SELECT", "INSERT", "sqlite3", "psycopg", "OperationalError")


def started(url: str, tmp_path: Path, keys_dir: Path) -> Flask:
    app = create_app(make_settings(url, tmp_path, keys_dir))
    app.config["TESTING"] = True
    return app


@pytest.fixture
def stopped_apps(tmp_path: Path, keys_dir: Path) -> Iterator[list[Flask]]:
    apps: list[Flask] = []
    yield apps
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def some_token(app: Flask) -> dict[str, str]:
    """A well-signed workstation token: only the database can tell whether its client exists."""
    settings = app.extensions["creditbank.settings"]
    token, _ = issue_access_token(
        app.extensions["creditbank.keyring"],
        issuer=settings.issuer,
        audience=settings.audience,
        subject="c_anyone",
        role="workstation",
        extra_claims={"ver": 0},
    )
    return bearer(token)


def assert_unavailable(response) -> None:
    assert_problem(response, 503, "service_unavailable")
    assert response.headers.get("Retry-After", "").isdigit(), response.headers
    text = response.get_data(as_text=True)
    assert not any(word in text for word in SQL_WORDS), text


def assert_every_database_request_is_503(app: Flask) -> None:
    client = app.test_client()
    headers = some_token(app)
    assert_unavailable(client.get("/api/v1/learners", headers=headers))
    assert_unavailable(client.post("/api/v1/learners", headers=headers, json={"name": "张三"}))
    assert_unavailable(
        client.post(
            "/api/v1/auth/token",
            json={"grant_type": "password", "username": "L1", "password": "whatever1"},
        )
    )
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.headers.get("Retry-After", "").isdigit()
    assert not any(marker in ready.get_data(as_text=True) for marker in NO_TRACEBACK)
    assert client.get("/healthz").status_code == 200  # the process itself is fine


def test_postgres_on_a_closed_port_is_503(tmp_path, keys_dir, stopped_apps):
    app = started(f"postgresql://postgres@127.0.0.1:{free_port()}/creditbank", tmp_path, keys_dir)
    stopped_apps.append(app)

    assert_every_database_request_is_503(app)


def test_sqlite_file_in_a_missing_directory_is_503(tmp_path, keys_dir, stopped_apps):
    app = started(f"sqlite:///{tmp_path / 'unmounted' / 'creditbank.sqlite3'}", tmp_path, keys_dir)
    stopped_apps.append(app)

    assert_every_database_request_is_503(app)


def through(proxy: TcpProxy, url: str) -> str:
    """The same database URL, by way of the proxy."""
    parts = urlsplit(url)
    user, at, _ = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user}{at}127.0.0.1:{proxy.port}"))


def count_learners(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        count = connection.exec_driver_sql("SELECT count(*) FROM accounts").scalar_one()
    engine.dispose()
    return count


def test_postgres_outage_is_503_and_the_service_recovers_by_itself(
    postgres_migrated, tmp_path, keys_dir, stopped_apps
):
    empty_postgres(postgres_migrated)
    parts = urlsplit(postgres_migrated)
    with TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432)) as proxy:
        app = started(through(proxy, postgres_migrated), tmp_path, keys_dir)
        stopped_apps.append(app)
        client = app.test_client()
        with app.app_context():
            from creditbank.domain.roles import Role
            from creditbank.services.clients import create_client

            credentials = create_client(Role.WORKSTATION, "desk")
        grant = {
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        }
        token = client.post("/api/v1/auth/token", json=grant).get_json()["access_token"]
        headers = bearer(token)
        first = client.post("/api/v1/learners", headers=headers, json={"name": "甲"})
        assert first.status_code == 201, first.get_json()
        assert client.get("/readyz").status_code == 200

        proxy.cut()  # a restart while idle: every pooled connection is dead, none knows it
        proxy.restore()
        # No pre-ping: the first request finds its connection dead and is a clean 503; the
        # disconnect renews the whole pool, so the next one is served.
        first_after_restart = client.get("/api/v1/learners", headers=headers)
        after_restart = client.get("/api/v1/learners", headers=headers)

        proxy.cut()
        during = [
            client.get("/api/v1/learners", headers=headers),
            client.post("/api/v1/learners", headers=headers, json={"name": "乙"}),
            client.post("/api/v1/auth/token", json=grant),
        ]
        ready_during = client.get("/readyz")
        proxy.restore()

        after = client.get("/api/v1/learners", headers=headers)
        created = client.post("/api/v1/learners", headers=headers, json={"name": "丙"})
        ready_after = client.get("/readyz")

    assert_unavailable(first_after_restart)
    assert after_restart.status_code == 200, after_restart.get_json()
    for response in during:
        assert_unavailable(response)
    assert ready_during.status_code == 503
    assert after.status_code == 200, after.get_json()
    assert created.status_code == 201, created.get_json()
    assert ready_after.status_code == 200
    names = sorted(item["name"] for item in after.get_json()["items"])
    assert names == ["甲"]
    assert count_learners(postgres_migrated) == 2  # 甲 and 丙; nothing of 乙


def test_an_exhausted_connection_pool_is_503_not_500(api, monkeypatch):
    """Every pooled connection stayed busy past pool_timeout: overloaded, come back later."""
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from creditbank.services import clients

    def busy(*_args, **_kwargs):
        raise PoolTimeout("QueuePool limit of size 5 overflow 5 reached")

    monkeypatch.setattr(clients, "list_providers", busy)

    response = api.get("/api/v1/providers", api.workstation)

    assert_unavailable(response)
    assert "QueuePool" not in response.get_data(as_text=True)
