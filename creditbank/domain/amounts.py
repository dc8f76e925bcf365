"""Credits and hours are exact decimals with one place, held as integer tenths.

Outside the process they are decimal strings (``"2.5"``); inside they are ``int``.
Floats never appear: a JSON number is parsed as :class:`decimal.Decimal` before it gets here.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

Tenths = int
_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,18}(\.[0-9]+)?")
_MAX_DIGITS = 18


class AmountError(ValueError):
    """A value that is not a decimal with at most one place."""


def parse_tenths(value: object) -> Tenths:
    """Turn ``2``, ``"2.5"`` or ``Decimal("2.5")`` into ``25``; refuse anything finer or odd.

    ``3.25`` and ``"3.10"`` are refused, never rounded: the caller wrote more than one place.
    """
    if isinstance(value, (bool, float)):
        raise AmountError("must be a decimal number or string, not a float or boolean")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        if not _PLAIN_DECIMAL.fullmatch(value):  # no spaces, exponents, "+", "NaN", newline
            raise AmountError("must be a decimal such as 2.5")
        text = value
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise AmountError("must be a decimal such as 2.5") from exc
    elif isinstance(value, Decimal):
        number = value
    else:
        raise AmountError("must be a decimal such as 2.5")
    if not number.is_finite():
        raise AmountError("must be a finite decimal")
    # At most the 18 whole digits a string may have: an amount is kept as its string, which must
    # read back the same (and 1e999999999 would take minutes to turn into an int).
    if number.adjusted() >= _MAX_DIGITS:
        raise AmountError("is far too large")
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent < -1:
        raise AmountError("at most one digit after the decimal point")
    return int(number * 10)


def format_tenths(tenths: Tenths) -> str:
    """``25`` → ``"2.5"``, ``-5`` → ``"-0.5"``, ``0`` → ``"0.0"``."""
    sign = "-" if tenths < 0 else ""
    whole, tenth = divmod(abs(tenths), 10)
    return f"{sign}{whole}.{tenth}"


def tenths_to_number(tenths: Tenths) -> Decimal:
    """The exact decimal, for standards that want a JSON number (Open Badges ``creditsEarned``)."""
    return Decimal(tenths).scaleb(-1)


def amount_pattern(low: Tenths, high: Tenths) -> str:
    """A regular expression matching exactly the decimal strings of the amounts ``low`` to
    ``high`` (tenths, ``0 <= low <= high``) as :func:`parse_tenths` reads them, written without
    leading zeros: ``amount_pattern(1, 20000)`` matches ``"0.1"``, ``"16"``, ``"2000.0"``.

    An OpenAPI document can say an amount's range only so (its text is not a number)."""
    whole_low, tenth_low = divmod(low, 10)
    whole_high, tenth_high = divmod(high, 10)
    if whole_low == whole_high:
        return _anchored([(_wholes(whole_low, whole_low), _tenths(tenth_low, tenth_high))])
    # (whole numbers, their decimal places): the ends' own places, any places in between
    first = whole_low if tenth_low == 0 else whole_low + 1
    last = whole_high if tenth_high == 9 else whole_high - 1
    groups = [] if first == whole_low else [(_wholes(whole_low, whole_low), _tenths(tenth_low, 9))]
    if first <= last:
        groups.append((_wholes(first, last), _tenths(0, 9)))
    if last != whole_high:
        groups.append((_wholes(whole_high, whole_high), _tenths(0, tenth_high)))
    return _anchored(groups)


def _anchored(groups: list[tuple[str, str]]) -> str:
    return "^(?:" + "|".join(f"(?:{wholes}){tenths}" for wholes, tenths in groups) + ")$"


def _tenths(first: int, last: int) -> str:
    """The decimal places of tenths ``first`` to ``last``: none at all means ``.0``."""
    digits = f"{first}" if first == last else f"[{first}-{last}]"
    return f"(?:\\.{digits})?" if first == 0 else f"\\.{digits}"


def _wholes(low: int, high: int) -> str:
    """The whole numbers ``low`` to ``high``, written without leading zeros."""
    alternatives, full = [], []  # full: the widths whose every number is in the range
    for width in range(len(str(low)), len(str(high)) + 1):
        first = max(low, 10 ** (width - 1) if width > 1 else 0)
        last = min(high, 10**width - 1)
        if width > 1 and (first, last) == (10 ** (width - 1), 10**width - 1):
            full.append(width - 1)
        else:
            alternatives += _same_width(str(first).zfill(width), str(last).zfill(width))
    if full:  # consecutive, as the range is
        alternatives.append(f"[1-9][0-9]{{{min(full)},{max(full)}}}")
    return "|".join(alternatives)


def _same_width(low: str, high: str) -> list[str]:
    """Regular expressions for the digit strings from ``low`` to ``high`` (equally long)."""
    if not low:
        return [""]
    if low[0] == high[0]:
        return [low[0] + rest for rest in _same_width(low[1:], high[1:])]
    width = len(low) - 1
    bottom, top = low[1:] == "0" * width, high[1:] == "9" * width
    first = int(low[0]) + (0 if bottom else 1)
    last = int(high[0]) - (0 if top else 1)
    found = [] if bottom else [low[0] + rest for rest in _same_width(low[1:], "9" * width)]
    if first <= last:
        digit = f"{first}" if first == last else f"[{first}-{last}]"
        found.append(digit + (f"[0-9]{{{width}}}" if width else ""))
    if not top:
        found += [high[0] + rest for rest in _same_width("0" * width, high[1:])]
    return found
