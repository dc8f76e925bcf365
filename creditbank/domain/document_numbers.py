"""Document numbers (文件编号) printed on every transcript and conversion certificate:
``<prefix>-<kind>-<year>-<serial><check>``, e.g. ``YY-T-2026-0001234``.

- ``prefix``: the bank's letters (``CREDITBANK_DOCUMENT_NUMBER_PREFIX``, ``YY`` for 云阳);
- ``kind``: ``T`` a transcript (成绩单), ``C`` a conversion certificate (学分转换证明);
- ``year``: the Shanghai year of issue; ``serial``: six digits from a counter per kind and year;
- the last character: ISO 7064 MOD 11-2 over the kind's digit, the year and the serial (the
  account numbers' and national IDs' check), so a mistyped or swapped digit is caught before
  the number is even looked up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from creditbank.domain.check_digits import mod11_2_check

KIND_LETTERS = {"transcript": "T", "certificate": "C"}
_KIND_DIGITS = {"T": "1", "C": "2"}
_PATTERN = re.compile(r"^([A-Z]{1,6})-([TC])-(\d{4})-(\d{6})([0-9X])$")


@dataclass(frozen=True)
class DocumentNumber:
    prefix: str
    kind: str
    year: int
    serial: int

    def __str__(self) -> str:
        letter = KIND_LETTERS[self.kind]
        body = f"{_KIND_DIGITS[letter]}{self.year:04d}{self.serial:06d}"
        return f"{self.prefix}-{letter}-{self.year:04d}-{self.serial:06d}{mod11_2_check(body)}"


def parse_document_number(text: str) -> DocumentNumber | None:
    """The number, or None when it is malformed or its check character is wrong."""
    match = _PATTERN.match(text.strip().upper())
    if match is None:
        return None
    prefix, letter, year, serial, check = match.groups()
    if mod11_2_check(f"{_KIND_DIGITS[letter]}{year}{serial}") != check:
        return None
    kind = next(name for name, value in KIND_LETTERS.items() if value == letter)
    return DocumentNumber(prefix, kind, int(year), int(serial))
