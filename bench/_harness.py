"""What benchmarks share: throw-away migrated databases, the app on them, a real gunicorn, an
HTTP client with a real token per role, and latency summaries. The databases, the app and the
server are the tests' own (``tests/support/``)."""

from __future__ import annotations

import contextvars
import json
import os
import statistics
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from unittest.mock import patch

from flask import Flask

from bench import Figure, Options, Result
from config.settings import Settings
from creditbank.extensions import db
from tests.support.banks import app_on, keys_in, make_settings, migrate_to_head
from tests.support.databases import scratch_postgres
from tests.support.gunicorn import Gunicorn, serving
from tests.support.processes import REPO


def settings_for(database_url: str, folder: Path) -> Settings:
    """A test bank's settings (``tests/support/banks.py``) on ``database_url``, with keys
    generated under ``folder``, and tokens that outlive any benchmark."""
    keys = keys_in(folder / "keys")
    return make_settings(database_url, folder, keys, token_ttl_seconds=3600)


def on_each_backend(
    options: Options,
    result: Result,
    measure: Callable[[str, str, Path], dict[str, Any]],
    figures: Callable[[str, dict[str, Any]], list[Figure]],
) -> Result:
    """``measure(backend, url, folder)`` on every database of the run (:func:`each_backend`);
    what it measured goes into ``result.details[backend]``, and its ``figures`` into
    ``result.figures``."""
    with each_backend(options.database_url) as backends:
        for backend, url, folder in backends:
            measured = measure(backend, url, folder)
            result.details[backend] = measured
            result.figures.extend(figures(backend, measured))
    return result


def settle() -> None:
    """On PostgreSQL, vacuum and analyze the accounts and the journal after a bulk load, as a
    bank at rest has been: the measurements that follow neither pay for first visits to the
    new rows (hint bits) nor share the machine with the autovacuum those rows would start in
    the middle of a run (and with stale statistics the planner misjudges a learner's rows)."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql("VACUUM (ANALYZE) accounts, journal_entries")


@contextmanager
def each_backend(server_url: str | None) -> Iterator[list[tuple[str, str, Path]]]:
    """``(backend, url, folder)`` for every database of the run (see :func:`scratch_databases`),
    each with a working folder of its own; everything is removed on the way out."""
    with (
        scratch_databases(server_url) as databases,
        tempfile.TemporaryDirectory(prefix="creditbank-bench-") as folder,
    ):
        yield [(backend, url, Path(folder) / backend) for backend, url in databases]


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
        prefix = os.environ.get("CREDITBANK_BENCH_DATABASE_PREFIX", "creditbank_bench")
        with scratch_postgres(server_url, prefix) as url:
            yield [*databases, ("postgresql", url)]


@contextmanager
def migrated_app(database_url: str, folder: Path) -> Iterator[Flask]:
    """The app on a database migrated to head, inside an app context."""
    settings = settings_for(database_url, folder)
    migrate_to_head(settings)
    with app_on(settings) as app:
        yield app


@contextmanager
def gunicorn(
    database_url: str,
    folder: Path,
    *,
    app: str = "wsgi:app",
    workers: int | None = None,
    threads: int | None = None,
) -> Iterator[Gunicorn]:
    """A real gunicorn (``tests/support/gunicorn.py``) with the project's settings
    (``workers``/``threads`` override them when given) serving ``app`` until the block ends,
    with the keys and token claims of :func:`settings_for`, so that tokens minted in the
    benchmark's process are good on the server."""
    settings = settings_for(database_url, folder)
    given = {"CREDITBANK_WORKERS": workers, "CREDITBANK_THREADS": threads}
    workers, threads = configured({name: str(n) for name, n in given.items() if n is not None})
    with serving(
        folder,
        settings.database_url,
        workers=workers,
        threads=threads,
        app=app,
        ready_path="/readyz" if app == "wsgi:app" else "/healthz",  # the baseline has no readyz
        KEYS_DIR=settings.keys_dir,
        ISSUER=settings.issuer,
        AUDIENCE=settings.audience,
    ) as server:
        yield server


