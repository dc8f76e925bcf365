"""What benchmarks share: throw-away migrated databases, the app on them, an HTTP client with a
real token per role, and latency summaries."""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from config.settings import Settings, normalise_database_url
from creditbank.app import create_app
from creditbank.extensions import db
from creditbank.security.keys import load_keyring


def settings_for(database_url: str, folder: Path) -> Settings:
    """Test-like settings on ``database_url``, with keys generated under ``folder``."""
    keys_dir = folder / "keys"
    load_keyring(keys_dir, create_missing=True)
    return Settings(
        env="test",
        instance_path=folder,
        database_url=normalise_database_url(database_url),
        keys_dir=keys_dir,
        issuer="https://creditbank.bench/",
        audience="creditbank-bench",
        token_ttl_seconds=3600,  # longer than any benchmark runs
        max_body_bytes=5 * 1024 * 1024,
        ratelimit_storage="memory://",
        log_level="WARNING",
    )


@contextmanager
def scratch_databases(server_url: str | None) -> Iterator[list[tuple[str, str]]]:
    """``(backend, url)`` of an empty SQLite file and, when ``server_url`` names a PostgreSQL
    server, of a database created there for this run (dropped on the way out)."""
    with tempfile.TemporaryDirectory(prefix="creditbank-bench-") as folder:
        databases = [("sqlite", f"sqlite:///{Path(folder) / 'bench.sqlite3'}")]
        if not server_url:
            yield databases
            return
        if not server_url.startswith(("postgresql", "postgres:")):
            raise SystemExit(f"--database-url must be a postgresql:// URL, not {server_url!r}")
        with throwaway_postgres(server_url) as url:
            yield [*databases, ("postgresql", url)]


@contextmanager
def throwaway_postgres(server_url: str) -> Iterator[str]:
    """A new database on the server of ``server_url``, dropped (connections and all) after."""
    server = sa.make_url(normalise_database_url(server_url))
    name = f"creditbank_bench_{os.urandom(4).hex()}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@contextmanager
def migrated_app(database_url: str, folder: Path) -> Iterator[Flask]:
    """The app on a database migrated to head, inside an app context."""
    settings = settings_for(database_url, folder)
    app = create_app(settings)
    with app.app_context():
        upgrade()
        db.session.remove()
    app.config["TESTING"] = True
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


class Api:
    """The Flask test client (the whole HTTP stack but the socket) with one-line helpers."""

    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()
        self.workstation = self._staff_headers("workstation")

    def post(self, path: str, headers: dict[str, str], body: Any) -> Any:
        return self.client.post(path, headers=headers, json=body)

    def expect(self, status: int, response: Any) -> dict[str, Any]:
        if response.status_code != status:
            raise RuntimeError(f"expected {status}, got {response.status_code}: {response.text}")
        return response.get_json()

    def token(self, client_id: str, client_secret: str) -> dict[str, str]:
        body = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        answer = self.expect(200, self.post("/api/v1/auth/token", {}, body))
        return {"Authorization": f"Bearer {answer['access_token']}"}

    def publish_ruleset(self, path: Path) -> dict[str, Any]:
        document = path.read_bytes().decode("utf-8")
        response = self.client.post(
            "/api/v1/rulesets",
            headers={**self.workstation, "Content-Type": "application/json"},
            data=document,
        )
        return self.expect(201, response)

    def new_learner(self, name: str = "张三") -> str:
        response = self.post("/api/v1/learners", self.workstation, {"name": name})
        return self.expect(201, response)["learner_id"]

    def new_provider(self, code: str) -> dict[str, str]:
        """Headers of a client of a new provider."""
        provider = self.expect(
            201,
            self.post(
                "/api/v1/providers", self.workstation, {"code": code, "name": f"{code} 培训中心"}
            ),
        )
        path = f"/api/v1/providers/{provider['id']}/clients"
        credentials = self.expect(201, self.post(path, self.workstation, None))
        return self.token(credentials["client_id"], credentials["client_secret"])

    def _staff_headers(self, role: str) -> dict[str, str]:
        # Staff clients are made as the CLI makes them: there is no HTTP route for the first one.
        from creditbank.domain.roles import Role
        from creditbank.services.clients import create_client

        credentials = create_client(Role(role), f"bench {role}")
        return self.token(credentials.client_id, credentials.client_secret)


def summary(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50, p95, mean (and the extremes) of latencies in milliseconds."""
    ordered = sorted(samples_ms)
    return {
        "n": len(ordered),
        "p50": statistics.median(ordered),
        "p95": statistics.quantiles(ordered, n=100, method="inclusive")[94],
        "mean": statistics.fmean(ordered),
        "min": ordered[0],
        "max": ordered[-1],
    }
