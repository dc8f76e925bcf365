"""A real gunicorn (two worker processes, several threads each) on a database of its own,
bootstrapped with the ``creditbank`` CLI and driven over HTTP on the loopback
(``tests/system/servers.py``).

What must hold across processes, where no Python lock helps (DESIGN.md invariants 2, 3, 5):
concurrent posts for one learner all succeed and leave one contiguous, hash-linked chain;
sixteen copies of one post land once.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from creditbank.domain.amounts import parse_tenths
from tests.integration.chains import assert_chain_intact, assert_running_totals
from tests.system.servers import Bank, Templates, bank_server, hours_body

pytestmark = pytest.mark.system

WORKERS = 2
THREADS_PER_WORKER = 4
CLIENT_THREADS = 16


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest,
    bank_templates: Templates,
    tmp_path_factory: pytest.TempPathFactory,
):
    """gunicorn on a copy of the session's bootstrapped database (a workstation client from
    the CLI, a published ruleset and a provider client over HTTP)."""
    template = bank_templates(request.param)
    instance: Path = tmp_path_factory.mktemp(f"gunicorn-{request.param}")
    with bank_server(
        request.param,
        instance,
        workers=WORKERS,
        threads=THREADS_PER_WORKER,
        template=template,
    ) as bank:
        yield bank


def read_ledger(server: Bank, learner_id: str) -> list[dict[str, Any]]:
    response = server.call("GET", f"/learners/{learner_id}/ledger?limit=500", server.workstation)
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return response.json()["items"]


def post_all(
    server: Bank, calls: list[tuple[str, dict[str, Any]]]
) -> list[tuple[int, dict[str, Any]]]:
    """POST each ``(path, body)`` as the provider from CLIENT_THREADS threads at once."""
    return server.post_calls(calls, CLIENT_THREADS)


def posts(bodies: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [("/outcomes", body) for body in bodies]


def test_forty_concurrent_posts_for_one_learner_make_one_contiguous_chain(server):
    learner = server.new_learner()
    bodies = [hours_body(learner, f"sys-{index:02d}") for index in range(40)]

    replies = post_all(server, posts(bodies))

    assert [status for status, _ in replies] == [201] * 40, replies
    ledger = read_ledger(server, learner)
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
    ledger = read_ledger(server, learner)
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
    ledger = read_ledger(server, learner)
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
