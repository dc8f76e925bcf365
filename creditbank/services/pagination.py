"""Keyset pages (never OFFSET): every list in the service is a query ordered by one unique key,
cut after the key of the previous page's last row. The cursor is that key, opaque to clients.

:func:`keyset_page` is the one way to page: list endpoints and pages call it, and the API adds
the ``next`` link (:mod:`creditbank.api.paging`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from creditbank.domain.errors import ValidationFailed
from creditbank.extensions import db

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None

    def map(self, views: Callable[[list[T]], list[U]]) -> Page[U]:
        """The same page with its rows turned into views (all at once: one query for all)."""
        return Page(views(self.items), self.next_cursor)


def keyset_page(
    query: Select[*tuple[Any, ...]],
    key: InstrumentedAttribute[Any],
    cursor: str | None,
    limit: int,
    *,
    descending: bool = False,
    key_of: Callable[[Any], Any] | None = None,
) -> Page[Any]:
    """One page of ``query`` in ``key`` order (a unique column), after ``cursor``.

    Rows are the query's scalars (an entity), or its rows when ``key_of`` says how to read the
    key from one (a join). ``LIMIT limit + 1``: the extra row says whether more follow.
    """
    after = decode_cursor(cursor, key.type.python_type)
    if after is not None:
        query = query.where(key < after if descending else key > after)
    query = query.order_by(key.desc() if descending else key).limit(limit + 1)
    if key_of is None:
        rows: Sequence[Any] = db.session.scalars(query).all()
        key_of = _attribute(key.key)
    else:
        rows = db.session.execute(query).all()
    if len(rows) <= limit:
        return Page(list(rows), None)
    items = list(rows[:limit])
    return Page(items, encode_cursor(key_of(items[-1])))


def _attribute(name: str) -> Callable[[Any], Any]:
    return lambda row: getattr(row, name)


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
