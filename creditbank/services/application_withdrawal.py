"""Withdrawing an application (the learner, or the workstation for it): its pending items are
withdrawn, decided ones stand; then :func:`settle` releases the claims and closes it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from creditbank.college_models import TransferApplication, TransferItem
from creditbank.domain.errors import Forbidden, NotPending
from creditbank.domain.roles import Principal, Role
from creditbank.events import EventTag, record_event
from creditbank.journal import lock_accounts
from creditbank.services.application_closing import settle
from creditbank.services.application_views import application_views
from creditbank.services.applications import find_application
from creditbank.services.transaction import utcnow, write_transaction
from creditbank.services.transfer_state import item_rows


def withdraw_pending(
    session: Session,
    application: TransferApplication,
    items: Sequence[TransferItem],
    reason: str,
    now: datetime,
) -> int:
    """Withdraw the application's pending items (their ``reason`` says why) and settle it;
    how many were withdrawn. The learner's account must be locked already."""
    withdrawn = 0
    for row in items:
        if row.status == "pending":
            row.status, row.reason = "withdrawn", reason
            withdrawn += 1
    settle(session, application, items, now)
    return withdrawn


def withdraw_application(
    principal: Principal, application_id: str, reason: str | None
) -> dict[str, Any]:
    now = utcnow()
    with write_transaction() as session:
        application = find_application(session, principal, application_id)
        if principal.role not in (Role.LEARNER, Role.WORKSTATION):
            raise Forbidden("Only the learner or the workstation withdraws an application")
        lock_accounts(session, [application.learner_id])
        session.refresh(application)
        if application.status != "pending":
            raise NotPending(f"Application {application.id} is {application.status}")
        items = item_rows(session, application.learner_id, application.id)
        withdraw_pending(session, application, items, reason or "withdrawn", now)
        record_event(
            session,
            EventTag.APPLICATION_WITHDRAWN,
            actor=principal.subject,
            subject_id=application.id,
            occurred_at=now,
            details={"learner_id": application.learner_id, "status": application.status},
        )
        return application_views(session, [application])[0]
