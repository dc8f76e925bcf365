"""A college's decisions on an item (PROGRAMMES.md § Decisions; § Caps and checks; § Ledger
semantics): approve (a ``transfer`` entry), reject, revoke (a ``reversal`` entry), confirm a
flagged item.

Each locks the learner's account first, so decisions serialise with posts, voids and other
decisions of that learner; the pure rules (:mod:`creditbank.transfer`) check in the documented
order and say what the entry moves; nothing is written after a refusal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from creditbank.college_models import (
    College,
    Programme,
    TransferApplication,
    TransferItem,
)
from creditbank.domain.amounts import format_tenths
from creditbank.domain.canonical import canonical_bytes
from creditbank.domain.errors import NotFound, ValidationFailed
from creditbank.domain.roles import Principal
from creditbank.events import EventTag, record_event
from creditbank.journal import Entry, LockedAccount, append, lock_accounts
from creditbank.models import JournalEntry
from creditbank.services.application_views import item_view
from creditbank.services.applications import enrolled, find_application
from creditbank.services.catalogue_reads import catalogue_for
from creditbank.services.outcome_views import entry_view
from creditbank.services.transaction import utcnow, write_transaction
from creditbank.services.transfer_refusals import refuse
from creditbank.services.transfer_state import (
    as_item,
    banked_of,
    item_rows,
    ledger_of,
    outcomes_of,
)
from creditbank.services.withdrawals import settle_application
from creditbank.transfer import (
    Movement,
    Refusal,
    approve,
    check_confirmation,
    check_rejection,
    decision_grade,
    revoke,
)


class Decided:
    """What a decision answers: the item, the entry it appended (or the original one, for a
    repeat), the application's summary; ``created`` is False for a repeat."""

    def __init__(self, body: dict[str, Any], created: bool) -> None:
        self.body = body
        self.created = created


def decide(
    principal: Principal, application_id: str, item_id: str, body: Mapping[str, Any]
) -> Decided:
    now = utcnow()
    with write_transaction() as session:
        application, row, account = _locked_item(session, principal, application_id, item_id)
        normal = _normal_decision(body, row)
        digest = hashlib.sha256(canonical_bytes(normal)).hexdigest()
        if row.status != "pending" and row.decision_hash == digest:
            return Decided(_answer(session, application, row, _entry_at(session, row)), False)
        if normal["decision"] == "approve":
            entry = _approve(session, principal, application, row, account, normal, now)
        else:
            _reject(session, principal, application, row, normal, now)
            entry = None
        row.decision_hash = digest
        row.decided_at, row.decided_by = now, principal.subject
        settle_application(
            session, application, item_rows(session, row.learner_id, application.id), now
        )
        return Decided(_answer(session, application, row, entry), True)


def revoke_item(
    principal: Principal, application_id: str, item_id: str, reason: str
) -> dict[str, Any]:
    """Revoke an approved item: a ``reversal`` returning what its transfer debited (rule 2)."""
    now = utcnow()
    with write_transaction() as session:
        application, row, account = _locked_item(session, principal, application_id, item_id)
        outcomes = outcomes_of(session, row.learner_id)
        ledger = ledger_of(session, row.learner_id, outcomes)
        movement = revoke(as_item(row, application.programme_id), ledger)
        if isinstance(movement, Refusal):
            refuse(movement)
        assert row.transfer_seq is not None
        data = {
            "transfer_seq": row.transfer_seq,
            "application_id": application.id,
            "item_id": row.id,
            "course_code": row.course_code,
            **movement.document(),
            "revoked_by": principal.subject,
        }
        entry = append(session, account, "reversal", now, data=data, reason=reason)
        _move_converted(account, movement)
        row.status, row.reversal_seq = "revoked", entry.seq
        application.certificate_revision += 1
        settle_application(
            session, application, item_rows(session, row.learner_id, application.id), now
        )
        return _answer(session, application, row, entry, key="reversal")


def confirm_item(
    principal: Principal, application_id: str, item_id: str, note: str | None
) -> dict[str, Any]:
    """The exemption stands although a source changed: the flag clears, the overdraft stays."""
    now = utcnow()
    with write_transaction() as session:
        application, row, _ = _locked_item(session, principal, application_id, item_id)
        refusal = check_confirmation(as_item(row, application.programme_id))
        if refusal is not None:
            refuse(refusal)
        row.flag, row.confirmed_at = None, now
        if note is not None:
            row.note = note
        record_event(
            session,
            EventTag.TRANSFER_ITEM_CONFIRMED,
            actor=principal.subject,
            subject_id=row.id,
            occurred_at=now,
            details={"application_id": application.id, "learner_id": row.learner_id},
        )
        return {"item": item_view(row)}


