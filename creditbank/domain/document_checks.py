"""Checking a JSON document a person wrote (a ruleset, a catalogue): every problem is collected
and keyed by its dotted path, instead of stopping at the first, so that one answer names them
all. Amounts come back normalised (``"2.0"``), names trimmed, instants as RFC 3339."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from creditbank.domain.amounts import AmountError, format_tenths, parse_tenths

MAX_NAME = 200
MAX_KEY = 64
RFC3339_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


class DocumentCheck:
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


def check_name(check: DocumentCheck, value: object) -> str | None:
    if value is None:
        check.fail("name", "required")
    elif not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_NAME:
        check.fail("name", f"must be text of 1–{MAX_NAME} characters")
    else:
        return value.strip()
    return None


def check_effective_from(check: DocumentCheck, value: object) -> str | None:
    if value is None:
        check.fail("effective_from", "required")
        return None
    if isinstance(value, str) and RFC3339_INSTANT.fullmatch(value):
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


def _is_name(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY and key == key.strip() and "." not in key


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
