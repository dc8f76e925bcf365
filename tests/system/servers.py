"""Real servers for the system tier: a gunicorn on a database of its own (bootstrapped with the
``creditbank`` CLI, or copied from a database bootstrapped so once per session), driven over
HTTP on the loopback. ``clusters.py`` has a PostgreSQL cluster a test may stop and start,
``journals.py`` the checks of a whole bank read straight from its database.

Everything here is bounded: every request and command has a timeout, every wait a deadline,
and every process started here is stopped by its context manager.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from config.settings import normalise_database_url
from tests.integration.databases import scratch_database, scratch_postgres
from tests.integration.threads import run_in_threads

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 30  # seconds, for every request and command
READY_WITHIN = 30
DATABASE_PREFIX = "creditbank_h_sys"  # every PostgreSQL database made here starts so


# -- processes ---------------------------------------------------------------------------------
def executable(name: str) -> Path | None:
    """``name`` from the interpreter's own environment (the venv), else from PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return beside
    found = shutil.which(name)
    return Path(found) if found else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children_of(pid: int) -> list[int]:
    """The live child processes of ``pid``, from /proc (no psutil needed)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return sorted(found)


def wait_for(condition: Callable[[], Any], within: float, what: str, step: float = 0.05) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    pytest.fail(f"not within {within} s: {what}")


def run_cli(command: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(command), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 2,
        check=False,
    )
    # An audit's findings are on stdout: the failure shows both streams.
    failed = f"{command.name} {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr}"
    assert result.returncode == 0, failed
    return result.stdout


# -- gunicorn ----------------------------------------------------------------------------------
@dataclass
class Gunicorn:
    """One running gunicorn master and what a test needs to reach and hurt it."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path
    workers: int
    env: dict[str, str]

    def cli(self, *args: str) -> str:
        """Run ``creditbank ARGS`` against this server's database and keys."""
        creditbank = executable("creditbank")
        assert creditbank is not None
        return run_cli(creditbank, self.env, *args)

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_ready(self, exclude: Collection[int] = ()) -> list[int]:
        """Until ``/readyz`` answers 200 and all workers run (none of ``exclude``); their pids."""

        def ready() -> list[int] | None:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            pids = [pid for pid in self.worker_pids() if pid not in exclude]
            if len(pids) < self.workers:
                return None
            try:
                answer = requests.get(f"{self.base_url}/readyz", timeout=2)
            except requests.RequestException:
                return None
            return pids if answer.status_code == 200 else None

        return wait_for(ready, READY_WITHIN, f"gunicorn ready\n{self.log_tail()}", step=0.1)


def server_environment(
    instance: Path, database_url: str, port: int, workers: int, threads: int
) -> dict[str, str]:
    """The caller's environment without its CREDITBANK_* settings, plus this server's."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CREDITBANK_", "GUNICORN_"))
    }
    env.update(
        CREDITBANK_ENV="development",
        CREDITBANK_INSTANCE_PATH=str(instance),
        CREDITBANK_DATABASE_URL=database_url,
        CREDITBANK_BIND=f"127.0.0.1:{port}",
        CREDITBANK_WORKERS=str(workers),
        CREDITBANK_THREADS=str(threads),
        CREDITBANK_TIMEOUT=str(TIMEOUT),
        CREDITBANK_LOG_LEVEL="info",
        PYTHONUNBUFFERED="1",
        # gunicorn 27 opens a control socket, by default in ~/.gunicorn/, shared by every
        # server of the user; keep this one's beside its instance.
        GUNICORN_CMD_ARGS=f"--control-socket {instance / 'gunicorn.ctl'}",
    )
    return env


def stop_gunicorn(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the master (graceful), SIGKILL to its process group if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: only what we started
            process.wait(timeout=10)


def tools() -> tuple[Path, Path]:
    gunicorn, creditbank = executable("gunicorn"), executable("creditbank")
    if gunicorn is None or creditbank is None:
        pytest.skip("gunicorn or the creditbank command is not installed next to the interpreter")
    return gunicorn, creditbank


def bootstrap_database(env: dict[str, str]) -> dict[str, str]:
    """What an operator does first, with the CLI: migrate (which also makes the development
    keys) and create a workstation client; returns its ``{"client_id", "client_secret"}``."""
    _, creditbank = tools()
    run_cli(creditbank, env, "db", "upgrade")
    created = run_cli(
        creditbank, env, "clients", "create", "--role", "workstation", "--name", "system test"
    )
    return json.loads(created.strip().splitlines()[-1])


@contextmanager
def gunicorn_on(
    database_url: str, instance: Path, *, workers: int, threads: int
) -> Iterator[Gunicorn]:
    """gunicorn on a migrated ``database_url``, with the keys under ``instance``."""
    gunicorn, _ = tools()
    port = free_port()
    env = server_environment(instance, database_url, port, workers, threads)
    log = instance / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(gunicorn), "-c", "config/gunicorn.conf.py", "wsgi:app"],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        server = Gunicorn(process, f"http://127.0.0.1:{port}", log, workers, env)
        server.wait_ready()
        yield server
    finally:
        stop_gunicorn(process)


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
        workstation = bootstrap_database(server_environment(folder, url, 0, 1, 1))
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
) -> Iterator[Bank]:
    """A bootstrapped bank (ruleset, provider, tokens) behind gunicorn, on a copy of
    ``template``; else on ``database_url`` (an empty database the caller owns) or a fresh
    database of ``backend``, bootstrapped there with the CLI."""
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
            credentials = bootstrap_database(server_environment(instance, database_url, 0, 1, 1))
        server = stack.enter_context(
            gunicorn_on(database_url, instance, workers=workers, threads=threads)
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
