"""What the workstation's web pages show: read-only lists, newest or in account order, each
paged by an opaque keyset cursor (never OFFSET), and the latest audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from creditbank.conversion import Status
from creditbank.extensions import db
from creditbank.labels import SELF_DECLARED
from creditbank.models import Account, Audit, Identity, OutcomeState, Provider
from creditbank.services.outcome_views import outcome_views
from creditbank.services.pagination import Page, keyset_page


@dataclass(frozen=True)
class LearnerRow:
    learner_id: str
    account_number: str
    name: str | None
    national_id_masked: str | None  # the whole number is never shown on a page
    opened_at: datetime
    balance: int  # tenths


def learners(cursor: str | None, limit: int) -> Page[LearnerRow]:
    """Learners in account order (oldest first), with their balance."""
    query = select(Account, Identity).outerjoin(Identity)
    page = keyset_page(query, Account.learner_id, cursor, limit, key_of=_learner_id)
    return page.map(lambda rows: [_learner_row(account, identity) for account, identity in rows])


def _learner_row(account: Account, identity: Identity | None) -> LearnerRow:
    return LearnerRow(
        account.learner_id,
        account.account_number,
        identity.name if identity else None,
        identity.national_id_masked if identity else None,
        account.opened_at,
        account.balance,
    )


def _learner_id(row: Any) -> str:
    return row.Account.learner_id


def recent_outcomes(cursor: str | None, limit: int) -> Page[dict[str, Any]]:
    """Posted outcomes, newest first (outcome ids are ULIDs: they sort by time)."""
    return _outcome_page(select(OutcomeState), cursor, limit, descending=True)


def pending_reviews(cursor: str | None, limit: int) -> Page[dict[str, Any]]:
    """Outcomes waiting for a review, oldest first (the order they should be decided in)."""
    query = select(OutcomeState).where(OutcomeState.status == Status.PENDING_REVIEW.value)
    return _outcome_page(query, cursor, limit)


def latest_audit() -> Audit | None:
    return db.session.scalar(select(Audit).order_by(Audit.started_at.desc()).limit(1))


def _outcome_page(
    query: Any, cursor: str | None, limit: int, *, descending: bool = False
) -> Page[dict[str, Any]]:
    page = keyset_page(query, OutcomeState.outcome_id, cursor, limit, descending=descending)
    views = outcome_views(db.session(), page.items)
    names = provider_names({view["provider_id"] for view in views})
    for view in views:
        if view.get("source") == "self_declared":  # a learner's deposit (services/deposits.py)
            view["provider_name"] = SELF_DECLARED
        else:
            view["provider_name"] = names.get(view["provider_id"], view["provider_id"])
    return Page(views, page.next_cursor)


def provider_names(provider_ids: set[str]) -> dict[str, str]:
    if not provider_ids:
        return {}
    rows = db.session.execute(
        select(Provider.id, Provider.name).where(Provider.id.in_(provider_ids))
    )
    return {provider_id: name for provider_id, name in rows}