def configured(env: dict[str, str]) -> tuple[int, int]:
    """``(workers, threads)`` that ``config/gunicorn.conf.py`` gives in environment ``env``."""
    namespace: dict[str, Any] = {}
    source = (REPO / "config" / "gunicorn.conf.py").read_text()
    with patch.dict(os.environ, env, clear=True):
        exec(compile(source, "gunicorn.conf.py", "exec"), namespace)  # noqa: S102 (our file)
    return int(namespace["workers"]), int(namespace["threads"])


T = TypeVar("T")


def as_served(read: Callable[[], T]) -> T:
    """``read()`` outside every app context the benchmark holds, so that each request of the
    test client pushes and pops its own, as under a server: it checks out, resets and returns
    its database connection. Inside a held context of the same app, requests reuse it, session
    and connection included, and cost less than served ones, and less than the requests to
    another app of the same process: the scale curve's two banks of one size read 0.50–0.83×
    apart that way, the bank whose context was pushed last the faster."""
    return contextvars.Context().run(read)


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


def add_learners(count: int, name: str = "学员") -> list[str]:
    """``count`` new learner accounts in one transaction (rows, not requests: setup is not
    what is measured)."""
    from bench._bank import fresh_account_numbers
    from creditbank.domain.ids import new_id
    from creditbank.lookup_models import AccountNumberIndex
    from creditbank.models import Account, Identity
    from creditbank.services.transaction import utcnow, write_transaction

    now = utcnow()
    learner_ids = [new_id("L") for _ in range(count)]
    numbers = dict(zip(learner_ids, fresh_account_numbers(), strict=False))
    with write_transaction() as session:
        session.add_all(
            [Account(learner_id=i, account_number=n, opened_at=now) for i, n in numbers.items()]
        )
        session.add_all(  # what a sign-in or a search by number reads (lookup_models.py)
            [AccountNumberIndex(account_number=n, learner_id=i) for i, n in numbers.items()]
        )
        session.flush()
        session.add_all([Identity(learner_id=i, name=name, updated_at=now) for i in learner_ids])
    return learner_ids


def summary(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99, mean (and the extremes) of latencies in milliseconds."""
    ordered = sorted(samples_ms)
    centiles = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "n": len(ordered),
        "p50": statistics.median(ordered),
        "p95": centiles[94],
        "p99": centiles[98],
        "mean": statistics.fmean(ordered),
        "min": ordered[0],
        "max": ordered[-1],
    }


def grow_journal(learner_id: str, entries: int, *, per_transaction: int = 10_000) -> None:
    """Give ``learner_id`` ``entries`` more journal entries — outcome, credit, outcome, … — with
    :func:`creditbank.journal.append` in large transactions: a valid chain with consistent
    running totals and cached balance, built in seconds rather than through the API."""
    from creditbank.domain.amounts import format_tenths
    from creditbank.domain.canonical import canonical_bytes
    from creditbank.domain.ids import new_id
    from creditbank.journal import append, lock_accounts
    from creditbank.services.transaction import utcnow, write_transaction

    done = 0
    while done < entries:
        with write_transaction() as session:
            account = lock_accounts(session, [learner_id])[learner_id]
            totals = json.loads(account.balance_by_category)
            now = utcnow()
            outcome_id: str | None = None
            for _ in range(min(per_transaction, entries - done)):
                if account.head_seq % 2 == 0:
                    outcome_id = new_id("o")
                    append(
                        session,
                        account,
                        "outcome",
                        now,
                        data={"outcome_kind": "informal", "external_ref": outcome_id},
                        outcome_id=outcome_id,
                        category="informal",
                    )
                else:
                    account.balance += 1
                    totals["informal"] = totals.get("informal", 0) + 1
                    running = {name: format_tenths(value) for name, value in totals.items()}
                    append(
                        session,
                        account,
                        "credit",
                        now,
                        data={"running_by_category": running, "rule": None},
                        outcome_id=outcome_id,
                        category="informal",
                        delta=1,
                        running_total=account.balance,
                        reason="reviewed",
                    )
                done += 1
            account.balance_by_category = canonical_bytes(totals).decode()
