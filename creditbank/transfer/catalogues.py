"""Catalogue documents (PROGRAMMES.md § Domain model, *Catalogues*): validation naming every
bad path, normalisation with the defaults filled in, and the catalogue in force."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from creditbank.domain.amounts import parse_tenths

# The ruleset documents' collector, and their name and effective_from rules, which catalogues
# share word for word (one way of validating a versioned document).
from creditbank.domain.document_checks import DocumentCheck as Check
from creditbank.domain.document_checks import check_effective_from, check_name
from creditbank.transfer.equivalence_documents import (
    equivalence_from_document,
    validate_equivalence,
)
from creditbank.transfer.model import Catalogue, CatalogueCaps, Course, CourseKind

FIELDS = ("name", "effective_from", "total_credits", "caps", "courses")
COURSE_FIELDS = ("code", "name", "credits", "kind", "equivalences")
CAP_FIELDS = ("share_percent", "online_share_percent", "per_source")
# Guangdong's common rules: at most half of the graduation credits, a quarter from online
# courses, 8 credits from one certificate (PROGRAMMES.md § Domain model, *Defaults*).
DEFAULT_CAPS: dict[str, Any] = {
    "share_percent": 50,
    "online_share_percent": 25,
    "per_source": "8.0",
}
MAX_TOTAL_CREDITS = 3000  # tenths: 300.0
MAX_COURSE_CREDITS = 300  # tenths: 30.0
MAX_COURSES = 500
MAX_EQUIVALENCES = 20
MAX_COURSE_NAME = 100
_COURSE_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}", re.ASCII)  # no dot: refs are dotted paths


class CatalogueInvalid(ValueError):
    """A catalogue document with problems; ``errors`` maps each dotted path to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("invalid catalogue: " + ", ".join(sorted(errors)))
        self.errors = errors


def validate_catalogue_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The normalised document (defaults filled, amounts as ``"4.0"``), or CatalogueInvalid."""
    if not isinstance(document, Mapping):
        raise CatalogueInvalid({"_schema": ["must be an object"]})
    check = Check()
    given = check.fields(document, "", FIELDS)
    normal = {
        "name": check_name(check, given.get("name")),
        "effective_from": check_effective_from(check, given.get("effective_from")),
        "total_credits": _credits(
            check, given.get("total_credits"), "total_credits", MAX_TOTAL_CREDITS
        ),
        "caps": _caps(check, given.get("caps")),
        "courses": _courses(check, given.get("courses")),
    }
    if check.errors:
        raise CatalogueInvalid(check.errors)
    return normal


def catalogue_from_document(
    id: str, programme_id: str, version: int, document: Mapping[str, Any]
) -> Catalogue:
    """The rules' view of a catalogue document (validated again, so a raw one is refused)."""
    normal = validate_catalogue_document(document)
    caps = normal["caps"]
    per_source = caps["per_source"]
    return Catalogue(
        id=id,
        programme_id=programme_id,
        version=version,
        name=normal["name"],
        effective_from=datetime.fromisoformat(normal["effective_from"]).astimezone(UTC),
        total_credits=parse_tenths(normal["total_credits"]),
        caps=CatalogueCaps(
            share_percent=caps["share_percent"],
            online_share_percent=caps["online_share_percent"],
            per_source=None if per_source is None else parse_tenths(per_source),
        ),
        courses=tuple(_course_from_document(course) for course in normal["courses"]),
    )


def catalogue_in_force(catalogues: Iterable[Catalogue], instant: datetime) -> Catalogue | None:
    """The catalogue with the latest ``effective_from`` ≤ ``instant``; a tie goes to the higher
    version (the ruleset rule). None when none is in force yet."""
    if instant.tzinfo is None:
        raise ValueError("instants must carry a time zone")
    in_force = [catalogue for catalogue in catalogues if catalogue.effective_from <= instant]
    return max(in_force, key=lambda c: (c.effective_from, c.version), default=None)


def equivalence_ref(course_code: str, index: int) -> str:
    """``courses.<code>.equivalences.<index>``, like a ruleset's ``rule``."""
    return f"courses.{course_code}.equivalences.{index}"


def _course_from_document(normal: Mapping[str, Any]) -> Course:
    code = normal["code"]
    return Course(
        code=code,
        name=normal["name"],
        credits=parse_tenths(normal["credits"]),
        kind=CourseKind(normal["kind"]),
        equivalences=tuple(
            equivalence_from_document(equivalence_ref(code, index), equivalence)
            for index, equivalence in enumerate(normal["equivalences"])
        ),
    )


def _caps(check: Check, value: object) -> dict[str, Any]:
    given = check.fields({} if value is None else value, "caps", CAP_FIELDS)
    normal = {}
    for name in ("share_percent", "online_share_percent"):
        percent = given.get(name)
        path = f"caps.{name}"
        normal[name] = DEFAULT_CAPS[name] if percent is None else check.whole(percent, path, 0, 100)
    # per_source: left out is the default; null is no cap at all.
    per_source = given.get("per_source", DEFAULT_CAPS["per_source"])
    normal["per_source"] = (
        None if per_source is None else check.amount(per_source, "caps.per_source")
    )
    return normal


def _courses(check: Check, value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list | tuple) or not 1 <= len(value) <= MAX_COURSES:
        check.fail("courses", f"must be a list of 1–{MAX_COURSES} courses")
        return []
    courses = [_course(check, course, f"courses.{index}") for index, course in enumerate(value)]
    first_index: dict[str, int] = {}
    for index, course in enumerate(courses):
        code = course.get("code")
        if code is not None and code in first_index:
            check.fail(f"courses.{index}.code", f"given twice (also courses.{first_index[code]})")
        elif code is not None:
            first_index[code] = index
    return courses


def _course(check: Check, value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        check.fail(path, "must be an object")
        return {}
    given = check.fields(value, path, COURSE_FIELDS)
    code = given.get("code")
    if not isinstance(code, str) or not _COURSE_CODE.fullmatch(code):
        check.fail(f"{path}.code", "must be 1–32 letters, digits, _ or - (no dots)")
        code = None
    name = given.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_COURSE_NAME:
        check.fail(f"{path}.name", f"must be text of 1–{MAX_COURSE_NAME} characters")
    kind = given.get("kind")
    kind = CourseKind.THEORY.value if kind is None else kind
    if kind not in (CourseKind.THEORY.value, CourseKind.PRACTICE.value):
        check.fail(f"{path}.kind", "must be theory or practice")
    return {
        "code": code,
        "name": name.strip() if isinstance(name, str) else None,
        "credits": _credits(check, given.get("credits"), f"{path}.credits", MAX_COURSE_CREDITS),
        "kind": kind,
        "equivalences": _equivalences(check, given.get("equivalences"), path),
    }


def _equivalences(check: Check, value: object, course_path: str) -> list[dict[str, Any] | None]:
    path = f"{course_path}.equivalences"
    listed = [] if value is None else value
    if not isinstance(listed, list | tuple) or len(listed) > MAX_EQUIVALENCES:
        check.fail(path, f"must be a list of at most {MAX_EQUIVALENCES} equivalences")
        return []
    return [
        validate_equivalence(check, item, f"{path}.{index}") for index, item in enumerate(listed)
    ]


def _credits(check: Check, value: object, path: str, most: int) -> str | None:
    """An amount greater than 0 and at most ``most`` tenths, normalised (``"4.0"``)."""
    if value is None:
        check.fail(path, "required")
        return None
    amount = check.amount(value, path, positive=True)
    if amount is not None and parse_tenths(amount) > most:
        check.fail(path, f"must be at most {most // 10}.{most % 10}")
        return None
    return amount
