"""Fixtures shared by every tier: a migrated database per test on SQLite (always) and on
PostgreSQL (when ``CREDITBANK_TEST_DATABASE_URL`` is set), the app, and a client with
helpers that hand out a token per role. Helpers shared with bench/ are in tests/support/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from config.settings import Settings, normalise_database_url
from tests.support.banks import app_on, keys_in, make_settings, migrate_to_head

# Under CI=true a skipped test fails the run (tests/support/no_skips.py); pytester tests that.
pytest_plugins = ["pytester", "tests.support.no_skips"]
PG_URL = os.environ.get("CREDITBANK_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return keys_in(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory, keys_dir: Path) -> Path:
    """One migrated SQLite file per session; each test gets a copy."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.sqlite3"
    migrate_to_head(make_settings(f"sqlite:///{path}", folder, keys_dir))
    return path


@pytest.fixture(scope="session")
def postgres_migrated(keys_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test database, emptied and migrated to head once per session."""
    if not PG_URL:
        pytest.skip("PostgreSQL tier: set CREDITBANK_TEST_DATABASE_URL to run it")
    url = normalise_database_url(PG_URL)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    migrate_to_head(make_settings(url, tmp_path_factory.mktemp("pg"), keys_dir))
    return url


def empty_postgres(url: str) -> None:
    """Empty every table between tests. The append-only triggers refuse TRUNCATE, so this
    runs with triggers off (``session_replication_role = replica``, superuser only)."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        tables = [
            name for name in sa.inspect(connection).get_table_names() if name != "alembic_version"
        ]
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        connection.exec_driver_sql(f"TRUNCATE {', '.join(tables)} CASCADE")
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "creditbank.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_migrated")
    empty_postgres(url)
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path, keys_dir: Path) -> Settings:
    return make_settings(database_url, tmp_path, keys_dir)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    with app_on(settings) as app:
        yield app


@pytest.fixture
def api(app: Flask) -> ApiClient:
    return ApiClient(app)


class ApiClient:
    """The Flask test client with one-line helpers: a token per role, a learner, a provider."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()
        self._workstation: dict[str, str] | None = None

    # -- raw calls ---------------------------------------------------------------------------
    def call(self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any):
        return self.client.open(path, method=method, headers=headers or {}, **kwargs)

    def get(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any):
        return self.call("GET", path, headers, **kwargs)

    def post(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any):
        return self.call("POST", path, headers, **kwargs)

    def put(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any):
        return self.call("PUT", path, headers, **kwargs)

    # -- identities --------------------------------------------------------------------------
    def token_for(self, client_id: str, client_secret: str) -> dict[str, str]:
        response = self.post(
            "/api/v1/auth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
            },
        )
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    def staff(self, role: str = "workstation") -> dict[str, str]:
        """Headers of a new workstation or auditor client (created as the CLI does)."""
        from creditbank.domain.roles import Role
        from creditbank.services.clients import create_client

        credentials = create_client(Role(role), f"test {role}")
        return self.token_for(credentials.client_id, credentials.client_secret)

    @property
    def workstation(self) -> dict[str, str]:
        if self._workstation is None:
            self._workstation = self.staff("workstation")
        return self._workstation

    @property
    def auditor(self) -> dict[str, str]:
        return self.staff("auditor")

    def new_learner(self, password: str = "correct horse battery", **fields: Any) -> str:
        body = {"name": "张三", "password": password, **fields}
        response = self.post("/api/v1/learners", self.workstation, json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["learner_id"]

    def learner_headers(self, learner_id: str, password: str = "correct horse battery"):
        response = self.post(
            "/api/v1/auth/token",
            json={"grant_type": "password", "username": learner_id, "password": password},
        )
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    def new_provider(self, code: str | None = None) -> tuple[str, dict[str, str]]:
        """A provider and the headers of a client of it."""
        code = code or f"P{os.urandom(4).hex()}"
        response = self.post(
            "/api/v1/providers", self.workstation, json={"code": code, "name": f"{code} 培训中心"}
        )
        assert response.status_code == 201, response.get_json()
        provider_id = response.get_json()["id"]
        credentials = self.post(f"/api/v1/providers/{provider_id}/clients", self.workstation)
        assert credentials.status_code == 201, credentials.get_json()
        body = credentials.get_json()
        return provider_id, self.token_for(body["client_id"], body["client_secret"])

    def publish_ruleset(self, **overrides: Any) -> dict[str, Any]:
        document = {
            "name": "测试规则",
            "effective_from": "2020-01-01T00:00:00+08:00",
            "hours_per_credit": {"theory": "16", "practice": "24"},
            "certificates": {"1X-WEB": {"junior": "2.0", "intermediate": "4.0", "senior": "6.0"}},
            "skill_levels": {"5": "2.0", "4": "3.0", "3": "4.0", "2": "5.0", "1": "6.0"},
            "competitions": {"national": ["4.0", "3.0", "2.0"]},
            **overrides,
        }
        response = self.post("/api/v1/rulesets", self.workstation, json=document)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def post_outcome(self, headers: dict[str, str], learner_id: str, **fields: Any):
        body = {
            "learner_id": learner_id,
            "external_ref": f"ref-{os.urandom(6).hex()}",
            "kind": "training_hours",
            "hours": "10",
            "category": "theory",
            "achieved_on": "2026-01-15",
            **fields,
        }
        return self.post("/api/v1/outcomes", headers, json=body)
