"""Conversion-certificate numbers (学分转换证明编号): ``<school_code>-<Shanghai year>-<serial>``
from a per-college, per-year counter (PROGRAMMES.md § Domain model, *Applications and items*).

The counter row is locked ``FOR UPDATE`` for the rest of the transaction, so two applications
of one college closing at once take turns and never share a serial; a serial taken by a
transaction that rolls back is given again, so the numbers have no gaps.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table
from sqlalchemy.orm import Session

from creditbank.college_models import CertificateCounter, College
from creditbank.conversion import shanghai_year
from creditbank.services.document_counters import take_serial
from creditbank.transfer import certificate_number

_COUNTERS: Table = CertificateCounter.__table__


def next_certificate_number(session: Session, college_id: str, closed_at: datetime) -> str:
    """The next number of ``college_id`` in the Shanghai year of ``closed_at``."""
    college = session.get(College, college_id)
    if college is None:
        raise LookupError(f"no college {college_id}")
    serial = next_serial(session, college_id, shanghai_year(closed_at))
    return certificate_number(college.school_code, closed_at, serial)


def next_serial(session: Session, college_id: str, year: int) -> int:
    """Take the next serial of the college's counter for ``year`` (1 for the year's first)."""
    return take_serial(session, _COUNTERS, {"college_id": college_id, "year": year})
