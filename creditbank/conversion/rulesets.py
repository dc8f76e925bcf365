"""Ruleset documents (API.md § Rulesets): validation, normalisation and the ruleset in force."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from creditbank.conversion.model import Caps, Ruleset
from creditbank.domain.amounts import AmountError, format_tenths, parse_tenths

CERTIFICATE_LEVELS = ("junior", "intermediate", "senior")
COMPETITION_SCOPES = ("national", "provincial", "municipal", "county")
SKILL_LEVELS = ("1", "2", "3", "4", "5")
MAX_RANKS = 3
MAX_NAME = 200
MAX_KEY = 64
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
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


class RulesetInvalid(ValueError):
    """A ruleset document with problems; ``errors`` maps each dotted path to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("invalid ruleset: " + ", ".join(sorted(errors)))
        self.errors = errors


class _Check:
    """Collects every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def fail(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def fields(self, value: object, path: str, allowed: Iterable[str]) -> Mapping[str, Any]:
        """An object with only ``allowed`` keys (unknown ones are reported, then ignored)."""
        if not isinstance(value, Mapping):
            self.fail(path, "must be an object")
            return {}
        for key in value:
            if key not in allowed:
                self.fail(_join(path, str(key)), "unknown field")
        return value

    def table(self, value: object, path: str) -> dict[str, Any]:
        """An object keyed by names: non-empty, no dot (rule references are dotted paths)."""
        if not isinstance(value, Mapping):
            self.fail(path, "must be an object")
            return {}
        good = {}
        for key, item in value.items():
            if not isinstance(key, str) or not _is_name(key):
                self.fail(
                    _join(path, str(key)),
                    f"must be a name of 1–{MAX_KEY} characters without dots or surrounding spaces",
                )
            else:
                good[key] = item
        return good

    def amount(self, value: object, path: str, *, positive: bool = False) -> str | None:
        """A normalised decimal string such as ``"2.0"``, or None after reporting why not."""
        try:
            tenths = parse_tenths(value)
        except AmountError as exc:
            self.fail(path, str(exc))
            return None
        if tenths < 0 or (positive and tenths == 0):
            self.fail(path, "must be greater than 0" if positive else "must not be negative")
            return None
        return format_tenths(tenths)

    def whole(self, value: object, path: str, low: int, high: int) -> int | None:
        """A whole number from ``low`` to ``high`` (a JSON number may arrive as a Decimal)."""
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral():
            number = int(value)
        if number is None or not low <= number <= high:
            self.fail(path, f"must be a whole number from {low} to {high}")
            return None
        return number


def validate_ruleset_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The normalised document (defaults filled, amounts as ``"2.0"``), or RulesetInvalid."""
    if not isinstance(document, Mapping):
        raise RulesetInvalid({"_schema": ["must be an object"]})
    check = _Check()
    given = check.fields(document, "", FIELDS)
    # null means left out, as for every optional field in the API.
    values = {key: given.get(key) for key in FIELDS}
    values.update({key: DEFAULTS[key] for key in DEFAULTS if values[key] is None})
    normal = {
        "name": _name(check, values["name"]),
        "effective_from": _effective_from(check, values["effective_from"]),
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


def _name(check: _Check, value: object) -> str | None:
    if value is None:
        check.fail("name", "required")
    elif not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_NAME:
        check.fail("name", f"must be text of 1–{MAX_NAME} characters")
    else:
        return value.strip()
    return None


def _effective_from(check: _Check, value: object) -> str | None:
    if value is None:
        check.fail("effective_from", "required")
        return None
    if isinstance(value, str) and _RFC3339.fullmatch(value):
        try:
            instant = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
            instant.astimezone(UTC)  # out of range once moved to UTC: refuse it now
            return instant.isoformat()
        except (ValueError, OverflowError):
            pass
    check.fail(
        "effective_from", "must be an RFC 3339 instant with offset, e.g. 2026-01-01T00:00:00+08:00"
    )
    return None


def _hours_per_credit(check: _Check, value: object) -> dict[str, str | None]:
    table = check.table(value, "hours_per_credit")
    return {
        category: check.amount(hours, f"hours_per_credit.{category}", positive=True)
        for category, hours in table.items()
    }


def _certificates(check: _Check, value: object) -> dict[str, Any]:
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


def _skill_levels(check: _Check, value: object) -> dict[str, str | None]:
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


def _competitions(check: _Check, value: object) -> dict[str, list[str | None]]:
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


def _caps(check: _Check, value: object) -> dict[str, Any]:
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


def _is_name(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY and key == key.strip() and "." not in key


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
