"""Banks behind real servers for the system tier: a gunicorn (``tests/support/gunicorn.py``)
on a database of its own (bootstrapped with the ``creditbank`` CLI, or copied from a database
bootstrapped so once per session), driven over HTTP on the loopback. ``clusters.py`` has a
PostgreSQL cluster a test may stop and start, ``journals.py`` the checks of a whole bank read
straight from its database.

Everything here is bounded: every request and command has a timeout, every wait a deadline,
and every process started here is stopped by its context manager.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from config.settings import normalise_database_url
from tests.integration.threads import run_in_threads
from tests.support.databases import scratch_database, scratch_postgres
from tests.support.gunicorn import Gunicorn, server_environment, serving
from tests.support.processes import TIMEOUT, executable, run_cli

DATABASE_PREFIX = "creditbank_h_sys"  # every PostgreSQL database made here starts so


# -- gunicorn ----------------------------------------------------------------------------------
def creditbank_command() -> Path:
    creditbank = executable("creditbank")
    if creditbank is None:
        pytest.skip("the creditbank command is not installed next to the interpreter")
    return creditbank


def bootstrap_database(env: dict[str, str]) -> dict[str, str]:
    """What an operator does first, with the CLI: migrate (which also makes the development
    keys) and create a workstation client; returns its ``{"client_id", "client_secret"}``."""
    creditbank = creditbank_command()
    run_cli(creditbank, env, "db", "upgrade")
    created = run_cli(
        creditbank, env, "clients", "create", "--role", "workstation", "--name", "system test"
    )
    return json.loads(created.strip().splitlines()[-1])


@dataclass(frozen=True)
class Template:
    """A database bootstrapped once with the CLI, with its keys and workstation client; each
    server of the session starts on a copy (a file copy, or ``CREATE DATABASE … TEMPLATE``),
    instead of paying for two CLI start-ups of its own."""

    backend: str
    database_url: str
    keys: Path
    workstation: dict[str, str]


@contextmanager
def bank_template(backend: str, folder: Path) -> Iterator[Template]:
    with scratch_database(backend, folder, f"{DATABASE_PREFIX}_template") as url:
        workstation = bootstrap_database(server_environment(folder, url, port=0))
        yield Template(backend, normalise_database_url(url), folder / "keys", workstation)


@contextmanager
def copy_of(template: Template, instance: Path) -> Iterator[str]:
    """A fresh copy of the template's database (yields its URL); its keys under ``instance``."""
    shutil.copytree(template.keys, instance / "keys")
    url = sa.make_url(template.database_url)
    if template.backend == "sqlite":
        target = instance / "creditbank.sqlite3"
        with (
            closing(sqlite3.connect(url.database)) as source,
            closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)
        yield f"sqlite:///{target}"
        return
    with scratch_postgres(template.database_url, DATABASE_PREFIX, template=url.database) as copy:
        yield copy


@contextmanager
def bank_server(
    backend: str,
    instance: Path,
    *,
    workers: int,
    threads: int,
    database_url: str | None = None,
    template: Template | None = None,
    settings: Mapping[str, str] | None = None,
) -> Iterator[Bank]:
    """A bootstrapped bank (ruleset, provider, tokens) behind gunicorn, on a copy of
    ``template``; else on ``database_url`` (an empty database the caller owns) or a fresh
    database of ``backend``, bootstrapped there with the CLI. ``settings``: more CREDITBANK_*
    of this server alone, by name (``{"FAULT_PAUSE_DIR": …}``)."""
    settings = settings or {}
    with ExitStack() as stack:  # unwinds in reverse: gunicorn stops before its database goes
        if template is not None:
            assert template.backend == backend and database_url is None
            database_url = stack.enter_context(copy_of(template, instance))
            credentials = template.workstation
        else:
            if database_url is None:
                database_url = stack.enter_context(
                    scratch_database(backend, instance, DATABASE_PREFIX)
                )
            credentials = bootstrap_database(server_environment(instance, database_url, port=0))
        server = stack.enter_context(
            serving(
                instance,
                database_url,
                workers=workers,
                threads=threads,
                TIMEOUT=TIMEOUT,
                **settings,
            )
        )
        yield Bank.bootstrap(server, normalise_database_url(database_url), credentials)


class Templates:
    """The session's templates, one per backend, made when first asked for."""

    def __init__(self, stack: ExitStack, folder: Callable[[str], Path]) -> None:
        self._stack = stack
        self._folder = folder
        self._made: dict[str, Template] = {}

    def __call__(self, backend: str) -> Template:
        if backend == "postgresql":
            skip_without_postgres()
        if backend not in self._made:
            self._made[backend] = self._stack.enter_context(
                bank_template(backend, self._folder(f"template-{backend}"))
            )
        return self._made[backend]


