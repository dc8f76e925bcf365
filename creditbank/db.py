"""Database plumbing shared by every model: the instant type and SQLite's transaction mode."""

from __future__ import annotations

import fcntl
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, Any, cast

import psycopg
from sqlalchemy import DateTime, String, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator

from creditbank.domain.errors import DatabaseBusy

WRITE_OPTION = "creditbank_write"
# Values per ``IN (...)`` list, so that a batch of any size stays within every database's
# limit on bound parameters (SQLite: 32,766 per statement).
IN_LIST_SIZE = 500
ID = String(40)  # every table's ids: a prefix and a ULID
HASH = String(64)  # SHA-256, hex


def in_slices(values: Sequence[Any], size: int = IN_LIST_SIZE) -> Iterator[Sequence[Any]]:
    """``values`` in consecutive slices of at most ``size``, one ``IN (...)`` list each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


@contextmanager
def one_round_trip(connection: Connection) -> Iterator[None]:
    """On PostgreSQL, the statements of the block are sent together and answered together
    (psycopg's pipeline mode): one round trip instead of one each. For statements whose
    results nobody reads (inserts, updates); an error surfaces when the block ends, as the
    SQLAlchemy error it would have been (:func:`driver_errors`). Elsewhere the block simply
    runs."""
    if connection.dialect.name != "postgresql":
        yield
        return
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    with driver_errors(connection), driver.pipeline():
        yield


@contextmanager
def driver_errors(connection: Connection, statement: str | None = None) -> Iterator[None]:
    """psycopg's errors, raised by psycopg itself outside SQLAlchemy's handling (a pipeline's
    end, COPY), raised as SQLAlchemy raises them for a statement it runs: a unique violation
    is an ``IntegrityError`` to the idempotency retry, and a lost server an
    ``OperationalError`` to the 503 mapping. A lost server also invalidates this connection,
    as SQLAlchemy does for a statement of its own, so that the session's rollback skips the
    dead socket instead of failing again at request teardown (which gunicorn would answer with
    a bare 500). The pool's other connections are not renewed with it: each that the restart
    left dead is found so by its own next request, one 503 each."""
    driver = connection.connection.driver_connection
    try:
        yield
    except psycopg.Error as error:
        # psycopg's error class is the dialect's DBAPI error; SQLAlchemy's stubs name a protocol.
        lost = connection.dialect.is_disconnect(cast(Any, error), driver, None)
        if lost and not connection.invalidated:
            connection.invalidate(error)
        raise DBAPIError.instance(
            statement,
            None,
            error,
            psycopg.Error,
            dialect=connection.dialect,
            connection_invalidated=lost,
        ) from error


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC instant on both databases.

    PostgreSQL keeps ``timestamptz``; SQLite keeps text without a zone, which this type gives
    back as UTC, so the bytes hashed at append time are rebuilt exactly at audit time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give an aware UTC instant")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, foreign keys, a busy timeout, and ``BEGIN IMMEDIATE`` for write transactions.

    A deferred transaction that reads and then writes must upgrade its lock, and under
    concurrency that upgrade fails with "database is locked" whatever the busy timeout is.
    Write transactions therefore take the write lock up front; read transactions stay deferred
    so readers never queue behind writers (WAL lets them read a snapshot). A write that waited
    for its turn (:func:`sqlite_writer_turn`) waits for the lock only for what is left of the
    busy timeout, so that the two waits together stay within it.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's "begin" event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if not connection.get_execution_options().get(WRITE_OPTION, False):
            connection.exec_driver_sql("BEGIN")
            return
        deadline = getattr(_WRITER, "deadline", None)
        if deadline is None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        left = max(0, int((deadline - time.monotonic()) * 1000))
        connection.exec_driver_sql(f"PRAGMA busy_timeout={left}")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        finally:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")


_WRITER = threading.local()
# A writer waiting for its turn tries again after this pause, doubled up to the cap: a turn
# comes free within about a millisecond of a commit, unlike SQLite's own retries (sleeps of up
# to 100 ms), and a flock cannot wait with a deadline (no signal interrupts one in a thread
# other than the main one).
_FIRST_PAUSE = 0.0002
_MAX_PAUSE = 0.002


@contextmanager
def sqlite_writer_turn(path: str | None, wait_ms: int) -> Iterator[None]:
    """Wait for this process's and every other process's writers to finish, then write.

    SQLite lets one writer in at a time, and a writer that finds the database locked sleeps
    and retries (up to 100 ms a sleep) however soon the lock is free: under concurrent posts
    that sleeping, not the writing, is what a request waits for. An exclusive ``flock`` on a
    file beside the database queues the writers instead, tried again every millisecond or two,
    so ``BEGIN IMMEDIATE`` finds the database free. ``path`` is the database file's; re-entrant
    per thread; an in-memory database has no file and needs no turn. A writer whose turn has
    not come within ``wait_ms`` (a writer ahead of it is stuck) gives up with
    :class:`~creditbank.domain.errors.DatabaseBusy`, and one that waited leaves ``BEGIN
    IMMEDIATE`` only what is left of that time (:func:`configure_sqlite`).
    """
    if not path or path == ":memory:" or getattr(_WRITER, "held", False):
        yield
        return
    with open(f"{path}-writer.lock", "ab") as turn:
        deadline = time.monotonic() + wait_ms / 1000
        if not _take_turn(turn, deadline):
            raise DatabaseBusy("A write ahead of this one has held the database too long")
        _WRITER.held = True
        try:
            yield
        finally:
            _WRITER.held = False
            _WRITER.deadline = None
            fcntl.flock(turn, fcntl.LOCK_UN)


def _take_turn(turn: IO[bytes], deadline: float) -> bool:
    """Lock ``turn`` before ``deadline``; a writer that had to wait notes the deadline."""
    pause = _FIRST_PAUSE
    while True:
        try:
            fcntl.flock(turn, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            _WRITER.deadline = deadline
            left = deadline - time.monotonic()
            if left <= 0:
                _WRITER.deadline = None
                return False
            time.sleep(min(pause, left))
            pause = min(pause * 2, _MAX_PAUSE)