def _locked_item(
    session: Session, principal: Principal, application_id: str, item_id: str
) -> tuple[TransferApplication, TransferItem, LockedAccount]:
    application = find_application(session, principal, application_id)
    account = lock_accounts(session, [application.learner_id])[application.learner_id]
    session.refresh(application)  # as it stands under the lock
    row = session.get(TransferItem, (application.learner_id, item_id))
    if row is None or row.application_id != application.id:
        raise NotFound("No such item in this application")
    session.refresh(row)
    return application, row, account


def _normal_decision(body: Mapping[str, Any], row: TransferItem) -> dict[str, Any]:
    """The decision with its defaults filled in (what a repeat is compared by)."""
    if body["decision"] == "reject":
        if body.get("grade") is not None:
            raise ValidationFailed(errors={"grade": ["A rejection takes no grade."]})
        if not body.get("reason"):
            raise ValidationFailed(errors={"reason": ["A rejection needs a reason."]})
        return {"decision": "reject", "reason": body["reason"], "note": body.get("note")}
    if body.get("reason") is not None:
        raise ValidationFailed(errors={"reason": ["An approval takes no reason."]})
    grade = decision_grade(body.get("grade"), row.suggested_grade)
    if grade is None:
        raise ValidationFailed(
            errors={"grade": ["One of 优秀, 良好, 中等, 合格, or a whole score from 60 to 100."]}
        )
    return {"decision": "approve", "grade": grade, "note": body.get("note")}


def _approve(
    session: Session,
    principal: Principal,
    application: TransferApplication,
    row: TransferItem,
    account: LockedAccount,
    normal: Mapping[str, Any],
    now: datetime,
) -> Entry:
    learner_id = row.learner_id
    outcomes = outcomes_of(session, learner_id)
    filed_under = catalogue_for(session, application.catalogue_id)
    movement = approve(
        as_item(row, application.programme_id),
        filed_under,
        ledger_of(session, learner_id, outcomes),
        banked_of(session, learner_id, outcomes),
        enrolled=enrolled(session, learner_id, application.programme_id, now),
    )
    if isinstance(movement, Refusal):
        refuse(movement)
    programme = session.get_one(Programme, application.programme_id)
    college = session.get_one(College, application.college_id)
    data = {
        "application_id": application.id,
        "item_id": row.id,
        "college_id": college.id,
        "school_code": college.school_code,
        "programme_id": programme.id,
        "programme_code": programme.code,
        "programme_name": programme.name,
        "level_code": programme.level_code,
        "catalogue_id": filed_under.id,
        "catalogue_version": filed_under.version,
        "course_code": row.course_code,
        "course_name": row.course_name,
        "course_credits": format_tenths(row.course_credits),
        "equivalence": row.equivalence,
        "online": row.online,
        "grade": normal["grade"],
        **movement.document(),
        "decided_by": principal.subject,
    }
    entry = append(session, account, "transfer", now, data=data)
    _move_converted(account, movement)
    row.status, row.grade, row.transfer_seq = "approved", normal["grade"], entry.seq
    if normal.get("note") is not None:
        row.note = normal["note"]
    return entry


def _reject(
    session: Session,
    principal: Principal,
    application: TransferApplication,
    row: TransferItem,
    normal: Mapping[str, Any],
    now: datetime,
) -> None:
    refusal = check_rejection(as_item(row, application.programme_id))
    if refusal is not None:
        refuse(refusal)
    row.status, row.reason = "rejected", normal["reason"]
    if normal.get("note") is not None:
        row.note = normal["note"]
    record_event(
        session,
        EventTag.TRANSFER_ITEM_REJECTED,
        actor=principal.subject,
        subject_id=row.id,
        occurred_at=now,
        details={"application_id": application.id, "learner_id": row.learner_id},
    )


def _move_converted(account: LockedAccount, movement: Movement) -> None:
    account.converted = movement.converted_total
    account.converted_by_category = canonical_bytes(dict(movement.converted_by_category)).decode()


def _entry_at(session: Session, row: TransferItem) -> JournalEntry | None:
    if row.transfer_seq is None:
        return None
    return session.get(JournalEntry, (row.learner_id, row.transfer_seq))


def _answer(
    session: Session,
    application: TransferApplication,
    row: TransferItem,
    entry: Entry | JournalEntry | None,
    key: str = "transfer",
) -> dict[str, Any]:
    items = item_rows(session, row.learner_id, application.id)
    approved = sum(item.course_credits for item in items if item.status == "approved")
    return {
        "item": item_view(row),
        key: None if entry is None else entry_view(entry),
        "application": {
            "id": application.id,
            "status": application.status,
            "approved_credits": format_tenths(approved),
            "certificate_no": application.certificate_no,
            "certificate_revision": application.certificate_revision,
        },
    }
