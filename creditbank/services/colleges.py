"""Colleges (院校) and their API clients (PROGRAMMES.md § Words and roles, *College accounts*;
§ Domain model, *Colleges*). The workstation registers, renames, disables and enables them;
every role reads them. Programmes are :mod:`creditbank.services.programmes`, enrolments
:mod:`creditbank.services.enrolments`.

Disabling a college refuses its clients' tokens on every request (``api/access.py``) and, in
the same transaction, withdraws every pending item of its programmes
(:mod:`creditbank.services.withdrawals`).
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditbank.college_models import College
from creditbank.domain.errors import Conflict, NotFound, ValidationFailed
from creditbank.domain.ids import new_id
from creditbank.domain.roles import Principal, Role
from creditbank.events import EventTag, record_event
from creditbank.extensions import db
from creditbank.services.clients import Credentials, create_client
from creditbank.services.college_scope import get_college as _get_college
from creditbank.services.pagination import Page, keyset_page
from creditbank.services.transaction import utcnow, write_transaction
from creditbank.services.withdrawals import withdraw_college_pending

SCHOOL_CODE = re.compile(r"[A-Z0-9-]{1,16}")
MAX_NAME = 200


def register_college(principal: Principal, school_code: str, name: str) -> College:
    """A college; its ``school_code`` is unique (409 ``conflict``)."""
    errors = _name_errors(name)
    if not SCHOOL_CODE.fullmatch(school_code):
        errors["school_code"] = ["1–16 characters of A–Z, 0–9 and '-'."]
    if errors:
        raise ValidationFailed(errors=errors)
    now = utcnow()
    college = College(id=new_id("col"), school_code=school_code, name=name, created_at=now)
    taken = f"A college with school code {school_code} already exists"
    try:
        with write_transaction() as session:
            if session.scalar(select(College.id).where(College.school_code == school_code)):
                raise Conflict(taken)
            session.add(college)
            _event(session, EventTag.COLLEGE_REGISTERED, principal, college)
    except IntegrityError as exc:  # a concurrent registration took the code first
        raise Conflict(taken) from exc
    return get_college(college.id)


def get_college(college_id: str) -> College:
    return _get_college(db.session(), college_id)


def college_by_school_code(school_code: str) -> College:
    """The college the bank gave ``school_code`` (404 when none)."""
    college = db.session.scalar(select(College).where(College.school_code == school_code))
    if college is None:
        raise NotFound(f"No college has school code {school_code}")
    return college


def list_colleges(cursor: str | None, limit: int) -> Page[College]:
    return keyset_page(select(College), College.id, cursor, limit)


def rename_college(principal: Principal, college_id: str, name: str) -> College:
    """A new name (an audit event); the school code never changes."""
    if errors := _name_errors(name):
        raise ValidationFailed(errors=errors)
    with write_transaction() as session:
        college = _locked(session, college_id)
        if college.name != name:
            college.name = name
            _event(session, EventTag.COLLEGE_RENAMED, principal, college, fields=["name"])
    return get_college(college_id)


def disable_college(principal: Principal, college_id: str) -> College:
    """Refuse the college's tokens from now on and withdraw every pending item of its
    programmes (reason ``college_disabled``); approved items and certificates stay."""
    with write_transaction() as session:
        college = _locked(session, college_id)
        now = utcnow()
        newly = college.disabled_at is None
        if newly:
            college.disabled_at = now
        # Also when disabled already: whatever was filed in between is withdrawn now.
        withdrawn = withdraw_college_pending(session, college_id, now, principal.subject)
        if newly:
            _event(
                session,
                EventTag.COLLEGE_DISABLED,
                principal,
                college,
                applications_withdrawn=len(withdrawn),
            )
    return get_college(college_id)


def enable_college(principal: Principal, college_id: str) -> College:
    """Its clients' tokens work again; withdrawn items stay withdrawn."""
    with write_transaction() as session:
        college = _locked(session, college_id)
        if college.disabled_at is not None:
            college.disabled_at = None
            _event(session, EventTag.COLLEGE_ENABLED, principal, college)
    return get_college(college_id)


def create_college_client(college_id: str, name: str | None = None) -> Credentials:
    """An API client of the college (named after its officer or system; by default the
    college's name); the secret is shown once."""
    college = get_college(college_id)
    return create_client(Role.COLLEGE, name or college.name, college_id=college.id)


def share_lock_college(session: Session, college_id: str) -> College:
    """The college row locked ``FOR SHARE`` for the rest of the transaction: filing takes it
    before the learner's account, so a filing and the college's disabling take turns (the
    disabling holds it ``FOR UPDATE`` before it locks accounts: the same order, no deadlock)."""
    college = session.get(College, college_id, with_for_update={"read": True})
    if college is None:
        raise NotFound("No such college")
    return college


def _locked(session: Session, college_id: str) -> College:
    college = session.get(College, college_id, with_for_update=True)
    if college is None:
        raise NotFound("No such college")
    return college


def _name_errors(name: str) -> dict[str, list[str]]:
    if not 1 <= len(name) <= MAX_NAME:
        return {"name": [f"1–{MAX_NAME} characters."]}
    return {}


def _event(
    session: Session,
    tag: EventTag,
    principal: Principal,
    college: College,
    *,
    fields: list[str] | None = None,
    applications_withdrawn: int | None = None,
) -> None:
    details: dict[str, object] = {"school_code": college.school_code}
    if fields is not None:
        details["fields"] = fields
    if applications_withdrawn is not None:
        details["applications_withdrawn"] = applications_withdrawn
    record_event(
        session,
        tag,
        actor=principal.subject,
        subject_id=college.id,
        occurred_at=utcnow(),
        details=details,
    )
