"""Enrolments (PROGRAMMES.md § Domain model, *Enrolments*): which learners a programme's
college has enrolled, with the college's student number (学号). Filing and approving need an
enrolment that has not ended.

Enrolling and ending are for the workstation or the programme's college (another college's
programme: 403). Enrolment rows are by learner: the learner's account is locked first. A
``national_id`` given with an enrolment is matched through the account's HMAC fingerprint; a
mismatch answers exactly as an unknown ``learner_id`` does, so the call cannot tell whether a
person has an account.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank.college_models import Enrolment, Programme
from creditbank.context import keyring
from creditbank.domain.errors import (
    Conflict,
    Forbidden,
    NotEnrolled,
    NotFound,
    UnknownLearner,
    ValidationFailed,
)
from creditbank.domain.national_id import NationalIdError, validate_national_id
from creditbank.domain.roles import Principal, Role
from creditbank.events import EventTag, record_event
from creditbank.extensions import db
from creditbank.journal import lock_accounts
from creditbank.models import Account, Identity
from creditbank.services.college_scope import get_programme, writable_programme
from creditbank.services.pagination import Page, keyset_page
from creditbank.services.transaction import utcnow, write_transaction

UNKNOWN_LEARNER = {"learner_id": ["No learner has this id."]}


def enrol(
    principal: Principal, programme_id: str, fields: dict[str, Any]
) -> tuple[Enrolment, bool]:
    """Enrol the learner; ``(enrolment, True)`` when new. An ended enrolment is reopened
    (new student number and date, an audit event); an open one is 409 ``conflict``."""
    national_id = _valid_national_id(fields.get("national_id"))
    learner_id = fields["learner_id"]
    with write_transaction() as session:
        programme = writable_programme(session, principal, programme_id)
        if not lock_accounts(session, [learner_id]):
            raise UnknownLearner(errors=UNKNOWN_LEARNER)
        if national_id is not None and not _holds(session, learner_id, national_id):
            raise UnknownLearner(errors=UNKNOWN_LEARNER)
        now = utcnow()
        enrolment = session.get(Enrolment, (learner_id, programme.id))
        created = enrolment is None
        if enrolment is None:
            enrolment = Enrolment(
                learner_id=learner_id,
                programme_id=programme.id,
                created_at=now,
                created_by=principal.subject,
            )
            session.add(enrolment)
        elif enrolment.ended_on is None:
            raise Conflict("The learner is enrolled in this programme already")
        enrolment.student_no = fields["student_no"]
        enrolment.enrolled_on = fields["enrolled_on"]
        enrolment.ended_on = enrolment.end_reason = None
        tag = EventTag.ENROLMENT_CREATED if created else EventTag.ENROLMENT_REOPENED
        _event(session, tag, principal, enrolment, now)
    return _reread(learner_id, programme_id), created


def end_enrolment(
    principal: Principal, programme_id: str, learner_id: str, ended_on: date, reason: str
) -> Enrolment:
    """End an open enrolment (graduated, left …); an ended one is 409 ``not_enrolled``."""
    with write_transaction() as session:
        programme = writable_programme(session, principal, programme_id)
        lock_accounts(session, [learner_id])
        enrolment = session.get(Enrolment, (learner_id, programme.id))
        if enrolment is None:
            raise NotFound("The learner is not enrolled in this programme")
        if enrolment.ended_on is not None:
            raise NotEnrolled("The enrolment has ended already")
        if ended_on < enrolment.enrolled_on:
            raise ValidationFailed(errors={"ended_on": ["Must not be before enrolled_on."]})
        enrolment.ended_on = ended_on
        enrolment.end_reason = reason
        _event(session, EventTag.ENROLMENT_ENDED, principal, enrolment, utcnow())
    return _reread(learner_id, programme_id)


def list_programme_enrolments(
    principal: Principal, programme_id: str, cursor: str | None, limit: int
) -> Page[Enrolment]:
    """The programme's enrolments by ``learner_id``: staff, or the programme's college
    (another college's: 403, as a list filter naming another college is)."""
    programme = get_programme(db.session(), programme_id)
    if principal.role is Role.COLLEGE and principal.college_id != programme.college_id:
        raise Forbidden("A college reads only its own programmes' enrolments")
    query = select(Enrolment).where(Enrolment.programme_id == programme.id)
    return keyset_page(query, Enrolment.learner_id, cursor, limit)


def list_learner_enrolments(
    principal: Principal, learner_id: str, cursor: str | None, limit: int
) -> Page[Enrolment]:
    """The learner's enrolments by programme: its own, staff all, a college those in its own
    programmes (none there: 404, as for another college's learner)."""
    if principal.role is Role.LEARNER and principal.subject != learner_id:
        raise Forbidden("A learner reads only its own enrolments")
    if db.session.get(Account, learner_id) is None:
        raise NotFound("No such learner")
    query = select(Enrolment).where(Enrolment.learner_id == learner_id)
    if principal.role is Role.COLLEGE:
        own = select(Programme.id).where(Programme.college_id == principal.college_id)
        query = query.where(Enrolment.programme_id.in_(own))
        if db.session.scalar(query.limit(1)) is None:
            raise NotFound("Not found")
    return keyset_page(query, Enrolment.programme_id, cursor, limit)


def _holds(session: Session, learner_id: str, national_id: str) -> bool:
    """Whether the learner's identity has this national ID (through its fingerprint)."""
    fingerprint = session.scalar(
        select(Identity.national_id_fingerprint).where(Identity.learner_id == learner_id)
    )
    return fingerprint is not None and fingerprint == keyring().pii.fingerprint(national_id)


def _valid_national_id(national_id: str | None) -> str | None:
    if national_id is None:
        return None
    try:
        return validate_national_id(national_id)
    except NationalIdError as exc:
        raise ValidationFailed(errors={"national_id": [str(exc)]}) from exc


def _reread(learner_id: str, programme_id: str) -> Enrolment:
    enrolment = db.session.get(Enrolment, (learner_id, programme_id))
    if enrolment is None:  # pragma: no cover - written in the transaction just committed
        raise NotFound("No such enrolment")
    return enrolment


def _event(
    session: Session, tag: EventTag, principal: Principal, enrolment: Enrolment, now: Any
) -> None:
    record_event(
        session,
        tag,
        actor=principal.subject,
        subject_id=enrolment.learner_id,
        occurred_at=now,
        details={"programme_id": enrolment.programme_id},
    )
