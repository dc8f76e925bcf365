"""Who may see and write what in the college half (PROGRAMMES.md § Words and roles, rules of
scope), written once for every service of it.

- Reference data (colleges, programmes, catalogues) is read by every role.
- Writing to a programme (or its catalogues, enrolments) is for the workstation, or a college
  for its own programmes: another college's is **403** ``forbidden`` (it can read that it
  exists, so hiding it would hide nothing).
- Learner-scoped data (applications, items, enrolments, eligibility) of another college, or
  of another learner, is **404** ``not_found``: a college must not learn what another
  college's students applied for.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from creditbank.college_models import College, Programme
from creditbank.domain.errors import Forbidden, NotFound, ValidationFailed
from creditbank.domain.roles import Principal, Role


def get_college(session: Session, college_id: str) -> College:
    college = session.get(College, college_id)
    if college is None:
        raise NotFound("No such college")
    return college


def get_programme(session: Session, programme_id: str) -> Programme:
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise NotFound("No such programme")
    return programme


def check_programme_write(principal: Principal, programme: Programme) -> None:
    """The workstation writes to any programme, a college to its own; else 403."""
    if principal.role is Role.WORKSTATION:
        return
    if principal.role is Role.COLLEGE and principal.college_id == programme.college_id:
        return
    raise Forbidden("Only the workstation or the programme's college may change it")


def writable_programme(session: Session, principal: Principal, programme_id: str) -> Programme:
    """The programme (404 when there is none), when ``principal`` may write to it (else 403)."""
    programme = get_programme(session, programme_id)
    check_programme_write(principal, programme)
    return programme


def sees_college(principal: Principal, college_id: str) -> bool:
    """Whether ``principal`` may see learner data filed with ``college_id`` (a college only
    its own; staff everything; a learner's own data is checked by learner)."""
    if principal.role is Role.COLLEGE:
        return principal.college_id == college_id
    return principal.role in (Role.WORKSTATION, Role.AUDITOR, Role.LEARNER)


def check_learner_visible(principal: Principal, learner_id: str, college_id: str) -> None:
    """404 for another learner's or another college's learner data."""
    if principal.role is Role.LEARNER and principal.subject != learner_id:
        raise NotFound("Not found")
    if not sees_college(principal, college_id):
        raise NotFound("Not found")


def acting_learner(principal: Principal, learner_id: str | None, action: str) -> str:
    """Whose account a call acts on: a learner its own (naming another is 403); every other
    role names the learner (else 422 ``learner_id``)."""
    if principal.role is Role.LEARNER:
        if learner_id not in (None, principal.subject):
            raise Forbidden(f"A learner {action} only for itself")
        return principal.subject
    if learner_id is None:
        raise ValidationFailed(errors={"learner_id": ["Required for this role."]})
    return learner_id
