"""No U+0000 (NUL) anywhere in a request's text.

PostgreSQL text cannot hold NUL, so a NUL in a path, a query, a form or a JSON string used to
reach the database and fail there (a 500 on PostgreSQL, a stored NUL on SQLite). No name,
identifier or reference has any use for it: it is refused up front, the same on both
databases — 404 in a path (nothing is named so), 422 anywhere else. A JSON body is checked where
it is read (:func:`creditbank.intake.json_documents.parse_json_bytes`), which keys the 422 by the
path of the string that holds the NUL.
"""

from __future__ import annotations

from flask import request

from creditbank.domain.errors import NotFound, ValidationFailed
from creditbank.intake.text import NUL_MESSAGE


def refuse_nul_characters() -> None:
    """A ``before_request`` hook: raise 404/422 when the path, query or form carries a NUL."""
    if "\x00" in request.path:
        raise NotFound("No such resource")
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        raise ValidationFailed(errors={"query": [NUL_MESSAGE]})
    if request.mimetype == "application/x-www-form-urlencoded" and any(
        "\x00" in key or "\x00" in value for key, value in request.form.items(multi=True)
    ):
        raise ValidationFailed(errors={"body": [NUL_MESSAGE]})
