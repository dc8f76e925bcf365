"""Equivalence matching (PROGRAMMES.md § Domain model, *Equivalences*): whether an item's
outcomes recognise a course, through which equivalence, and the grade it suggests.

A course is recognised through the first of its equivalences, in document order, that the
item's outcomes match. Every kind but ``credits`` matches exactly one outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from creditbank.conversion import Outcome, OutcomeKind
from creditbank.conversion.judges import CERTIFICATE_RANK
from creditbank.domain.amounts import format_tenths
from creditbank.transfer.equivalence_documents import DEFAULT_GRADE, SCORE_GRADE
from creditbank.transfer.model import Banked, Course, Equivalence, EquivalenceKind


@dataclass(frozen=True)
class Match:
    """The equivalence a course is recognised through, and what an approval records."""

    equivalence: str  # its ref, "courses.WEB101.equivalences.0"
    online: bool
    suggested_grade: str


def match_course(course: Course, sources: Sequence[Banked]) -> Match | None:
    """The first equivalence of ``course`` that ``sources`` match, or None."""
    for equivalence in course.equivalences:
        if matches(equivalence, sources):
            grade = suggested_grade(equivalence, sources)
            return Match(equivalence.ref, equivalence.online, grade)
    return None


def matches(equivalence: Equivalence, sources: Sequence[Banked]) -> bool:
    if equivalence.kind is EquivalenceKind.CREDITS:
        return _credits_match(equivalence, sources)
    if len(sources) != 1 or sources[0].kind.value != equivalence.kind.value:
        return False
    return _SINGLE[equivalence.kind](equivalence, sources[0].outcome)


def suggested_grade(equivalence: Equivalence, sources: Sequence[Banked]) -> str:
    """A fixed word; ``score``: the course's own score; by level: the outcome's level's word,
    ``合格`` for a level the object leaves out."""
    grade = equivalence.grade
    outcome = sources[0].outcome
    if isinstance(grade, str):
        if grade == SCORE_GRADE:
            return str(outcome.score)
        return grade
    level = outcome.rank if outcome.kind is OutcomeKind.COMPETITION else outcome.level
    return grade.get(str(level), DEFAULT_GRADE) if level is not None else DEFAULT_GRADE


def requirement(equivalence: Equivalence) -> str:
    """What an equivalence needs, in words (for the ``invalid_source`` message)."""
    eq = equivalence
    if eq.kind is EquivalenceKind.CERTIFICATE:
        level = f" at level {eq.min_level} or higher" if eq.min_level else ""
        return f"one certificate {eq.certificate_code}{level}"
    if eq.kind is EquivalenceKind.SKILL_LEVEL:
        return (
            f"one skill level of occupation {eq.occupation_code} at level {eq.min_level} or higher"
        )
    if eq.kind is EquivalenceKind.COMPETITION:
        scopes = "/".join(sorted(eq.scopes))
        return f"one {scopes} competition award ranked {eq.max_rank} or better"
    if eq.kind is EquivalenceKind.COURSE:
        where = f" at {eq.institution}" if eq.institution else ""
        return f"one course {eq.course_code}{where} with a score of {eq.min_score} or more"
    return (
        f"credits of category {eq.category} adding up to {format_tenths(eq.min_credits)}, "
        "none superfluous"
    )


def no_match_message(course: Course) -> str:
    needs = "; or ".join(requirement(equivalence) for equivalence in course.equivalences)
    return f"Matches no equivalence of {course.code}: needs {needs}."


def _certificate(eq: Equivalence, outcome: Outcome) -> bool:
    if outcome.certificate_code != eq.certificate_code:
        return False
    if eq.min_level is None:
        return True
    level = outcome.level if isinstance(outcome.level, str) else None
    return CERTIFICATE_RANK.get(level, 0) >= CERTIFICATE_RANK[str(eq.min_level)]


def _skill_level(eq: Equivalence, outcome: Outcome) -> bool:
    level = outcome.level
    return (
        outcome.occupation_code == eq.occupation_code
        and isinstance(level, int)
        and isinstance(eq.min_level, int)
        and level <= eq.min_level  # 1, 高级技师, is the highest
    )


def _competition(eq: Equivalence, outcome: Outcome) -> bool:
    return outcome.scope in eq.scopes and outcome.rank is not None and outcome.rank <= eq.max_rank


def _course(eq: Equivalence, outcome: Outcome) -> bool:
    if outcome.course_code != eq.course_code or outcome.score is None:
        return False
    institution = (outcome.institution or "").strip()
    if eq.institution is not None and institution != eq.institution.strip():
        return False
    return outcome.score >= eq.min_score


def _credits_match(eq: Equivalence, sources: Sequence[Banked]) -> bool:
    """One or more outcomes of the category adding up to ``min_credits``, none superfluous:
    without the smallest of them the sum falls below it."""
    if not sources or any(source.category != eq.category for source in sources):
        return False
    amounts = [source.credits for source in sources]
    total = sum(amounts)
    return total >= eq.min_credits and total - min(amounts) < eq.min_credits


_SINGLE: dict[EquivalenceKind, Callable[[Equivalence, Outcome], bool]] = {
    EquivalenceKind.CERTIFICATE: _certificate,
    EquivalenceKind.SKILL_LEVEL: _skill_level,
    EquivalenceKind.COMPETITION: _competition,
    EquivalenceKind.COURSE: _course,
}
