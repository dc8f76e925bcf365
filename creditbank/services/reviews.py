"""The workstation decides outcomes that no rule covers (DESIGN.md § Conversion)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from creditbank.conversion import Status
from creditbank.domain.amounts import format_tenths
from creditbank.domain.errors import NotFound, NotPendingReview
from creditbank.domain.roles import Principal
from creditbank.events import EventTag, record_event
from creditbank.extensions import db
from creditbank.journal import append, lock_accounts
from creditbank.models import OutcomeState
from creditbank.services.conversion import reconvert
from creditbank.services.history import load_rulesets
from creditbank.services.outcome_views import credit_view, entry_view, outcome_views
from creditbank.services.pagination import Page, keyset_page
from creditbank.services.transaction import utcnow, write_transaction


def list_reviews(
    principal: Principal, status: str, cursor: str | None, limit: int
) -> Page[dict[str, Any]]:
    """Outcomes by review status: ``pending`` (waiting) or ``decided`` (reviewed)."""
    wanted = Status.PENDING_REVIEW.value
    query = select(OutcomeState).where(
        OutcomeState.status == wanted if status == "pending" else OutcomeState.reason == "reviewed"
    )
    page = keyset_page(query, OutcomeState.outcome_id, cursor, limit)
    return page.map(lambda states: outcome_views(db.session(), states))


def decide_review(
    principal: Principal, outcome_id: str, credits: int, category: str, note: str | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Grant ``credits`` (maybe 0) to a pending outcome; deciding twice is 409."""
    with write_transaction() as session:
        state = session.scalar(select(OutcomeState).where(OutcomeState.outcome_id == outcome_id))
        if state is None:
            raise NotFound("No such outcome")
        account = lock_accounts(session, [state.learner_id])[state.learner_id]
        session.refresh(state)
        if state.status != Status.PENDING_REVIEW:
            raise NotPendingReview(f"The outcome is {state.status} ({state.reason})")
        now = utcnow()
        entry = append(
            session,
            account,
            "review",
            now,
            data={
                "credits": format_tenths(credits),
                "note": note,
                "reviewed_by": principal.subject,
            },
            outcome_id=outcome_id,
            category=category,
        )
        changed = reconvert(session, account, load_rulesets(session), now)
        record_event(
            session,
            EventTag.REVIEW_DECIDED,
            actor=principal.subject,
            subject_id=state.learner_id,
            occurred_at=now,
            details={"outcome_id": outcome_id, "credits": format_tenths(credits)},
        )
        return entry_view(entry), [credit_view(c) for c in changed]
