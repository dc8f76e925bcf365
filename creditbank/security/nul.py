"""No U+0000 (NUL) anywhere in a request's text.

PostgreSQL text cannot hold NUL, so a NUL in a path, a query, a form or a JSON string used to
reach the database and fail there (a 500 on PostgreSQL, a stored NUL on SQLite). No name,
identifier or reference has any use for it: it is refused up front, the same on both
databases — 404 in a path (nothing is named so), 422 anywhere else.
"""

from __future__ import annotations

import re

from flask import request

from creditbank.domain.errors import NotFound, ValidationFailed

# In JSON text a NUL can only be written as the escape \u0000; an even run of backslashes
# before it is escaped backslashes, so the escape is the NUL (and "\\u0000" is not one).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_MESSAGE = "Text may not contain U+0000 (NUL)."


def refuse_nul_characters() -> None:
    """A ``before_request`` hook: raise 404/422 when the request carries a NUL."""
    if "\x00" in request.path:
        raise NotFound("No such resource")
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        raise ValidationFailed(errors={"query": [_MESSAGE]})
    if request.mimetype == "application/x-www-form-urlencoded" and any(
        "\x00" in key or "\x00" in value for key, value in request.form.items(multi=True)
    ):
        raise ValidationFailed(errors={"body": [_MESSAGE]})
    if request.is_json and _JSON_NUL.search(request.get_data(cache=True)):
        raise ValidationFailed(errors={"body": [_MESSAGE]})
