"""A route that takes more than the bank's usual body limit (``MAX_BODY_BYTES``) says so where
it is declared: ``@body_limit(n)`` right under the route decorator. The app's check of every
body (creditbank/app.py) reads it before anything reads the body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

View = TypeVar("View", bound=Callable[..., Any])
ATTRIBUTE = "max_body_bytes"


def body_limit(max_bytes: int) -> Callable[[View], View]:
    def mark(view: View) -> View:
        setattr(view, ATTRIBUTE, max_bytes)
        return view

    return mark


def limit_of(view: Callable[..., Any] | None) -> int | None:
    limit = getattr(view, ATTRIBUTE, None)
    return limit if isinstance(limit, int) else None
