"""Calendar questions answered in Asia/Shanghai, where the workstation's dates and years live."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_date(instant: datetime) -> date:
    """The calendar date of an aware instant in Asia/Shanghai."""
    if instant.tzinfo is None:
        raise ValueError("instants must carry a time zone")
    return instant.astimezone(SHANGHAI).date()


def shanghai_year(instant: datetime) -> int:
    """The calendar year an instant belongs to in Asia/Shanghai (the year caps count in)."""
    return shanghai_date(instant).year


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; an anniversary of 29 February falls on 28 February.

    Civil Code art. 202 (民法典第二百零二条): a period counted in years ends on the
    corresponding day, or on the month's last day when there is none.
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def expired_by(achieved_on: date, validity_years: int, recorded_on: date) -> bool:
    """True when ``recorded_on`` is after the last day of the ``validity_years`` period."""
    return recorded_on > add_years(achieved_on, validity_years)
