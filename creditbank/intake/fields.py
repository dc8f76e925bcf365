"""Fields that marshmallow lacks (exact one-place amounts, Asia/Shanghai calendar dates, RFC 3339
instants) and the strict schema every request body is read with."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError, fields, validate

from creditbank.domain.amounts import AmountError, amount_pattern, format_tenths, parse_tenths
from creditbank.domain.canonical import format_instant

SHANGHAI = ZoneInfo("Asia/Shanghai")

# What the OpenAPI document says of a field whose rule no JSON Schema keyword can: a format of
# its own (clients read it as a string), and the rule in words.
LEARNER_ID = {
    "format": "learner-id",
    "description": "A learner's account number; one of no account is 422 unknown_learner.",
}
NATIONAL_ID = {
    "format": "national-id",
    "description": "A GB 11643-1999 resident identity number: 17 digits and a check character "
    "(0-9 or X) that matches them, with a real birth date; any other is a 422.",
}


def today_in_shanghai() -> date:
    """Dates on the ground are Yunyang's dates (DESIGN.md: every date comparison)."""
    return datetime.now(UTC).astimezone(SHANGHAI).date()


class Amount(fields.Field[str]):
    """A decimal with at most one place, given as a JSON number or a string, from ``minimum``
    to ``maximum`` (in tenths).

    Loads to the canonical string (``3`` → ``"3.0"``); ``3.25`` is refused, never rounded. The
    OpenAPI document says the same: a string of that form and range, or such a number.
    """

    def __init__(self, *, minimum: int, maximum: int, **kwargs: Any):
        self.minimum, self.maximum = minimum, maximum  # in tenths
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault(
            "anyOf",
            [
                {"type": "string", "pattern": amount_pattern(minimum, maximum)},
                {
                    "type": "number",
                    "minimum": minimum / 10,
                    "maximum": maximum / 10,
                    "multipleOf": 0.1,
                },
            ],
        )
        metadata.setdefault("example", "2.5")
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        try:
            tenths = parse_tenths(value)
        except AmountError as exc:
            raise ValidationError(str(exc)) from exc
        if tenths < self.minimum:
            raise ValidationError(f"Must be at least {format_tenths(self.minimum)}.")
        if tenths > self.maximum:
            raise ValidationError(f"Must be at most {format_tenths(self.maximum)}.")
        return format_tenths(tenths)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return format_tenths(value) if isinstance(value, int) else str(value)


class PastDate(fields.Date):
    """A ``YYYY-MM-DD`` date that is not in the future (in Asia/Shanghai)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        result = super()._deserialize(value, attr, data, **kwargs)
        if result > today_in_shanghai():
            raise ValidationError("Must not be in the future.")
        return result


class Instant(fields.DateTime):
    """An RFC 3339 instant with an offset; rendered in UTC with microseconds."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        result = super()._deserialize(value, attr, data, **kwargs)
        if result.tzinfo is None:
            raise ValidationError("Must carry an offset, e.g. 2026-04-16T10:00:00+08:00.")
        try:
            return result.astimezone(UTC)
        except OverflowError as exc:  # e.g. 0001-01-01T00:00:00+14:00 falls before year 1
            raise ValidationError("Out of range once moved to UTC.") from exc

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else format_instant(value)


class FullMatch(validate.Regexp):
    """A pattern the whole value must match. ``validate.Regexp`` calls ``re.match``, whose ``$``
    also matches before a final newline, so ``"ABC\\n"`` passed for ``"ABC"`` (and became a second
    provider code). The pattern keeps its ``^…$``: clients read it in the OpenAPI document as an
    ECMA-262 regex, which has no ``\\Z``."""

    regex: re.Pattern[str]

    def __init__(self, pattern: str) -> None:
        super().__init__(pattern)

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str) or self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class StrictSchema(Schema):
    """Unknown fields are an error (marshmallow's default, stated here on purpose)."""

    class Meta:
        unknown = "raise"
        ordered = True


def text(max_length: int, *, required: bool = True) -> fields.String:
    """A non-empty string of bounded length; optional ones default to ``null``."""
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=max_length))
    return fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=max_length)
    )
