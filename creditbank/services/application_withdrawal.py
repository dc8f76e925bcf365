"""Withdrawing an application (the learner, or the workstation for it): its pending items are
withdrawn, decided ones stand (:func:`creditbank.services.withdrawals.withdraw_pending`, the
mechanism a disabled college and an erased identity use too)."""

from __future__ import annotations

from typing import Any

from creditbank.domain.errors import Forbidden, NotPending
from creditbank.domain.roles import Principal, Role
from creditbank.journal import lock_accounts
from creditbank.services.application_views import application_views
from creditbank.services.applications import find_application
from creditbank.services.transaction import utcnow, write_transaction
from creditbank.services.withdrawals import withdraw_pending

WITHDRAWN_BY_LEARNER = "withdrawn"


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
        withdraw_pending(
            session, [application], reason or WITHDRAWN_BY_LEARNER, now, principal.subject
        )
        return application_views(session, [application])[0]
