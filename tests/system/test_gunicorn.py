"""A real gunicorn (two worker processes, several threads each) on a database of its own,
bootstrapped with the ``creditbank`` CLI and driven over HTTP on the loopback.

What must hold across processes, where no Python lock helps (DESIGN.md invariants 2, 3, 5):
concurrent posts for one learner all succeed and leave one contiguous, hash-linked chain;
sixteen copies of one post land once.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from creditbank.domain.amounts import parse_tenths
from tests.integration.chains import assert_chain_intact, assert_running_totals
from tests.integration.databases import scratch_database
from tests.integration.threads import run_in_threads

pytestmark = pytest.mark.system

REPO = Path(__file__).resolve().parents[2]
WORKERS = 2
THREADS_PER_WORKER = 4
CLIENT_THREADS = 16
TIMEOUT = 30  # seconds, for every request and command
READY_WITHIN = 30


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


def server_environment(instance: Path, database_url: str, port: int) -> dict[str, str]:
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
        CREDITBANK_WORKERS=str(WORKERS),
        CREDITBANK_THREADS=str(THREADS_PER_WORKER),
        CREDITBANK_TIMEOUT=str(TIMEOUT),
        CREDITBANK_LOG_LEVEL="info",
        PYTHONUNBUFFERED="1",
        # gunicorn 27 opens a control socket, by default in ~/.gunicorn/, shared by every
        # server of the user; keep this one's beside its instance.
        GUNICORN_CMD_ARGS=f"--control-socket {instance / 'gunicorn.ctl'}",
    )
    return env


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
    assert result.returncode == 0, f"creditbank {' '.join(args)} failed:\n{result.stderr}"
    return result.stdout


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the master (graceful), SIGKILL to its process group if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: only what we started
            process.wait(timeout=10)


def wait_until_ready(base_url: str, process: subprocess.Popen, log: Path) -> None:
    """Until ``/readyz`` answers 200 and every worker has booted, or fail with the log."""
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        booted = log.read_text().count("Booting worker with pid")
        try:
            ready = requests.get(f"{base_url}/readyz", timeout=2).status_code == 200
        except requests.ConnectionError:
            ready = False
        if ready and booted >= WORKERS:
            return
        time.sleep(0.1)
    pytest.fail(f"gunicorn not ready within {READY_WITHIN} s:\n{log.read_text()[-4000:]}")


@dataclass
class Server:
    base_url: str
    workstation: dict[str, str]
    provider: dict[str, str]

    def call(self, method: str, path: str, headers: dict[str, str], **kwargs: Any):
        return requests.request(
            method, f"{self.base_url}/api/v1{path}", headers=headers, timeout=TIMEOUT, **kwargs
        )

    def token(self, client_id: str, client_secret: str) -> dict[str, str]:
        response = self.call(
            "POST",
            "/auth/token",
            {},
            json={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
            },
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def created(self, path: str, headers: dict[str, str], **kwargs: Any) -> dict[str, Any]:
        response = self.call("POST", path, headers, **kwargs)
        assert response.status_code == 201, response.text
        return response.json()

    def new_learner(self) -> str:
        return self.created("/learners", self.workstation, json={"name": "李四"})["learner_id"]

    def ledger(self, learner_id: str) -> list[dict[str, Any]]:
        response = self.call("GET", f"/learners/{learner_id}/ledger?limit=500", self.workstation)
        assert response.status_code == 200, response.text
        assert response.json()["next_cursor"] is None
        return response.json()["items"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """gunicorn on a migrated database of its own, with a workstation client (from the
    CLI), a published ruleset and a provider client (over HTTP)."""
    gunicorn, creditbank = executable("gunicorn"), executable("creditbank")
    if gunicorn is None or creditbank is None:
        pytest.skip("gunicorn or the creditbank command is not installed next to the interpreter")
    if request.param == "postgresql" and not os.environ.get("CREDITBANK_TEST_DATABASE_URL"):
        pytest.skip("PostgreSQL tier: set CREDITBANK_TEST_DATABASE_URL to run it")
    instance = tmp_path_factory.mktemp(f"gunicorn-{request.param}")
    port = free_port()
    with ExitStack() as cleanup:  # unwinds in reverse: gunicorn stops before its database goes
        database_url = cleanup.enter_context(
            scratch_database(request.param, instance, "creditbank_sys")
        )
        env = server_environment(instance, database_url, port)
        run_cli(creditbank, env, "db", "upgrade")
        created = run_cli(
            creditbank, env, "clients", "create", "--role", "workstation", "--name", "system test"
        )
        workstation = json.loads(created.strip().splitlines()[-1])
        log = instance / "gunicorn.log"
        output = cleanup.enter_context(log.open("wb"))
        process = subprocess.Popen(
            [str(gunicorn), "-c", "config/gunicorn.conf.py", "wsgi:app"],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        cleanup.callback(stop, process)
        base_url = f"http://127.0.0.1:{port}"
        wait_until_ready(base_url, process, log)
        yield bootstrap(base_url, workstation)


def bootstrap(base_url: str, credentials: dict[str, str]) -> Server:
    server = Server(base_url, {}, {})
    server.workstation = server.token(credentials["client_id"], credentials["client_secret"])
    server.created(
        "/rulesets",
        server.workstation,
        json={
            "name": "系统测试规则",
            "effective_from": "2020-01-01T00:00:00+08:00",
            "hours_per_credit": {"theory": "16"},
        },
    )
    provider = server.created(
        "/providers", server.workstation, json={"code": "SYS", "name": "系统测试培训中心"}
    )
    client = server.created(f"/providers/{provider['id']}/clients", server.workstation)
    server.provider = server.token(client["client_id"], client["client_secret"])
    return server


def hours_body(learner_id: str, external_ref: str) -> dict[str, Any]:
    return {
        "learner_id": learner_id,
        "external_ref": external_ref,
        "kind": "training_hours",
        "hours": "10",
        "category": "theory",
        "achieved_on": "2026-01-15",
    }


def post_all(
    server: Server, calls: list[tuple[str, dict[str, Any]]]
) -> list[tuple[int, dict[str, Any]]]:
    """POST each ``(path, body)`` as the provider, from CLIENT_THREADS threads at once, each
    thread with its own connection; replies in the order of ``calls``."""

    def work(index: int) -> list[tuple[int, dict[str, Any]]]:
        with requests.Session() as http:
            replies = []
            for path, body in calls[index::CLIENT_THREADS]:
                response = http.post(
                    f"{server.base_url}/api/v1{path}",
                    headers=server.provider,
                    json=body,
                    timeout=TIMEOUT,
                )
                replies.append((response.status_code, response.json()))
            return replies

    per_thread = run_in_threads(CLIENT_THREADS, work)
    return [
        per_thread[index % CLIENT_THREADS][index // CLIENT_THREADS] for index in range(len(calls))
    ]


def posts(bodies: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [("/outcomes", body) for body in bodies]


def test_forty_concurrent_posts_for_one_learner_make_one_contiguous_chain(server):
    learner = server.new_learner()
    bodies = [hours_body(learner, f"sys-{index:02d}") for index in range(40)]

    replies = post_all(server, posts(bodies))

    assert [status for status, _ in replies] == [201] * 40, replies
    ledger = server.ledger(learner)
    outcomes = [entry for entry in ledger if entry["kind"] == "outcome"]
    assert sorted(entry["external_ref"] for entry in outcomes) == [
        body["external_ref"] for body in bodies
    ]
    assert_chain_intact(ledger)
    total, _ = assert_running_totals(ledger)
    balance = server.call("GET", f"/learners/{learner}/balance", server.workstation).json()
    assert (balance["total"], balance["seq"]) == ("25.0", len(ledger))
    assert total == 250  # 400 h at 16 h per credit, in tenths: no update was lost


def test_sixteen_concurrent_copies_of_one_post_land_once(server):
    learner = server.new_learner()
    body = hours_body(learner, "sys-the-same-ref")

    replies = post_all(server, posts([body] * CLIENT_THREADS))

    assert Counter(status for status, _ in replies) == {201: 1, 200: CLIENT_THREADS - 1}, replies
    assert len({reply["outcome"]["id"] for _, reply in replies}) == 1
    ledger = server.ledger(learner)
    assert [entry["kind"] for entry in ledger].count("outcome") == 1
    assert_chain_intact(ledger)


def step_credits(hours: int) -> int:
    """Tenths earned by ``hours`` of one category at 16 h per credit in steps of 0.5."""
    return hours * 10 // 16 // 5 * 5


def test_posts_and_voids_racing_across_workers_leave_what_a_replay_decides(server):
    """Each worker folds new outcomes into its own remembered engine state; a void written by
    the other worker must still re-convert everything after it."""
    learner = server.new_learner()
    first = post_all(server, posts([hours_body(learner, f"race-{i:02d}") for i in range(16)]))
    doomed = [reply["outcome"]["id"] for _, reply in first[::2]]
    calls = [
        (f"/outcomes/{doomed[index // 2]}/void", {"reason": "重复录入"})
        if index % 2 == 0
        else ("/outcomes", hours_body(learner, f"race-{16 + index:02d}"))
        for index in range(CLIENT_THREADS)
    ]

    raced = post_all(server, calls)

    assert [status for status, _ in first + raced] == [201] * 32, raced
    ledger = server.ledger(learner)
    assert_chain_intact(ledger)
    voided = {entry["outcome_id"] for entry in ledger if entry["kind"] == "void"}
    expected, hours = {}, 0  # replayed by hand: 10 h each, in journal order, voids skipped
    for entry in ledger:
        if entry["kind"] == "outcome" and entry["outcome_id"] not in voided:
            expected[entry["outcome_id"]] = step_credits(hours + 10) - step_credits(hours)
            hours += 10
    listed = server.call("GET", f"/outcomes?learner_id={learner}&limit=500", server.workstation)
    served = {item["id"]: item for item in listed.json()["items"]}
    assert voided == set(doomed)
    assert {outcome_id: served[outcome_id]["status"] for outcome_id in voided} == dict.fromkeys(
        voided, "voided"
    )
    assert {
        outcome_id: parse_tenths(item["credits"])
        for outcome_id, item in served.items()
        if outcome_id not in voided
    } == expected
    total, _ = assert_running_totals(ledger)
    assert total == sum(expected.values()) == step_credits(160)