def skip_without_postgres() -> None:
    if not os.environ.get("CREDITBANK_TEST_DATABASE_URL"):
        pytest.skip("PostgreSQL tier: set CREDITBANK_TEST_DATABASE_URL to run it")


# -- HTTP --------------------------------------------------------------------------------------
BASE_RULESET: dict[str, Any] = {
    "name": "系统测试规则",
    "effective_from": "2020-01-01T00:00:00+08:00",
    "hours_per_credit": {"theory": "16"},
}


@dataclass
class Bank:
    """A bootstrapped bank over HTTP, and its database for reading behind the API's back."""

    server: Gunicorn
    database_url: str
    workstation: dict[str, str] = field(default_factory=dict)
    provider: dict[str, str] = field(default_factory=dict)
    provider_id: str = ""

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @classmethod
    def bootstrap(cls, server: Gunicorn, database_url: str, credentials: dict[str, str]) -> Bank:
        bank = cls(server, database_url)
        bank.workstation = bank.token(credentials["client_id"], credentials["client_secret"])
        bank.publish_ruleset(BASE_RULESET)
        provider = bank.created(
            "/providers", bank.workstation, json={"code": "SYS", "name": "系统测试培训中心"}
        )
        client = bank.created(f"/providers/{provider['id']}/clients", bank.workstation)
        bank.provider = bank.token(client["client_id"], client["client_secret"])
        bank.provider_id = provider["id"]
        return bank

    def call(self, method: str, path: str, headers: dict[str, str], **kwargs: Any):
        timeout = kwargs.pop("timeout", TIMEOUT)
        url = f"{self.base_url}/api/v1{path}"
        return requests.request(method, url, headers=headers, timeout=timeout, **kwargs)

    def token(self, client_id: str, client_secret: str) -> dict[str, str]:
        body = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        response = self.call("POST", "/auth/token", {}, json=body)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def learner_token(self, learner_id: str, password: str) -> dict[str, str]:
        body = {"grant_type": "password", "username": learner_id, "password": password}
        response = self.call("POST", "/auth/token", {}, json=body)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def created(self, path: str, headers: dict[str, str], **kwargs: Any) -> dict[str, Any]:
        response = self.call("POST", path, headers, **kwargs)
        assert response.status_code == 201, response.text
        return response.json()

    def publish_ruleset(self, document: dict[str, Any]) -> dict[str, Any]:
        return self.created("/rulesets", self.workstation, json=document)

    def new_learner(self, **fields: Any) -> str:
        body = {"name": "李四", **fields}
        return self.created("/learners", self.workstation, json=body)["learner_id"]

    def open_learners(self, count: int) -> list[str]:
        """``count`` accounts, opened in this process with the service behind
        ``POST /learners`` (``open_learner``) on the server's database: a load test of posting
        should not spend as long opening accounts over HTTP as it does posting."""
        from config.settings import Settings
        from creditbank.app import create_app
        from creditbank.extensions import db
        from creditbank.services.learners import open_learner

        app = create_app(Settings.from_env(self.server.env))
        with app.app_context():
            try:
                return [open_learner("王五", None, None).learner_id for _ in range(count)]
            finally:
                db.session.remove()
                db.engine.dispose()

    def post_all(
        self, bodies: list[dict[str, Any]], clients: int, path: str = "/outcomes"
    ) -> list[tuple[int, dict[str, Any]]]:
        """POST each body to ``path``: :meth:`post_calls` with one path."""
        return self.post_calls([(path, body) for body in bodies], clients)

    def post_calls(
        self, calls: list[tuple[str, dict[str, Any]]], clients: int
    ) -> list[tuple[int, dict[str, Any]]]:
        """POST each ``(path, body)`` as the provider from ``clients`` threads released
        together, each with its own connection; ``(status, json)`` in the order of ``calls``."""

        def work(index: int) -> list[tuple[int, dict[str, Any]]]:
            with requests.Session() as http:
                replies = []
                for path, body in calls[index::clients]:
                    response = http.post(
                        f"{self.base_url}/api/v1{path}",
                        headers=self.provider,
                        json=body,
                        timeout=TIMEOUT,
                    )
                    replies.append((response.status_code, response.json()))
                return replies

        per_thread = run_in_threads(clients, work)
        return [per_thread[i % clients][i // clients] for i in range(len(calls))]


def hours_body(learner_id: str, external_ref: str, hours: str = "10") -> dict[str, Any]:
    return {
        "learner_id": learner_id,
        "external_ref": external_ref,
        "kind": "training_hours",
        "hours": hours,
        "category": "theory",
        "achieved_on": "2026-01-15",
    }
