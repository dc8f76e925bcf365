"""Serials from the coordinator's ``document_counters``: document numbers per kind and year,
and status-list indexes. The row is locked ``FOR UPDATE`` for the rest of the transaction, so
two issuances take turns and never share a serial (as certificate numbers do)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from creditbank.document_models import DocumentCounter

_COUNTERS = DocumentCounter.__table__


def next_serial(session: Session, series: str, year: int) -> int:
    """Take the next serial of ``series`` in ``year`` (1 for the first)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(_COUNTERS)
        .values(series=series, year=year, last_serial=0)
        .on_conflict_do_nothing(index_elements=["series", "year"])
    )
    where = (_COUNTERS.c.series == series) & (_COUNTERS.c.year == year)
    last = session.execute(
        select(_COUNTERS.c.last_serial).where(where).with_for_update()
    ).scalar_one()
    session.execute(update(_COUNTERS).where(where).values(last_serial=last + 1))
    return int(last) + 1
