"""What the workstation's dashboard shows: today's posts, the reviews waiting and for how long,
the last audit and checkpoint, and the outcomes and credits of each month by category.

"Today" and "a month" are the county's (Asia/Shanghai). The monthly figures are counted by the
database, one row per month and category: the months are cut by instants computed here, so the
query is the same on SQLite and PostgreSQL and never reads the outcomes one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select

from creditbank.conversion import SHANGHAI, Status
from creditbank.extensions import db
from creditbank.models import Audit, Checkpoint, OutcomeState
from creditbank.services import workstation
from creditbank.services.checkpoints import latest
from creditbank.services.names import learner_names
from creditbank.services.outcome_views import outcome_views
from creditbank.services.transaction import utcnow

MONTHS = 12


@dataclass(frozen=True)
class MonthlyFigures:
    """Per month (``months``, oldest first, ``YYYY-MM``) and category: outcomes recorded and
    credits granted (tenths, outcomes credited now)."""

    months: list[str]
    categories: list[str]
    outcomes: dict[str, list[int]]  # category -> one count per month
    credits: dict[str, list[int]]  # category -> tenths per month


def start_of_today(now: datetime | None = None) -> datetime:
    local = (now or utcnow()).astimezone(SHANGHAI)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def todays_posts(limit: int, now: datetime | None = None) -> tuple[int, list[dict[str, Any]]]:
    """How many outcomes were recorded today, and the latest ``limit`` of them (with the
    learner's and the provider's names)."""
    since = OutcomeState.recorded_at >= start_of_today(now)
    count = db.session.scalar(select(func.count()).select_from(OutcomeState).where(since)) or 0
    states = db.session.scalars(
        select(OutcomeState).where(since).order_by(OutcomeState.outcome_id.desc()).limit(limit)
    ).all()
    views = outcome_views(db.session(), states)
    names = workstation.provider_names({view["provider_id"] for view in views})
    learners = learner_names({view["learner_id"] for view in views})
    for view in views:
        view["provider_name"] = names.get(view["provider_id"], view["provider_id"])
        view["learner_name"] = learners.get(view["learner_id"])
    return count, views


def pending_reviews(limit: int, now: datetime | None = None) -> tuple[int, list[dict[str, Any]]]:
    """How many outcomes wait for a review, and the ``limit`` oldest with their age in days."""
    waiting = OutcomeState.status == Status.PENDING_REVIEW.value
    count = db.session.scalar(select(func.count()).select_from(OutcomeState).where(waiting)) or 0
    views = workstation.pending_reviews(None, limit).items
    learners = learner_names({view["learner_id"] for view in views})
    moment = now or utcnow()
    for view in views:
        view["learner_name"] = learners.get(view["learner_id"])
        view["age_days"] = age_in_days(datetime.fromisoformat(view["recorded_at"]), moment)
    return count, views


def age_in_days(instant: datetime, now: datetime) -> int:
    """Whole days from ``instant`` to ``now`` (0 on the day itself)."""
    return max(0, (now - instant).days)


def last_audit() -> Audit | None:
    return workstation.latest_audit()


def last_checkpoint() -> Checkpoint | None:
    return latest(db.session())


def month_starts(now: datetime | None = None, months: int = MONTHS) -> list[datetime]:
    """The first instants (UTC) of the last ``months`` local months, oldest first, and of the
    next month after them (so ``months + 1`` boundaries)."""
    local = (now or utcnow()).astimezone(SHANGHAI)
    year, month = local.year, local.month
    starts = []
    for back in range(months - 1, -2, -1):
        index = year * 12 + (month - 1) - back
        first = datetime(index // 12, index % 12 + 1, 1, tzinfo=SHANGHAI)
        starts.append(first.astimezone(UTC))
    return starts


def monthly_figures(now: datetime | None = None, months: int = MONTHS) -> MonthlyFigures:
    """Outcomes recorded and credits granted, per local month and category, counted by the
    database over the last ``months`` months."""
    starts = month_starts(now, months)
    bucket = case(
        *[(OutcomeState.recorded_at < start, index) for index, start in enumerate(starts[1:])],
        else_=months,
    ).label("month")
    credited = case((OutcomeState.status == Status.CREDITED.value, OutcomeState.credits), else_=0)
    rows = (
        select(bucket, OutcomeState.category, credited.label("tenths"))
        .where(OutcomeState.recorded_at >= starts[0], OutcomeState.recorded_at < starts[-1])
        .subquery()
    )
    # Grouped over a subquery: PostgreSQL would not match a CASE of bound parameters in the
    # select list with the same CASE in GROUP BY.
    query = select(
        rows.c.month, rows.c.category, func.count(), func.coalesce(func.sum(rows.c.tenths), 0)
    ).group_by(rows.c.month, rows.c.category)
    outcomes: dict[str, list[int]] = {}
    credits: dict[str, list[int]] = {}
    for index, category, count, tenths in db.session.execute(query):
        outcomes.setdefault(category, [0] * months)[index] += int(count)
        credits.setdefault(category, [0] * months)[index] += int(tenths)
    labels = [start.astimezone(SHANGHAI).strftime("%Y-%m") for start in starts[:-1]]
    categories = sorted(outcomes)
    return MonthlyFigures(labels, categories, outcomes, credits)
