"""Transactions as the services use them: reads as they come, writes in one unit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from creditbank.db import WRITE_OPTION
from creditbank.extensions import db


@contextmanager
def write_transaction() -> Iterator[Session]:
    """One all-or-nothing write: commit on success, roll back on any error.

    Whatever the request read before (its token check, say) is finished first, so that on
    SQLite the write starts with ``BEGIN IMMEDIATE`` and never has to upgrade a read lock.
    """
    session = db.session()  # the request's (or command's) own Session
    if session.in_transaction():
        session.commit()
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
