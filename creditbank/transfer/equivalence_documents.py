"""One equivalence of a catalogue document: validation, defaults, and the rules' view of it
(PROGRAMMES.md § Domain model, *Equivalences*).

Every problem is reported at its dotted path (``courses.0.equivalences.1.min_score``) through
the ruleset documents' collector, so a catalogue answers exactly as a ruleset does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from creditbank.conversion.rulesets import (
    CERTIFICATE_LEVELS,
    COMPETITION_SCOPES,
    MAX_RANKS,
    SKILL_LEVELS,
)
from creditbank.domain.amounts import parse_tenths
from creditbank.domain.document_checks import (
    DocumentCheck as Check,  # one way to report a document's problems
)
from creditbank.transfer.model import Equivalence, EquivalenceKind, Grade

GRADE_WORDS = ("优秀", "良好", "中等", "合格")
DEFAULT_GRADE = "合格"
SCORE_GRADE = "score"  # the course outcome's own score, as a string
MAX_CODE = 64
MAX_INSTITUTION = 200
_CATEGORY = re.compile(r"[A-Za-z0-9_.-]{1,64}", re.ASCII)  # as outcomes spell categories
KINDS = tuple(kind.value for kind in EquivalenceKind)
COMMON = ("kind", "online", "grade")
FIELDS: dict[EquivalenceKind, tuple[str, ...]] = {
    EquivalenceKind.CERTIFICATE: ("certificate_code", "min_level"),
    EquivalenceKind.SKILL_LEVEL: ("occupation_code", "min_level"),
    EquivalenceKind.COMPETITION: ("scopes", "max_rank"),
    EquivalenceKind.COURSE: ("course_code", "institution", "min_score"),
    EquivalenceKind.CREDITS: ("category", "min_credits"),
}
# The levels a grade object may name, by kind: certificate levels, skill levels, ranks.
GRADE_LEVELS: dict[EquivalenceKind, tuple[str, ...]] = {
    EquivalenceKind.CERTIFICATE: CERTIFICATE_LEVELS,
    EquivalenceKind.SKILL_LEVEL: SKILL_LEVELS,
    EquivalenceKind.COMPETITION: tuple(str(rank) for rank in range(1, MAX_RANKS + 1)),
}


def validate_equivalence(check: Check, value: object, path: str) -> dict[str, Any] | None:
    """The normalised equivalence (every field of its kind, defaults filled), or None."""
    if not isinstance(value, Mapping):
        check.fail(path, "must be an object")
        return None
    kind = _kind(check, value.get("kind"), f"{path}.kind")
    if kind is None:
        return None
    given = check.fields(value, path, (*COMMON, *FIELDS[kind]))
    normal: dict[str, Any] = {"kind": kind.value}
    normal.update(_FIELD_RULES[kind](check, given, path))
    normal["online"] = _online(check, given.get("online"), f"{path}.online")
    normal["grade"] = _grade(check, kind, given.get("grade"), f"{path}.grade")
    return normal


def equivalence_from_document(ref: str, normal: Mapping[str, Any]) -> Equivalence:
    """The rules' view of a normalised equivalence."""
    kind = EquivalenceKind(normal["kind"])
    fields: dict[str, Any] = {name: normal[name] for name in FIELDS[kind]}
    if kind is EquivalenceKind.COMPETITION:
        fields["scopes"] = frozenset(normal["scopes"])
    if kind is EquivalenceKind.CREDITS:
        fields["min_credits"] = parse_tenths(normal["min_credits"])
    return Equivalence(ref=ref, kind=kind, grade=normal["grade"], online=normal["online"], **fields)


def _kind(check: Check, value: object, path: str) -> EquivalenceKind | None:
    if isinstance(value, str) and value in KINDS:
        return EquivalenceKind(value)
    check.fail(path, "must be one of " + ", ".join(KINDS))
    return None


def _certificate(check: Check, given: Mapping[str, Any], path: str) -> dict[str, Any]:
    level = given.get("min_level")
    if level is not None and level not in CERTIFICATE_LEVELS:
        check.fail(f"{path}.min_level", "must be junior, intermediate or senior (or left out)")
    return {
        "certificate_code": _code(check, given.get("certificate_code"), f"{path}.certificate_code"),
        "min_level": level,
    }


