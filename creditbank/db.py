"""Database plumbing shared by every model: the instant type and SQLite's transaction mode."""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import TypeDecorator

WRITE_OPTION = "creditbank_write"
# Values per ``IN (...)`` list, so that a batch of any size stays within every database's
# limit on bound parameters (SQLite: 32,766 per statement).
IN_LIST_SIZE = 500


def in_slices(values: Sequence[Any], size: int = IN_LIST_SIZE) -> Iterator[Sequence[Any]]:
    """``values`` in consecutive slices of at most ``size``, one ``IN (...)`` list each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


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


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and ``BEGIN IMMEDIATE`` for write transactions.

    A deferred transaction that reads and then writes must upgrade its lock, and under
    concurrency that upgrade fails with "database is locked" whatever the busy timeout is.
    Write transactions therefore take the write lock up front; read transactions stay deferred
    so readers never queue behind writers (WAL lets them read a snapshot).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's "begin" event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_WRITER = threading.local()


@contextmanager
def sqlite_writer_turn(path: str | None) -> Iterator[None]:
    """Wait for this process's and every other process's writers to finish, then write.

    SQLite lets one writer in at a time, and a writer that finds the database locked sleeps
    and retries (up to 100 ms a sleep) however soon the lock is free: under concurrent posts
    that sleeping, not the writing, is what a request waits for. An exclusive ``flock`` on a
    file beside the database queues the writers in the kernel instead, which wakes the next
    one the moment the last has committed, so ``BEGIN IMMEDIATE`` finds the database free.
    ``path`` is the database file's; re-entrant per thread; an in-memory database has no file
    and needs no turn.
    """
    if not path or path == ":memory:" or getattr(_WRITER, "held", False):
        yield
        return
    with open(f"{path}-writer.lock", "ab") as turn:
        fcntl.flock(turn, fcntl.LOCK_EX)
        _WRITER.held = True
        try:
            yield
        finally:
            _WRITER.held = False
            fcntl.flock(turn, fcntl.LOCK_UN)
