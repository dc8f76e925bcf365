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