def _skill_level(check: Check, given: Mapping[str, Any], path: str) -> dict[str, Any]:
    level = given.get("min_level")
    return {
        "occupation_code": _code(check, given.get("occupation_code"), f"{path}.occupation_code"),
        "min_level": 5 if level is None else check.whole(level, f"{path}.min_level", 1, 5),
    }


def _competition(check: Check, given: Mapping[str, Any], path: str) -> dict[str, Any]:
    scopes = given.get("scopes")
    rank = given.get("max_rank")
    listed = list(scopes) if isinstance(scopes, list | tuple) else []
    known = all(scope in COMPETITION_SCOPES for scope in listed)
    if not listed or not known or len(set(listed)) < len(listed):
        check.fail(
            f"{path}.scopes", "must list national, provincial, municipal or county, once each"
        )
    return {
        "scopes": [scope for scope in COMPETITION_SCOPES if scope in listed],
        "max_rank": MAX_RANKS if rank is None else check.whole(rank, f"{path}.max_rank", 1, 3),
    }


def _course(check: Check, given: Mapping[str, Any], path: str) -> dict[str, Any]:
    institution = given.get("institution")
    score = given.get("min_score")
    return {
        "course_code": _code(check, given.get("course_code"), f"{path}.course_code"),
        "institution": None
        if institution is None
        else _text(check, institution, f"{path}.institution", MAX_INSTITUTION),
        "min_score": 60 if score is None else check.whole(score, f"{path}.min_score", 60, 100),
    }


def _credits(check: Check, given: Mapping[str, Any], path: str) -> dict[str, Any]:
    category = given.get("category")
    if not isinstance(category, str) or not _CATEGORY.fullmatch(category):
        check.fail(f"{path}.category", "must be a category of 1–64 letters, digits, _ . or -")
    minimum = given.get("min_credits")
    if minimum is None:
        check.fail(f"{path}.min_credits", "required")
    return {
        "category": category,
        "min_credits": None
        if minimum is None
        else check.amount(minimum, f"{path}.min_credits", positive=True),
    }


_FIELD_RULES: dict[EquivalenceKind, Callable[[Check, Mapping[str, Any], str], dict[str, Any]]] = {
    EquivalenceKind.CERTIFICATE: _certificate,
    EquivalenceKind.SKILL_LEVEL: _skill_level,
    EquivalenceKind.COMPETITION: _competition,
    EquivalenceKind.COURSE: _course,
    EquivalenceKind.CREDITS: _credits,
}


def _grade(check: Check, kind: EquivalenceKind, value: object, path: str) -> Grade | None:
    if value is None or value in GRADE_WORDS:
        return DEFAULT_GRADE if value is None else str(value)
    if value == SCORE_GRADE and kind is EquivalenceKind.COURSE:
        return SCORE_GRADE
    levels = GRADE_LEVELS.get(kind)
    if isinstance(value, Mapping) and levels is not None:
        return _grade_by_level(check, value, levels, path)
    allowed = ["one of " + "/".join(GRADE_WORDS)]
    if kind is EquivalenceKind.COURSE:
        allowed.append('"score"')
    if levels is not None:
        allowed.append("an object of those words by " + "/".join(levels))
    check.fail(path, "must be " + ", or ".join(allowed))
    return None


def _grade_by_level(
    check: Check, value: Mapping[Any, Any], levels: tuple[str, ...], path: str
) -> dict[str, str]:
    normal = {}
    for level, word in value.items():
        if str(level) not in levels:
            check.fail(f"{path}.{level}", "must be one of " + ", ".join(levels))
        elif word not in GRADE_WORDS:
            check.fail(f"{path}.{level}", "must be one of " + "/".join(GRADE_WORDS))
        else:
            normal[str(level)] = str(word)
    return {level: normal[level] for level in levels if level in normal}


def _online(check: Check, value: object, path: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    check.fail(path, "must be true or false")
    return False


def _code(check: Check, value: object, path: str) -> str | None:
    if value is None:
        check.fail(path, "required")
        return None
    return _text(check, value, path, MAX_CODE)


def _text(check: Check, value: object, path: str, longest: int) -> str | None:
    if isinstance(value, str) and value.strip() and len(value.strip()) <= longest:
        return value.strip()
    check.fail(path, f"must be text of 1–{longest} characters")
    return None
