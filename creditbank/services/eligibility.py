"""The eligibility preview (PROGRAMMES.md § Eligibility preview): what a learner could offer
for each course of a programme's catalogue in force now, and the room left under its caps.
It writes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from creditbank.domain.amounts import format_tenths
from creditbank.domain.errors import NoCatalogue, NotFound
from creditbank.domain.roles import Principal, Role
from creditbank.extensions import db
from creditbank.models import Account
from creditbank.services.applications import enrolled
from creditbank.services.catalogue_reads import catalogue_in_force_for
from creditbank.services.college_scope import acting_learner, get_programme
from creditbank.services.transaction import utcnow
from creditbank.services.transfer_state import (
    banked_of,
    claims_of,
    items_of,
    ledger_of,
    outcomes_of,
    pending_courses,
)
from creditbank.transfer import Catalogue, CourseEligibility, Eligibility, eligibility


def preview(principal: Principal, programme_id: str, learner_id: str | None) -> dict[str, Any]:
    session = db.session()
    now = utcnow()
    programme = get_programme(session, programme_id)
    learner_id = acting_learner(principal, learner_id, "previews")
    if session.get(Account, learner_id) is None:
        raise NotFound("No such learner")
    if principal.role is Role.COLLEGE and (
        principal.college_id != programme.college_id
        or not enrolled(session, learner_id, programme.id, now)
    ):
        # A college previews only its own students (an open enrolment in its programme).
        raise NotFound("No such learner")
    catalogue = catalogue_in_force_for(session, programme.id, now)
    if catalogue is None:
        raise NoCatalogue(f"{programme.name} has no catalogue in force")
    is_enrolled = enrolled(session, learner_id, programme.id, now)
    return evaluate(session, learner_id, catalogue, is_enrolled)


def evaluate(
    session: Session, learner_id: str, catalogue: Catalogue, is_enrolled: bool
) -> dict[str, Any]:
    """The preview under ``catalogue`` (the one in force, or the one an application was filed
    under: the room its caps leave now)."""
    outcomes = outcomes_of(session, learner_id)
    result = eligibility(
        catalogue,
        banked_of(session, learner_id, outcomes),
        ledger_of(session, learner_id, outcomes),
        claims_of(session, learner_id),
        pending_courses(catalogue.programme_id, items_of(session, learner_id)),
    )
    return _view(learner_id, result, is_enrolled)


def _view(learner_id: str, result: Eligibility, is_enrolled: bool) -> dict[str, Any]:
    catalogue = result.catalogue
    per_source = catalogue.caps.per_source
    return {
        "learner_id": learner_id,
        "programme_id": catalogue.programme_id,
        "catalogue_id": catalogue.id,
        "catalogue_version": catalogue.version,
        "enrolled": is_enrolled,
        "caps": {
            "total_credits": format_tenths(catalogue.total_credits),
            "share_cap": format_tenths(catalogue.share_cap),
            "online_cap": format_tenths(catalogue.online_cap),
            "per_source": None if per_source is None else format_tenths(per_source),
        },
        "recognised": format_tenths(result.recognised),
        "recognised_online": format_tenths(result.recognised_online),
        "remaining": format_tenths(result.remaining),
        "remaining_online": format_tenths(result.remaining_online),
        "courses": [_course(course) for course in result.courses],
    }


def _course(course: CourseEligibility) -> dict[str, Any]:
    view: dict[str, Any] = {
        "course_code": course.course.code,
        "course_name": course.course.name,
        "course_credits": format_tenths(course.course.credits),
        "kind": course.course.kind.value,
        "status": course.status.value,
        "options": [
            {
                "equivalence": option.equivalence,
                "outcome_ids": list(option.outcome_ids),
                "claim_keys": list(option.claim_keys),
                "bank_credits": format_tenths(option.bank_credits),
                "grade": option.grade,
                "online": option.online,
            }
            for option in course.options
        ],
    }
    if course.application_id is not None:
        view["application_id"] = course.application_id
    return view
