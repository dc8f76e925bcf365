"""Faults under a real gunicorn (issue 5 § Faults): a worker killed with SIGKILL in the middle
of a 1,000-item batch, the database stopped and started while clients post, and a backup
taken while a client posts, restored into a fresh database.

The worker is killed where the test has paused it (``CREDITBANK_FAULT_PAUSE_DIR``), inside the
batch's transaction: never by racing the clock, which a fast machine's commit wins.

Each test asserts on the journal as stored (``journals.read_journal``: chains contiguous and
linked, hashes recomputed, balances equal to the sums of deltas), not only on the replies.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.support.databases import scratch_postgres
from tests.support.processes import TIMEOUT, wait_for
from tests.system.clusters import postgres_cluster, postgres_tool
from tests.system.journals import Journal, audit, read_journal
from tests.system.servers import DATABASE_PREFIX, Bank, Templates, bank_server, hours_body

pytestmark = pytest.mark.system

BATCH = 1000


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def lone_worker(request: pytest.FixtureRequest, tmp_path_factory, bank_templates: Templates):
    """One worker process, so the pid that serves a request is known; four threads."""
    template = bank_templates(request.param)
    instance: Path = tmp_path_factory.mktemp(f"faults-{request.param}")
    with bank_server(request.param, instance, workers=1, threads=4, template=template) as bank:
        yield bank


# -- a worker killed mid-batch -----------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def pausable_worker(request: pytest.FixtureRequest, tmp_path: Path, bank_templates: Templates):
    """One worker, on a server of this test's own, that stops inside a posting transaction
    when the test arms it: ``CREDITBANK_FAULT_PAUSE_DIR`` (creditbank/services/faults.py)
    names the folder where the test puts ``armed`` and the worker leaves ``paused-<pid>``."""
    template = bank_templates(request.param)
    pauses = tmp_path / "pauses"
    pauses.mkdir()
    settings = {"FAULT_PAUSE_DIR": str(pauses)}
    with bank_server(
        request.param, tmp_path, workers=1, threads=4, template=template, settings=settings
    ) as bank:
        yield bank, pauses


def writing_elsewhere(database_url: str) -> bool:
    """Is another connection inside a transaction that writes, right now?

    PostgreSQL shows it in its locks: an ``INSERT`` holds ``RowExclusiveLock`` on its table
    until the transaction ends. SQLite shows it as its write lock: ``BEGIN IMMEDIATE`` fails
    while another connection's write transaction is open.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        probe = sqlite3.connect(url.database, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc), exc
            return True
        finally:
            probe.close()
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            holders = connection.exec_driver_sql(
                "SELECT count(*) FROM pg_locks JOIN pg_class ON pg_class.oid = pg_locks.relation "
                "WHERE relname = 'journal_entries' AND mode = 'RowExclusiveLock' AND granted "
                "AND pid <> pg_backend_pid()"
            ).scalar()
    finally:
        engine.dispose()
    return bool(holders)


def post_in_background(bank: Bank, body: dict[str, Any]) -> tuple[threading.Thread, dict]:
    """POST ``body`` from a thread; the dict gets ``response`` or ``error``."""
    result: dict[str, Any] = {}

    def send() -> None:
        try:
            result["response"] = bank.call("POST", "/outcomes", bank.provider, json=body)
        except requests.RequestException as exc:
            result["error"] = exc

    thread = threading.Thread(target=send, name="doomed-batch", daemon=True)
    thread.start()
    return thread, result


def test_a_worker_killed_mid_batch_leaves_none_of_it_and_a_resend_posts_it_once(pausable_worker):
    bank, pauses = pausable_worker
    learner = bank.new_learner()
    assert bank.post_all([hours_body(learner, "before-the-kill")], clients=1)[0][0] == 201
    batch = {"items": [hours_body(learner, f"batch-{i:04d}", hours="1") for i in range(BATCH)]}
    [worker] = bank.server.worker_pids()

    (pauses / "armed").touch()
    thread, result = post_in_background(bank, batch)
    paused = wait_for(lambda: list(pauses.glob("paused-*")), TIMEOUT, "the worker paused")
    assert paused == [pauses / f"paused-{worker}"]
    assert writing_elsewhere(bank.database_url), "paused outside a write transaction"
    os.kill(worker, signal.SIGKILL)
    thread.join(TIMEOUT)

    assert not thread.is_alive()
    assert "error" in result, f"the batch finished before the kill: {result}"
    replacement = bank.server.wait_ready(exclude={worker})
    assert worker not in replacement
    journal = read_journal(bank.database_url)
    assert [entry["external_ref"] for entry in journal.outcomes_of(learner)] == ["before-the-kill"]
    assert journal.balances[learner] == 5

    resent = bank.call("POST", "/outcomes", bank.provider, json=batch)
    again = bank.call("POST", "/outcomes", bank.provider, json=batch)

    assert resent.status_code == 201, resent.text
    assert not any(item.get("replayed") for item in resent.json()["items"])
    assert again.status_code == 200, again.text
    assert all(item["replayed"] for item in again.json()["items"])
    journal = read_journal(bank.database_url)
    refs = Counter(entry["external_ref"] for entry in journal.outcomes_of(learner))
    assert refs == Counter(["before-the-kill", *(f"batch-{i:04d}" for i in range(BATCH))])
    assert journal.balances[learner] == 630  # 1,010 h at 16 h per credit, steps of 0.5: 63.0


