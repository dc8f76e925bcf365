"""Opaque keyset cursors (never OFFSET): a page ends at a key, the next starts after it."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from creditbank.domain.errors import ValidationFailed

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(key: Any) -> str:
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, key_type: type[T]) -> T | None:
    """The key a cursor stands for, or ``None`` for the first page; 422 on a forged one."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise _bad_cursor() from exc
    if type(key) is not key_type:
        raise _bad_cursor()
    return key


def _bad_cursor() -> ValidationFailed:
    return ValidationFailed(errors={"cursor": ["Not a cursor this API issued."]})


def page_of(rows: list[T], limit: int, key_of: Any) -> Page[T]:
    """Rows were fetched with ``LIMIT limit + 1``: the extra one says whether more follow."""
    if len(rows) > limit:
        rows = rows[:limit]
        return Page(rows, encode_cursor(key_of(rows[-1])))
    return Page(rows, None)
