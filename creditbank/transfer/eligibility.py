"""The eligibility preview (PROGRAMMES.md § Eligibility preview): for each course of the
catalogue in force, what the learner could offer for it now, and the room left under the caps.
It writes nothing, and options are not combined against the caps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from creditbank.transfer.decisions import room
from creditbank.transfer.ledger import Ledger, key_lines
from creditbank.transfer.matching import matches, suggested_grade
from creditbank.transfer.model import Banked, Catalogue, Course, Equivalence, EquivalenceKind
from creditbank.transfer.sources import claim_key, superseded_by


class CourseStatus(StrEnum):
    ELIGIBLE = "eligible"
    RECOGNISED = "recognised"
    IN_APPLICATION = "in_application"
    NOT_ELIGIBLE = "not_eligible"
    NO_EQUIVALENCE = "no_equivalence"


@dataclass(frozen=True)
class Option:
    """One way to apply for a course with unclaimed outcomes."""

    equivalence: str
    outcome_ids: tuple[str, ...]
    claim_keys: tuple[str, ...]
    bank_credits: int  # what approving would debit now
    grade: str
    online: bool


@dataclass(frozen=True)
class CourseEligibility:
    course: Course
    status: CourseStatus
    options: tuple[Option, ...] = ()
    application_id: str | None = None  # in_application: where it is pending


@dataclass(frozen=True)
class Eligibility:
    catalogue: Catalogue
    recognised: int  # course credits approved in the programme
    recognised_online: int
    remaining: int  # under the share cap
    remaining_online: int
    courses: tuple[CourseEligibility, ...]


def eligibility(
    catalogue: Catalogue,
    banked: Mapping[str, Banked],
    ledger: Ledger,
    claims: Mapping[str, str],
    pending_courses: Mapping[str, str],
) -> Eligibility:
    """The preview under ``catalogue``. ``claims`` maps the learner's held keys to their
    application; ``pending_courses`` the codes pending in the programme to theirs."""
    programme = catalogue.programme_id
    recognised = ledger.recognised_courses(programme)
    candidates = _unclaimed(banked, claims)
    courses = []
    for course in catalogue.courses:
        if course.code in recognised:
            courses.append(CourseEligibility(course, CourseStatus.RECOGNISED))
        elif course.code in pending_courses:
            application = pending_courses[course.code]
            courses.append(
                CourseEligibility(course, CourseStatus.IN_APPLICATION, application_id=application)
            )
        else:
            courses.append(_course(course, candidates, banked))
    remaining, remaining_online = room(catalogue, ledger)
    return Eligibility(
        catalogue=catalogue,
        recognised=ledger.recognised(programme),
        recognised_online=ledger.recognised(programme, online=True),
        remaining=remaining,
        remaining_online=remaining_online,
        courses=tuple(courses),
    )


def _course(
    course: Course, candidates: Sequence[Banked], banked: Mapping[str, Banked]
) -> CourseEligibility:
    if not course.equivalences:
        return CourseEligibility(course, CourseStatus.NO_EQUIVALENCE)
    options = tuple(
        _option(equivalence, sources, banked)
        for equivalence in course.equivalences
        for sources in _offers(equivalence, candidates)
    )
    status = CourseStatus.ELIGIBLE if options else CourseStatus.NOT_ELIGIBLE
    return CourseEligibility(course, status, options)


def _unclaimed(banked: Mapping[str, Banked], claims: Mapping[str, str]) -> list[Banked]:
    """Spendable outcomes whose key nobody holds; of a line, only its highest."""
    return sorted(
        (
            source
            for source in banked.values()
            if source.spendable
            and claim_key(source.outcome) not in claims
            and superseded_by(source, banked) is None
        ),
        key=lambda source: source.seq,
    )


def _offers(equivalence: Equivalence, candidates: Sequence[Banked]) -> list[list[Banked]]:
    """Each outcome that matches on its own; for ``credits``, the fewest outcomes of the
    category, largest first (ties: lower seq), until they reach ``min_credits``."""
    if equivalence.kind is not EquivalenceKind.CREDITS:
        return [[source] for source in candidates if matches(equivalence, [source])]
    chosen: list[Banked] = []
    of_category = [c for c in candidates if c.category == equivalence.category]
    for source in sorted(of_category, key=lambda c: (-c.credits, c.seq)):
        chosen.append(source)
        if sum(c.credits for c in chosen) >= equivalence.min_credits:
            return [chosen] if matches(equivalence, chosen) else []
    return []


def _option(
    equivalence: Equivalence, sources: Sequence[Banked], banked: Mapping[str, Banked]
) -> Option:
    lines = [line for source in sources for line in key_lines(source, banked)]
    return Option(
        equivalence=equivalence.ref,
        outcome_ids=tuple(source.outcome_id for source in sources),
        claim_keys=tuple(dict.fromkeys(claim_key(source.outcome) for source in sources)),
        bank_credits=sum(line.amount for line in lines),
        grade=suggested_grade(equivalence, sources),
        online=equivalence.online,
    )
