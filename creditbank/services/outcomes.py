"""Reading outcomes back: one, or a keyset page of them (API.md § Outcomes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank.domain.errors import Forbidden, NotFound
from creditbank.domain.roles import Principal, Role
from creditbank.extensions import db
from creditbank.models import OutcomeState
from creditbank.services.outcome_views import outcome_entry, outcome_views, stored_outcome_view
from creditbank.services.pagination import Page, keyset_page


def get_outcome(principal: Principal, outcome_id: str) -> dict[str, Any]:
    state = visible_state(db.session(), principal, outcome_id)
    entry = outcome_entry(db.session(), state)
    return stored_outcome_view(entry, state)


def list_outcomes(
    principal: Principal,
    *,
    learner_id: str | None,
    provider_id: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> Page[dict[str, Any]]:
    """Outcomes newest last: staff see all, a provider only its own."""
    if principal.role is Role.PROVIDER:
        if provider_id not in (None, principal.provider_id):
            raise Forbidden("A provider reads only its own outcomes")
        provider_id = principal.provider_id
    elif not principal.is_staff:
        raise Forbidden("Learners read their ledger instead")
    query = select(OutcomeState)
    if learner_id:
        query = query.where(OutcomeState.learner_id == learner_id)
    if provider_id:
        query = query.where(OutcomeState.provider_id == provider_id)
    if status:
        query = query.where(OutcomeState.status == status)
    page = keyset_page(query, OutcomeState.outcome_id, cursor, limit)
    return page.map(lambda states: outcome_views(db.session(), states))


def visible_state(session: Session, principal: Principal, outcome_id: str) -> OutcomeState:
    state = session.scalar(select(OutcomeState).where(OutcomeState.outcome_id == outcome_id))
    if state is None:
        raise NotFound("No such outcome")
    if principal.role is Role.PROVIDER and state.provider_id != principal.provider_id:
        raise Forbidden("A provider may act only on its own outcomes")
    if principal.role is Role.LEARNER:
        raise Forbidden("Learners read their ledger instead")
    return state
