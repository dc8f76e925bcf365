"""Transactions as the services use them: reads as they come, writes in one unit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from creditbank.context import settings
from creditbank.db import WRITE_OPTION, sqlite_writer_turn
from creditbank.extensions import db


@contextmanager
def write_transaction() -> Iterator[Session]:
    """One all-or-nothing write: commit on success, roll back on any error.

    On SQLite, whatever the request read before (its token check, say) is finished first, so
    that the write starts with ``BEGIN IMMEDIATE`` and never has to upgrade a read lock, and
    writers take turns (:func:`creditbank.db.sqlite_writer_turn`), waiting for the turn and the
    lock together at most ``CREDITBANK_SQLITE_BUSY_TIMEOUT_MS``. On PostgreSQL the write
    simply goes on in the same transaction (READ COMMITTED: each statement sees what is
    committed, and writers lock rows), which saves a commit and a pool check-out.
    """
    session = db.session()  # the request's (or command's) own Session
    engine = session.get_bind().engine  # an Engine, whose .engine is itself (typed as Engine)
    turn: AbstractContextManager[None] = nullcontext()
    if engine.dialect.name == "sqlite":
        if session.in_transaction():
            session.commit()
        turn = sqlite_writer_turn(engine.url.database, settings().sqlite_busy_timeout_ms)
    with turn:
        if not session.in_transaction():
            session.connection(execution_options={WRITE_OPTION: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)
