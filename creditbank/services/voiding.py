"""Voiding an outcome: the posting provider or the workstation (API.md § Outcomes)."""

from __future__ import annotations

from typing import Any

from creditbank.conversion import Status
from creditbank.domain.errors import AlreadyVoided
from creditbank.domain.roles import Principal
from creditbank.events import EventNote
from creditbank.journal import append, lock_accounts
from creditbank.services.conversion import reconvert
from creditbank.services.history import load_rulesets
from creditbank.services.outcome_views import credit_view, entry_view
from creditbank.services.outcomes import visible_state
from creditbank.services.transaction import utcnow, write_transaction


def void_outcome(
    principal: Principal, outcome_id: str, reason: str, *, event: EventNote | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Cancel an outcome: the posting provider or the workstation (409 when already voided).
    ``event`` is recorded in the same transaction (its subject: the outcome)."""
    with write_transaction() as session:
        state = visible_state(session, principal, outcome_id)
        account = lock_accounts(session, [state.learner_id])[state.learner_id]
        session.refresh(state)
        if state.status == Status.VOIDED:
            raise AlreadyVoided()
        now = utcnow()
        entry = append(
            session,
            account,
            "void",
            now,
            data={"voided_by": principal.subject},
            outcome_id=outcome_id,
            reason=reason,
        )
        credits = reconvert(session, account, load_rulesets(session), now)
        if event is not None:
            event.record(session, outcome_id, now)
        return entry_view(entry), [credit_view(c) for c in credits]
