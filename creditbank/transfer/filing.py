"""Filing an application (PROGRAMMES.md § Endpoints, *Applications*): each item's course, its
sources and the equivalence they match, then the claims; and what an application's items say
about it afterwards (held keys, status, certificate number).

The services check, in the documented order, what needs the database (learner, programme,
idempotency, disabled, catalogue in force, enrolment) between :func:`file_items` and
:func:`check_claims`; no cap is checked at filing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from creditbank.conversion import shanghai_year
from creditbank.transfer.ledger import Ledger
from creditbank.transfer.matching import match_course, no_match_message
from creditbank.transfer.model import Banked, Catalogue, Course, Item, ItemStatus
from creditbank.transfer.refusals import Problem, Refusal, refused
from creditbank.transfer.sources import claim_key, claim_keys, source_problem

Errors = dict[str, list[str]]


@dataclass(frozen=True)
class ItemRequest:
    """One item of a filing as the learner sends it (shape already checked by intake)."""

    course_code: str
    outcome_ids: tuple[str, ...]


@dataclass(frozen=True)
class FiledItem:
    """An item ready to be written: the course copied from the catalogue and its match."""

    course: Course
    outcome_ids: tuple[str, ...]
    claim_keys: tuple[str, ...]
    equivalence: str
    online: bool
    suggested_grade: str


def file_items(
    catalogue: Catalogue, requests: Sequence[ItemRequest], banked: Mapping[str, Banked]
) -> tuple[FiledItem, ...] | Refusal:
    """Courses in the catalogue (else ``validation_error``), then every item's sources and
    match (else ``invalid_source``), each naming every bad path at once."""
    courses = [catalogue.course(request.course_code) for request in requests]
    missing: Errors = {
        f"items.{i}.course_code": [f"{request.course_code} is not a course of {catalogue.name}."]
        for i, (request, course) in enumerate(zip(requests, courses, strict=True))
        if course is None
    }
    if missing:
        return refused(Problem.VALIDATION_ERROR, "The request is not valid", missing)
    filed, errors = [], {}
    for i, (request, course) in enumerate(zip(requests, courses, strict=True)):
        assert course is not None
        result = _file_item(course, request.outcome_ids, banked, f"items.{i}")
        if isinstance(result, FiledItem):
            filed.append(result)
        else:
            errors.update(result)
    if errors:
        return refused(Problem.INVALID_SOURCE, "The request is not valid", errors)
    return tuple(filed)


def _file_item(
    course: Course, outcome_ids: Sequence[str], banked: Mapping[str, Banked], path: str
) -> FiledItem | Errors:
    if not course.equivalences:
        return {
            path: [f"{course.code} has no equivalence: a later catalogue version must add one."]
        }
    errors = _source_errors(outcome_ids, banked, path)
    if errors:
        return errors
    sources = [banked[oid] for oid in outcome_ids]
    match = match_course(course, sources)
    if match is None:
        return {path: [no_match_message(course)]}
    keys = claim_keys(outcome_ids, banked)
    return FiledItem(
        course, tuple(outcome_ids), keys, match.equivalence, match.online, match.suggested_grade
    )


def _source_errors(outcome_ids: Sequence[str], banked: Mapping[str, Banked], path: str) -> Errors:
    """Each outcome's first failure; then at most one outcome per line (and each once)."""
    errors: Errors = {}
    seen: dict[str, str] = {}  # claim key -> the outcome that named it first
    for j, oid in enumerate(outcome_ids):
        problem = source_problem(oid, banked)
        if problem is None:
            key = claim_key(banked[oid].outcome)
            if key in seen:
                problem = f"{oid} is on {key} with {seen[key]}: name one outcome per line, once."
            seen.setdefault(key, oid)
        if problem is not None:
            errors[f"{path}.outcome_ids.{j}"] = [problem]
    return errors


def check_claims(
    filed: Sequence[FiledItem],
    claims: Mapping[str, str],
    ledger: Ledger,
    programme_id: str,
    pending_courses: Mapping[str, str],
) -> Refusal | None:
    """After the enrolment: a key held by another application (``outcome_claimed``), a course
    approved already in the programme (``course_already_recognised``), a course pending in
    another application (``course_in_application``).

    ``claims`` maps each of the learner's held keys to its application; ``pending_courses`` the
    course codes of the learner's pending items in the programme to their application.
    """
    claimed = _claimed(filed, claims)
    if claimed:
        return refused(
            Problem.OUTCOME_CLAIMED, "An outcome is held by another application.", claimed
        )
    recognised = ledger.recognised_courses(programme_id)
    done = _course_errors(filed, lambda code: "recognised already" if code in recognised else None)
    if done:
        return refused(Problem.COURSE_ALREADY_RECOGNISED, "A course is recognised already.", done)
    pending = _course_errors(filed, lambda code: _pending_in(pending_courses.get(code)))
    if pending:
        return refused(
            Problem.COURSE_IN_APPLICATION, "A course is pending in another application.", pending
        )
    return None


def _claimed(filed: Sequence[FiledItem], claims: Mapping[str, str]) -> Errors:
    errors: Errors = {}
    for i, item in enumerate(filed):
        # Filing left one outcome per key, so the keys pair with the outcomes in order.
        for j, (oid, key) in enumerate(zip(item.outcome_ids, item.claim_keys, strict=True)):
            holder = claims.get(key)
            if holder is not None:
                errors[f"items.{i}.outcome_ids.{j}"] = [f"{oid} is held by application {holder}."]
    return errors


def _course_errors(filed: Sequence[FiledItem], why: Callable[[str], str | None]) -> Errors:
    errors: Errors = {}
    for i, item in enumerate(filed):
        reason = why(item.course.code)
        if reason is not None:
            errors[f"items.{i}.course_code"] = [f"{item.course.code} is {reason}."]
    return errors


def _pending_in(application_id: str | None) -> str | None:
    return None if application_id is None else f"pending in application {application_id}"


def held_keys(items: Iterable[Item]) -> set[str]:
    """The keys an application still holds: those named by an item pending or approved. The
    rest of its claims are released (rejected, withdrawn, revoked)."""
    return {key for item in items if item.live for key in item.claim_keys}


def application_status(statuses: Iterable[ItemStatus]) -> str:
    """``pending`` while any item is; ``withdrawn`` when all were withdrawn; else ``closed``."""
    listed = list(statuses)
    if ItemStatus.PENDING in listed:
        return "pending"
    if all(status is ItemStatus.WITHDRAWN for status in listed):
        return "withdrawn"
    return "closed"


def certificate_number(school_code: str, closed_at: datetime, serial: int) -> str:
    """``<school_code>-<Shanghai year>-<5-digit serial>``: ``CQ1024-2026-00001``."""
    return f"{school_code}-{shanghai_year(closed_at)}-{serial:05d}"
