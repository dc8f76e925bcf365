"""Withdrawing pending items (PROGRAMMES.md § Applications and items, § Edge cases): the learner
withdrawing an application, the workstation disabling a college (reason ``college_disabled``),
an identity erased (``identity_erased``). One mechanism for all three, inside the caller's
write transaction:

- the learners' accounts are locked first, in ``learner_id`` order (:func:`lock_accounts`),
  and the applications and items read again under the lock;
- every pending item becomes ``withdrawn`` with the reason; decided items stand;
- the application is settled (:func:`settle_application`): its status from
  :func:`creditbank.transfer.application_status`, ``closed_at`` and, when it closes with an
  approved item, its certificate number; claims no item holds any more are released.

Decisions close an application the same way: they call :func:`settle_application` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from creditbank.college_models import Enrolment, TransferApplication, TransferClaim, TransferItem
from creditbank.db import in_slices
from creditbank.events import EventTag, record_event
from creditbank.journal import lock_accounts
from creditbank.services.certificate_numbers import next_certificate_number
from creditbank.services.transfer_state import as_item
from creditbank.transfer import ItemStatus, application_status, held_keys

COLLEGE_DISABLED = "college_disabled"
IDENTITY_ERASED = "identity_erased"
PENDING = ItemStatus.PENDING.value
_SLICE = 500


def withdraw_pending(
    session: Session,
    applications: Sequence[TransferApplication],
    reason: str,
    now: datetime,
    actor: str | None,
) -> dict[str, list[TransferItem]]:
    """Withdraw every pending item of ``applications`` with ``reason`` and settle each.

    Records one ``api:application:withdrawn`` event per application that had pending items
    (``actor`` is who did it); callers record nothing more for it. Gives every item of those
    applications, by application id, as they stand now (in position order).
    """
    lock_accounts(session, {application.learner_id for application in applications})
    session.flush()  # the caller's own changes first: what follows reads the rows again
    for application in applications:
        session.refresh(application)  # as it stands under the lock
    changed: dict[str, list[TransferItem]] = {}
    items = items_of(session, applications)
    for application in sorted(applications, key=lambda a: (a.learner_id, a.id)):
        own = items.get(application.id, [])
        pending = [item for item in own if item.status == PENDING]
        if not pending:
            continue
        for item in pending:
            item.status = ItemStatus.WITHDRAWN.value
            item.reason = reason
        settle_application(session, application, own, now)
        record_event(
            session,
            EventTag.APPLICATION_WITHDRAWN,
            actor=actor,
            subject_id=application.learner_id,
            occurred_at=now,
            details={
                "application_id": application.id,
                "items": [item.id for item in pending],
                "status": application.status,
            },
        )
        changed[application.id] = own
    return changed


def settle_application(
    session: Session,
    application: TransferApplication,
    items: Sequence[TransferItem],
    now: datetime,
) -> None:
    """Bring ``application`` in line with its ``items`` (all of them): status, ``closed_at``,
    certificate number, and the release of claims no pending or approved item names."""
    statuses = [ItemStatus(item.status) for item in items]
    application.status = application_status(statuses)
    if application.status == "closed":
        if application.closed_at is None:
            application.closed_at = now
        if application.certificate_no is None and ItemStatus.APPROVED in statuses:
            application.certificate_no = next_certificate_number(
                session, application.college_id, application.closed_at
            )
    held = held_keys(as_item(item, application.programme_id) for item in items)
    session.execute(
        delete(TransferClaim).where(
            TransferClaim.learner_id == application.learner_id,
            TransferClaim.application_id == application.id,
            TransferClaim.claim_key.not_in(sorted(held)),
        )
    )


def withdraw_college_pending(
    session: Session, college_id: str, now: datetime, actor: str | None
) -> dict[str, list[TransferItem]]:
    """The college is being disabled: withdraw every pending item of its programmes."""
    applications = session.scalars(
        select(TransferApplication).where(
            TransferApplication.college_id == college_id,
            TransferApplication.status == PENDING,
        )
    ).all()
    return withdraw_pending(session, applications, COLLEGE_DISABLED, now, actor)


def release_learner_transfers(
    session: Session, learner_id: str, now: datetime, actor: str | None
) -> dict[str, list[TransferItem]]:
    """The learner's identity is being erased: withdraw its pending items and forget its
    student numbers; approved exemptions and the journal stay."""
    lock_accounts(session, [learner_id])
    applications = session.scalars(
        select(TransferApplication).where(
            TransferApplication.learner_id == learner_id,
            TransferApplication.status == PENDING,
        )
    ).all()
    withdrawn = withdraw_pending(session, applications, IDENTITY_ERASED, now, actor)
    session.execute(
        update(Enrolment)
        .where(Enrolment.learner_id == learner_id)
        .values(student_no=None)
        .execution_options(synchronize_session="fetch")
    )
    return withdrawn


def items_of(
    session: Session, applications: Sequence[TransferApplication]
) -> dict[str, list[TransferItem]]:
    """Every item of ``applications``, read again (not from the session's memory), by
    application id in position order."""
    found: dict[str, list[TransferItem]] = {}
    pairs = sorted({(a.learner_id, a.id) for a in applications})
    for chunk in in_slices(pairs, _SLICE):
        query = (
            select(TransferItem)
            .where(
                TransferItem.learner_id.in_(sorted({learner for learner, _ in chunk})),
                TransferItem.application_id.in_([application for _, application in chunk]),
            )
            .order_by(TransferItem.learner_id, TransferItem.application_id, TransferItem.position)
            .execution_options(populate_existing=True)
        )
        for item in session.scalars(query):
            found.setdefault(item.application_id, []).append(item)
    return found