# -- the database stopped and started while clients post ---------------------------------------
POSTERS = 6
MAX_POSTS_PER_CLIENT = 400  # bounds the load whatever happens to the timing


class Posters:
    """Clients that post one outcome after another, each for its own learner, until told to
    stop (or their count runs out), recording every reply."""

    def __init__(self, bank: Bank, learners: list[str], prefix: str) -> None:
        self.bank = bank
        self.prefix = prefix
        self.learners = learners
        self.stop = threading.Event()
        self.replies: list[tuple[float, dict[str, Any], requests.Response]] = []
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._post, args=(index,), daemon=True, name=f"poster-{index}")
            for index in range(len(learners))
        ]

    def __enter__(self) -> Posters:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(TIMEOUT * 2)
        assert not any(thread.is_alive() for thread in self._threads), "a poster hangs"

    def _post(self, index: int) -> None:
        with requests.Session() as http:
            for count in range(MAX_POSTS_PER_CLIENT):
                if self.stop.is_set():
                    return
                body = hours_body(self.learners[index], f"{self.prefix}-{index}-{count:04d}")
                try:
                    response = http.post(
                        f"{self.bank.base_url}/api/v1/outcomes",
                        headers=self.bank.provider,
                        json=body,
                        timeout=TIMEOUT,
                    )
                except requests.RequestException as exc:
                    self.errors.append(exc)
                    return
                with self._lock:
                    self.replies.append((time.monotonic(), body, response))
                if response.status_code != 201:
                    time.sleep(0.05)  # a client backing off a little while the bank is down

    def statuses_since(self, instant: float) -> Counter[int]:
        with self._lock:
            return Counter(r.status_code for at, _, r in self.replies if at >= instant)


def assert_clean_503(response: requests.Response) -> None:
    """problem+json ``service_unavailable`` with Retry-After, and nothing of the internals."""
    assert response.status_code == 503, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert int(response.headers["Retry-After"]) > 0
    problem = response.json()
    assert (problem["type"], problem["status"]) == ("service_unavailable", 503)
    for leak in ("Traceback", "psycopg", "sqlalchemy", "SELECT", "INSERT", "127.0.0.1", 'File "'):
        assert leak.lower() not in response.text.lower(), response.text


def test_a_database_restart_fails_requests_cleanly_and_the_bank_recovers_by_itself(
    tmp_path_factory: pytest.TempPathFactory,
):
    with postgres_cluster() as cluster:
        url = cluster.create_database(f"{DATABASE_PREFIX}_restart")
        instance = tmp_path_factory.mktemp("restart")
        with bank_server("postgresql", instance, workers=2, threads=4, database_url=url) as bank:
            learners = [bank.new_learner() for _ in range(POSTERS)]
            with Posters(bank, learners, "restart") as posters:
                wait_for(lambda: posters.statuses_since(0)[201] >= 20, TIMEOUT, "posts before")
                cluster.stop()
                down = time.monotonic()
                wait_for(lambda: posters.statuses_since(down)[503] >= 10, TIMEOUT, "503s")
                readyz = requests.get(f"{bank.base_url}/readyz", timeout=TIMEOUT)
                healthz = requests.get(f"{bank.base_url}/healthz", timeout=TIMEOUT)
                cluster.start()
                up = time.monotonic()
                wait_for(lambda: posters.statuses_since(up)[201] >= 20, TIMEOUT, "recovery")
            assert not posters.errors, posters.errors
            assert (readyz.status_code, readyz.headers.get("Retry-After")) == (503, "5")
            assert readyz.json()["status"] == "unavailable"
            assert healthz.status_code == 200  # the process is up; only readiness fails
            assert requests.get(f"{bank.base_url}/readyz", timeout=TIMEOUT).status_code == 200
            statuses = Counter(r.status_code for _, _, r in posters.replies)
            odd = [r.text[:300] for _, _, r in posters.replies if r.status_code not in (201, 503)]
            assert set(statuses) == {201, 503}, (statuses, odd[:3], bank.server.log_tail())
            for _, _, response in posters.replies:
                if response.status_code == 503:
                    assert_clean_503(response)
            created = {body["external_ref"] for _, body, r in posters.replies if r.ok}
            failed = [body for _, body, r in posters.replies if r.status_code == 503]
            # A 503 may have come after the commit (the reply was lost, not the post): the
            # client retries with the same key and gets 200 or 201, never a second entry.
            retried = bank.post_all(failed, clients=4)
            assert {status for status, _ in retried} <= {200, 201}, retried
            journal = read_journal(url)
            refs = Counter(ref for (_, ref), n in journal.outcome_refs.items() for _ in range(n))
            assert set(refs) == created | {body["external_ref"] for body in failed}
            assert set(refs.values()) == {1}
            audit(bank.server, url)  # and a replay reproduces every credit


