"""ISO 7064 MOD 11-2, the check character of GB 11643 resident identity numbers and of the
bank's account numbers (:mod:`creditbank.domain.account_numbers`).

Over ``n`` digits, the digit at position ``i`` (0-based, from the left) weighs
``2**(n - i) mod 11`` and the check character (weight 1) makes the weighted sum of all
``n + 1`` positions ≡ 1 (mod 11); the value 10 is written ``X``. The modulus is prime and no
weight is a multiple of it, so a change of one digit, or a swap of two adjacent different
digits, always changes the sum: both mistakes are always caught.
"""

from __future__ import annotations

_CHECK_CHARACTERS = "0123456789X"


def mod11_2_check(digits: str) -> str:
    """The check character (``"0"``-``"9"`` or ``"X"``) of a string of ASCII digits."""
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ValueError("MOD 11-2 is computed over ASCII digits only")
    places = len(digits)
    total = sum(int(digit) * pow(2, places - i, 11) for i, digit in enumerate(digits))
    return _CHECK_CHARACTERS[(1 - total) % 11]
