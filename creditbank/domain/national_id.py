"""Resident identity numbers (公民身份号码), GB 11643-1999.

18 characters: a 6-digit region code, the birth date ``YYYYMMDD``, a 3-digit sequence number and
a check character computed with ISO 7064 MOD 11-2. The number is personal data (DESIGN.md): an
error message may say what is wrong with it, never repeat it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

from creditbank.domain.check_digits import mod11_2_check

# re.ASCII: ``\d`` alone would also accept Arabic-Indic or other Unicode digits.
_SHAPE = re.compile(r"\d{17}[\dX]", re.ASCII)
_EARLIEST_BIRTH = date(1900, 1, 1)
# DESIGN.md: every date comparison uses Asia/Shanghai, so "born in the future" does too.
_BANK_ZONE = ZoneInfo("Asia/Shanghai")


class NationalIdError(ValueError):
    """A national ID number that is not a valid GB 11643 number; the message never holds it."""


def check_character(first17: str) -> str:
    """The check character for the first 17 digits of an ID (``"0"``-``"9"`` or ``"X"``)."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise NationalIdError("the first 17 characters of a national ID must be digits")
    return mod11_2_check(first17)


def validate_national_id(text: str, *, today: date | None = None) -> str:
    """Return the canonical form of a national ID number or raise :class:`NationalIdError`.

    Surrounding blanks are dropped and full-width digits (as some Chinese input methods type
    them) become ASCII; a trailing ``x`` becomes ``X``. ``today`` exists for tests.
    """
    if not isinstance(text, str):
        raise NationalIdError("national ID must be a string")
    candidate = unicodedata.normalize("NFKC", text).strip().upper()
    if not _SHAPE.fullmatch(candidate):
        raise NationalIdError("national ID must be 17 digits followed by a digit or X")
    if check_character(candidate[:17]) != candidate[17]:
        raise NationalIdError("national ID check character does not match (mistyped?)")
    _check_birth_date(candidate[6:14], today or datetime.now(_BANK_ZONE).date())
    return candidate


def _check_birth_date(yyyymmdd: str, today: date) -> None:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        raise NationalIdError("national ID birth date is not a real date") from None
    if born > today:
        raise NationalIdError("national ID birth date is in the future")
    if born < _EARLIEST_BIRTH:
        raise NationalIdError("national ID birth date is before 1900")


def mask_national_id(valid_id: str) -> str:
    """The display form: fourteen asterisks and the last 4 characters (``**************1234``).

    Only the last 4: shown beside them, the first 6 (the region) would leave little more than
    a birth date to guess, a few thousand tries (DESIGN.md).
    """
    if not isinstance(valid_id, str) or len(valid_id) != 18:
        raise NationalIdError("only an 18-character national ID can be masked")
    return f"{'*' * 14}{valid_id[-4:]}"
