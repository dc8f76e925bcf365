"""Ruleset documents (API.md § Rulesets): validation, normalisation and the ruleset in force."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from creditbank.conversion.model import Caps, Ruleset
from creditbank.domain.amounts import parse_tenths
from creditbank.domain.document_checks import DocumentCheck, check_effective_from, check_name

CERTIFICATE_LEVELS = ("junior", "intermediate", "senior")
COMPETITION_SCOPES = ("national", "provincial", "municipal", "county")
SKILL_LEVELS = ("1", "2", "3", "4", "5")
MAX_RANKS = 3
DEFAULTS: dict[str, Any] = {
    "credit_step": "0.5",
    "validity_years": 5,
    "hours_per_credit": {},
    "certificates": {},
    "skill_levels": {},
    "competitions": {},
    "course_min_score": 60,
    "caps": {"per_year": None, "per_category": {}},
}
FIELDS = ("name", "effective_from", *DEFAULTS)


class RulesetInvalid(ValueError):
    """A ruleset document with problems; ``errors`` maps each dotted path to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("invalid ruleset: " + ", ".join(sorted(errors)))
        self.errors = errors


def validate_ruleset_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The normalised document (defaults filled, amounts as ``"2.0"``), or RulesetInvalid."""
    if not isinstance(document, Mapping):
        raise RulesetInvalid({"_schema": ["must be an object"]})
    check = DocumentCheck()
    given = check.fields(document, "", FIELDS)
    # null means left out, as for every optional field in the API.
    values = {key: given.get(key) for key in FIELDS}
    values.update({key: DEFAULTS[key] for key in DEFAULTS if values[key] is None})
    normal = {
        "name": check_name(check, values["name"]),
        "effective_from": check_effective_from(check, values["effective_from"]),
        "credit_step": check.amount(values["credit_step"], "credit_step", positive=True),
        "validity_years": check.whole(values["validity_years"], "validity_years", 1, 100),
        "hours_per_credit": _hours_per_credit(check, values["hours_per_credit"]),
        "certificates": _certificates(check, values["certificates"]),
        "skill_levels": _skill_levels(check, values["skill_levels"]),
        "competitions": _competitions(check, values["competitions"]),
        "course_min_score": check.whole(values["course_min_score"], "course_min_score", 0, 100),
        "caps": _caps(check, values["caps"]),
    }
    if check.errors:
        raise RulesetInvalid(check.errors)
    return normal


def _hours_per_credit(check: DocumentCheck, value: object) -> dict[str, str | None]:
    table = check.table(value, "hours_per_credit")
    return {
        category: check.amount(hours, f"hours_per_credit.{category}", positive=True)
        for category, hours in table.items()
    }


def _certificates(check: DocumentCheck, value: object) -> dict[str, Any]:
    normal: dict[str, Any] = {}
    for code, entry in check.table(value, "certificates").items():
        path = f"certificates.{code}"
        if not isinstance(entry, Mapping):
            normal[code] = check.amount(entry, path)  # a code without levels
            continue
        if not entry:
            check.fail(path, "must give one amount, or amounts for junior/intermediate/senior")
        normal[code] = {}
        for level, amount in entry.items():
            if level in CERTIFICATE_LEVELS:
                normal[code][level] = check.amount(amount, f"{path}.{level}")
            else:
                check.fail(f"{path}.{level}", "must be junior, intermediate or senior")
    return normal


def _skill_levels(check: DocumentCheck, value: object) -> dict[str, str | None]:
    if not isinstance(value, Mapping):
        check.fail("skill_levels", "must be an object")
        return {}
    normal = {}
    for key, amount in value.items():
        level = str(key) if isinstance(key, int) and not isinstance(key, bool) else key
        if level not in SKILL_LEVELS:
            check.fail(f"skill_levels.{key}", "must be a level from 1 (highest) to 5 (lowest)")
        elif level in normal:
            check.fail(f"skill_levels.{level}", "given twice")
        else:
            normal[level] = check.amount(amount, f"skill_levels.{level}")
    return normal


def _competitions(check: DocumentCheck, value: object) -> dict[str, list[str | None]]:
    if not isinstance(value, Mapping):
        check.fail("competitions", "must be an object")
        return {}
    normal = {}
    for scope, by_rank in value.items():
        path = f"competitions.{scope}"
        if scope not in COMPETITION_SCOPES:
            check.fail(path, "must be national, provincial, municipal or county")
        elif not isinstance(by_rank, list | tuple):
            check.fail(path, "must be a list of amounts by rank (first prize first)")
        elif len(by_rank) > MAX_RANKS:
            check.fail(path, f"must list at most {MAX_RANKS} ranks")
        else:
            normal[scope] = [
                check.amount(amount, f"{path}.{rank}") for rank, amount in enumerate(by_rank, 1)
            ]
    return normal


def _caps(check: DocumentCheck, value: object) -> dict[str, Any]:
    caps = check.fields(value, "caps", ("per_year", "per_category"))
    per_year = caps.get("per_year")
    per_category = caps.get("per_category")
    table = check.table({} if per_category is None else per_category, "caps.per_category")
    return {
        "per_year": None if per_year is None else check.amount(per_year, "caps.per_year"),
        "per_category": {
            category: check.amount(amount, f"caps.per_category.{category}")
            for category, amount in table.items()
        },
    }


def ruleset_from_document(id: str, version: int, document: Mapping[str, Any]) -> Ruleset:
    """The engine's view of a ruleset document (validated again, so a raw one is refused)."""
    normal = validate_ruleset_document(document)
    certificates: dict[str, dict[str | None, int]] = {
        code: {None: parse_tenths(entry)}
        if isinstance(entry, str)
        else {level: parse_tenths(amount) for level, amount in entry.items()}
        for code, entry in normal["certificates"].items()
    }
    caps = normal["caps"]
    return Ruleset(
        id=id,
        version=version,
        name=normal["name"],
        effective_from=datetime.fromisoformat(normal["effective_from"]).astimezone(UTC),
        credit_step=parse_tenths(normal["credit_step"]),
        validity_years=normal["validity_years"],
        hours_per_credit=_tenths_table(normal["hours_per_credit"]),
        certificates=certificates,
        skill_levels={int(k): parse_tenths(v) for k, v in normal["skill_levels"].items()},
        competitions={
            scope: tuple(parse_tenths(amount) for amount in by_rank)
            for scope, by_rank in normal["competitions"].items()
        },
        course_min_score=normal["course_min_score"],
        caps=Caps(
            per_year=None if caps["per_year"] is None else parse_tenths(caps["per_year"]),
            per_category=_tenths_table(caps["per_category"]),
        ),
    )


def ruleset_in_force(rulesets: Iterable[Ruleset], instant: datetime) -> Ruleset | None:
    """The ruleset with the latest ``effective_from`` ≤ ``instant``; a tie goes to the higher
    version. None when none is in force yet."""
    if instant.tzinfo is None:
        raise ValueError("instants must carry a time zone")
    in_force = [ruleset for ruleset in rulesets if ruleset.effective_from <= instant]
    return max(in_force, key=lambda r: (r.effective_from, r.version), default=None)


def _tenths_table(table: Mapping[str, str]) -> dict[str, int]:
    return {key: parse_tenths(amount) for key, amount in table.items()}
