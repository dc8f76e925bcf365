"""Serials from a coordinator's counter table: document numbers per kind and year, status-list
indexes (``document_counters``) and conversion certificates per college and year
(``certificate_counters``). The counter's row is locked ``FOR UPDATE`` for the rest of the
transaction, so two issuances take turns and never share a serial."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, and_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from creditbank.document_models import DocumentCounter

_COUNTERS: Table = DocumentCounter.__table__


def next_serial(session: Session, series: str, year: int) -> int:
    """Take the next serial of ``series`` in ``year`` (1 for the first)."""
    return take_serial(session, _COUNTERS, {"series": series, "year": year})


def take_serial(session: Session, counters: Table, key: dict[str, Any]) -> int:
    """Take the next serial of the counter ``key`` names in ``counters`` (whose key columns are
    ``key``'s and whose count is ``last_serial``): 1 for the first."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # The counter's row, created once (two first takers race here harmlessly).
    session.execute(
        insert(counters)
        .values(**key, last_serial=0)
        .on_conflict_do_nothing(index_elements=list(key))
    )
    where = and_(*(counters.c[name] == value for name, value in key.items()))
    last = session.execute(
        select(counters.c.last_serial).where(where).with_for_update()
    ).scalar_one()
    session.execute(update(counters).where(where).values(last_serial=last + 1))
    return int(last) + 1
