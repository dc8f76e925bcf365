"""Account numbers (学习账号): the number a learner is known by on documents and at sign-in.

Twelve digits: eleven drawn at random, the first never 0 (a spreadsheet would drop it), and a
check digit. The number is random, not derived from the learner id or the national ID, so it
says nothing about the person and leads nowhere if it leaks; a credential identifies the
learner by it (DESIGN.md).

The check digit is ISO 7064 MOD 11-2 (:mod:`creditbank.domain.check_digits`), the scheme of
GB 11643 identity numbers that staff already type every day. It is chosen over Luhn because
its prime modulus catches every single-digit mistake *and* every swap of two adjacent digits
(Luhn misses 09 ↔ 90). Its one cost: for 1 body in 11 the check would be ``X``; such bodies
are never issued, so an account number is always twelve digits.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from creditbank.domain.check_digits import mod11_2_check

LENGTH = 12
_FIRST_BODY = 10**10  # the smallest 11-digit body: the first digit is never 0
_BODIES = 9 * 10**10
# re.ASCII: ``\d`` alone would also accept Arabic-Indic or other Unicode digits.
_SHAPE = re.compile(r"[1-9]\d{11}", re.ASCII)
# What people put between the groups of digits when they type or copy one.
_SEPARATORS = re.compile(r"[\s-]+")


class AccountNumberError(ValueError):
    """Text that is not a well-formed account number."""


def new_account_number() -> str:
    """A fresh random account number (the caller makes sure that no account holds it yet)."""
    while True:
        number = complete_account_number(str(_FIRST_BODY + secrets.randbelow(_BODIES)))
        if number is not None:
            return number


def complete_account_number(body: str) -> str | None:
    """The account number whose first eleven digits are ``body``, or ``None`` when its check
    character would be ``X`` (such a body is never issued)."""
    if len(body) != LENGTH - 1 or body[0] == "0":
        raise AccountNumberError("an account number's body is 11 digits, the first not 0")
    check = mod11_2_check(body)
    return None if check == "X" else body + check


def parse_account_number(text: str) -> str:
    """The canonical twelve digits of ``text``, or :class:`AccountNumberError`.

    Blanks and hyphens between the digits are dropped (``1234 5678 9012`` as printed) and
    full-width digits, as some Chinese input methods type them, become ASCII.
    """
    if not isinstance(text, str):
        raise AccountNumberError("account number must be a string")
    candidate = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    if not _SHAPE.fullmatch(candidate):
        raise AccountNumberError("account number must be 12 digits, the first not 0")
    if mod11_2_check(candidate[:-1]) != candidate[-1]:
        raise AccountNumberError("account number check digit does not match (mistyped?)")
    return candidate


def is_account_number(text: str) -> bool:
    """Whether ``text`` reads as a valid account number (see :func:`parse_account_number`)."""
    try:
        parse_account_number(text)
    except AccountNumberError:
        return False
    return True


def format_account_number(number: str) -> str:
    """The printed form, in groups of four: ``1234 5678 9012``."""
    return " ".join(number[start : start + 4] for start in range(0, len(number), 4))