# -- backups taken while posting -------------------------------------------------------------
def post_while(bank: Bank, prefix: str, backup: Callable[[], None]) -> tuple[set[str], set[str]]:
    """Post from a thread, take ``backup`` in the middle; returns the refs that were posted
    (201) before the backup started, and all refs posted."""
    learners = [bank.new_learner() for _ in range(3)]
    with Posters(bank, learners, prefix) as posters:
        wait_for(lambda: posters.statuses_since(0)[201] >= 30, TIMEOUT, "posts before the backup")
        started = time.monotonic()
        backup()
        wait_for(lambda: posters.statuses_since(started)[201] >= 30, TIMEOUT, "posts after")
    assert not posters.errors, posters.errors
    assert {r.status_code for _, _, r in posters.replies} == {201}
    before = {body["external_ref"] for at, body, _ in posters.replies if at < started}
    return before, {body["external_ref"] for _, body, _ in posters.replies}


def assert_restored_bank_consistent(
    bank: Bank, restored_url: str, prefix: str, before: set[str], posted: set[str]
) -> Journal:
    restored = read_journal(restored_url)  # chains, hashes, heads and balances all check
    live = read_journal(bank.database_url)
    refs = {ref for (_, ref) in restored.outcome_refs if ref.startswith(prefix)}
    assert before <= refs <= posted
    # A consistent snapshot: each restored chain is a prefix of the live one.
    for learner_id, entries in restored.entries.items():
        assert entries == live.entries[learner_id][: len(entries)], learner_id
    report = audit(bank.server, restored_url)
    # The audit checks every account, including one opened but not yet posted to.
    assert report["learners_checked"] == len(restored.balances), report
    return restored


def test_a_backup_taken_while_posting_restores_into_a_consistent_bank(lone_worker, tmp_path: Path):
    bank = lone_worker
    url = make_url(bank.database_url)
    if url.get_backend_name() == "sqlite":
        copy = tmp_path / "backup.sqlite3"

        def backup() -> None:
            # The online backup API copies a consistent snapshot while writers go on.
            source = sqlite3.connect(url.database, timeout=TIMEOUT)
            target = sqlite3.connect(copy)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()

        before, posted = post_while(bank, "sqlite-backup", backup)
        assert_restored_bank_consistent(bank, f"sqlite:///{copy}", "sqlite-backup", before, posted)
        return

    pg_dump, pg_restore = postgres_tool("pg_dump"), postgres_tool("pg_restore")
    if pg_dump is None or pg_restore is None:
        pytest.skip("pg_dump/pg_restore not installed")
    dump = tmp_path / "bank.dump"
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)

    def backup() -> None:
        subprocess.run(
            [str(pg_dump), "--format=custom", "--no-owner", f"--file={dump}", libpq],
            check=True,
            capture_output=True,
            timeout=TIMEOUT * 2,
        )

    before, posted = post_while(bank, "pg-dump", backup)
    with scratch_postgres(bank.database_url, f"{DATABASE_PREFIX}_restore") as restored_url:
        target = make_url(restored_url).set(drivername="postgresql")
        subprocess.run(
            [
                str(pg_restore),
                "--no-owner",
                "--exit-on-error",
                "--dbname",
                target.render_as_string(hide_password=False),
                str(dump),
            ],
            check=True,
            capture_output=True,
            timeout=TIMEOUT * 2,
        )
        assert_restored_bank_consistent(bank, restored_url, "pg-dump", before, posted)
