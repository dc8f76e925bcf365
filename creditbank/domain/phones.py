"""Chinese mobile phone numbers (手机号): eleven digits, the first a 1. Personal data, as the
national ID is: stored encrypted, shown masked, an error message never repeats it."""

from __future__ import annotations

import re
import unicodedata

_SHAPE = re.compile(r"1\d{10}", re.ASCII)
# What people type between the groups, and the country code some contact lists add.
_SEPARATORS = re.compile(r"[\s-]+")
_COUNTRY = re.compile(r"^(?:\+86|0086)")


class PhoneError(ValueError):
    """Text that is not a Chinese mobile number; the message never holds it."""


def validate_phone(text: str) -> str:
    """The eleven digits of a mobile number typed with blanks, hyphens, full-width digits or a
    +86 in front; :class:`PhoneError` otherwise."""
    if not isinstance(text, str):
        raise PhoneError("phone number must be a string")
    candidate = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    candidate = _COUNTRY.sub("", candidate)
    if not _SHAPE.fullmatch(candidate):
        raise PhoneError("a mobile number is 11 digits starting with 1")
    return candidate


def mask_phone(valid_phone: str) -> str:
    """The display form: the first 3 and last 4 digits (``138****5678``)."""
    if len(valid_phone) != 11:
        raise PhoneError("only an 11-digit mobile number can be masked")
    return f"{valid_phone[:3]}****{valid_phone[-4:]}"
