"""The API side of keyset pages (:func:`creditbank.services.pagination.keyset_page`): every list
answers ``{"items", "next_cursor"}`` and, when more follow, an RFC 8288 ``Link: <…>;
rel="next"`` header with the same query and the next cursor, so a client can simply follow it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import request

from creditbank.services.pagination import Page

NEXT_LINK_HEADER = {
    "Link": {
        "description": 'The next page, when there is one: `<URL>; rel="next"` (RFC 8288).',
        "schema": {"type": "string"},
    }
}


def with_next_link(view: Callable[..., Page[Any]]) -> Callable[..., Any]:
    """Wrap a view that returns a :class:`Page`: the page, plus its ``Link`` header."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        page = view(*args, **kwargs)
        if page.next_cursor is None:
            return page
        return page, {"Link": f'<{next_url(page.next_cursor)}>; rel="next"'}

    return wrapper


def next_url(cursor: str) -> str:
    """This request's URL with ``cursor`` in place of its own (every other argument kept)."""
    arguments = request.args.to_dict(flat=False)
    arguments["cursor"] = [cursor]
    return f"{request.base_url}?{urlencode(arguments, doseq=True)}"
