"""A database that answers but makes a request wait — a lock held by another session, a
stalled statement, a writer of ours that is stuck — is a 503 ``service_unavailable`` with
Retry-After within the configured wait, never a request held until gunicorn kills its worker,
and the request leaves nothing behind (API.md § Conventions)."""

from __future__ import annotations

import dataclasses
import fcntl
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from creditbank.app import create_app
from creditbank.extensions import db
from tests.api.helpers import assert_problem

WAIT_MS = 600  # every wait the settings bound, small so that the tests are quick
SLACK_SECONDS = 3.0  # what a request may take on top of its wait on a busy CI machine


@pytest.fixture
def settings(settings):
    return dataclasses.replace(
        settings,
        db_statement_timeout_ms=10 * WAIT_MS,
        db_lock_timeout_ms=WAIT_MS,
        sqlite_busy_timeout_ms=WAIT_MS,
    )


@contextmanager
def held(database_url: str, *statements: str) -> Iterator[None]:
    """Another session of the database runs ``statements`` and holds what they took (once the
    app's own session has ended its transaction, so that taking them never waits on it)."""
    db.session.remove()
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(sa.make_url(database_url).database, isolation_level=None)
        try:
            for statement in statements:
                connection.execute(statement)
            yield
        finally:
            connection.rollback()
            connection.close()
        return
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")  # never hang the test
            for statement in statements:
                connection.exec_driver_sql(statement)
            yield
            transaction.rollback()
    finally:
        engine.dispose()


def timed(call, *args, **kwargs):
    started = time.monotonic()
    response = call(*args, **kwargs)
    return response, time.monotonic() - started


def assert_busy(response, elapsed: float, wait_ms: int = WAIT_MS) -> None:
    assert_problem(response, 503, "service_unavailable")
    assert response.headers.get("Retry-After", "").isdigit(), response.headers
    assert wait_ms / 1000 * 0.8 <= elapsed < wait_ms / 1000 + SLACK_SECONDS, elapsed


def hours(learner_id: str, external_ref: str) -> dict[str, str]:
    return {
        "learner_id": learner_id,
        "external_ref": external_ref,
        "kind": "training_hours",
        "hours": "16",
        "category": "theory",
        "achieved_on": "2026-01-15",
    }


def journal_rows() -> int:
    with db.engine.connect() as connection:
        return connection.exec_driver_sql("SELECT count(*) FROM journal_entries").scalar_one()


@pytest.fixture
def ready(api):
    """A ruleset, a provider, two learners and the workstation's token, made before any lock."""
    api.publish_ruleset()
    _, provider = api.new_provider()
    learners = sorted([api.new_learner(), api.new_learner()])
    api.workstation  # noqa: B018 (its token, now)
    return provider, learners


def test_a_post_behind_a_held_write_lock_is_503_in_time_and_writes_nothing(api, ready):
    provider, learners = ready
    batch = {"items": [hours(learner, f"stall-{learner}") for learner in learners]}
    hold = {
        # Another session has the write lock (a sqlite3 shell, a backup tool, another program).
        "sqlite": ["BEGIN IMMEDIATE"],
        # Another session has one of the learners' accounts locked, the second in lock order.
        "postgresql": [f"SELECT 1 FROM accounts WHERE learner_id = '{learners[1]}' FOR UPDATE"],
    }

    with held(db.engine.url.render_as_string(False), *hold[db.engine.dialect.name]):
        response, elapsed = timed(api.post, "/api/v1/outcomes", provider, json=batch)

    assert_busy(response, elapsed)
    assert journal_rows() == 0
    again = api.post("/api/v1/outcomes", provider, json=batch)
    assert again.status_code == 201, again.get_json()  # a first post, not a replay


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_read_behind_a_table_lock_is_503_in_time(api, ready):
    _, learners = ready
    hold = "LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE"

    with held(db.engine.url.render_as_string(False), hold):
        response, elapsed = timed(api.get, f"/api/v1/learners/{learners[0]}", api.workstation)

    assert_busy(response, elapsed)
    db.session.remove()  # what the end of a request does (the test's app context outlives it)
    assert api.get(f"/api/v1/learners/{learners[0]}", api.workstation).status_code == 200


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_post_stopped_half_way_by_a_lock_leaves_nothing_half_written(api, ready):
    """The lock is on the journal, which a post writes last (at commit): its outcome rows and
    idempotency key are written in the transaction before it waits, and all of it goes."""
    provider, learners = ready
    hold = "LOCK TABLE journal_entries IN SHARE MODE"  # reads pass, inserts wait

    with held(db.engine.url.render_as_string(False), hold):
        response, elapsed = timed(api.post_outcome, provider, learners[0], external_ref="half")

    assert_busy(response, elapsed)
    with db.engine.connect() as connection:
        counts = [
            connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
            for table in ("journal_entries", "outcomes", "idempotency_keys")
        ]
        heads = connection.exec_driver_sql("SELECT sum(head_seq) FROM accounts").scalar_one()
    assert (counts, heads) == ([0, 0, 0], 0)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_statement_that_runs_past_the_statement_timeout_is_503(api, ready, settings):
    """A lock wait longer than the statement may run: the statement timeout ends it."""
    provider, learners = ready
    slow = create_app(
        dataclasses.replace(
            settings, db_statement_timeout_ms=WAIT_MS, db_lock_timeout_ms=20 * WAIT_MS
        )
    )
    hold = "LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE"
    db.session.remove()  # the first app's reads of the accounts are over
    try:
        with slow.app_context():
            client = slow.test_client()
            with held(db.engine.url.render_as_string(False), hold):
                started = time.monotonic()
                response = client.post(
                    "/api/v1/outcomes", headers=provider, json=hours(learners[0], "slow")
                )
                elapsed = time.monotonic() - started
            assert_busy(response, elapsed)
    finally:
        with slow.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_post_behind_a_stuck_writer_of_ours_is_503_in_time(api, ready):
    """A writer of this service that has its turn and does not finish (another process,
    stopped or hung mid-transaction): the next one gives up waiting for the turn."""
    provider, learners = ready
    path = db.engine.url.database

    with open(f"{path}-writer.lock", "ab") as turn:
        fcntl.flock(turn, fcntl.LOCK_EX)
        response, elapsed = timed(api.post_outcome, provider, learners[0], external_ref="stuck")
        fcntl.flock(turn, fcntl.LOCK_UN)

    assert_busy(response, elapsed)
    assert journal_rows() == 0
    again = api.post_outcome(provider, learners[0], external_ref="stuck")
    assert again.status_code == 201, again.get_json()
