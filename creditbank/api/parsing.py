"""Reading requests: JSON bodies (read by :mod:`creditbank.intake.json_documents`), webargs with
our error vocabulary, and the media type a client asks for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

import flask
import marshmallow as ma
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict

from creditbank.domain.errors import NotAcceptable, ValidationFailed
from creditbank.intake.json_documents import flatten_errors, parse_json_bytes


def json_body() -> Any:
    """The request's JSON body (415 unless it is declared JSON, 400 when malformed)."""
    request = flask.request
    if not request.is_json:
        raise ValidationFailed(
            "Send the body as application/json", errors={"body": ["Expected application/json."]}
        )
    return parse_json_bytes(request.get_data(cache=True))


class Parser(FlaskParser):
    """webargs with exact decimals and our error vocabulary."""

    DEFAULT_VALIDATION_STATUS = 422

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not req.is_json:
            return core.missing
        return parse_json_bytes(req.get_data(cache=True))

    def load_querystring(self, req: flask.Request, schema: ma.Schema) -> Any:
        _refuse_repeated(req.args, schema)
        return super().load_querystring(req, schema)

    def load_form(self, req: flask.Request, schema: ma.Schema) -> Any:
        _refuse_repeated(req.form, schema)
        return super().load_form(req, schema)

    def handle_error(
        self,
        error: ma.ValidationError,
        req: flask.Request,
        schema: ma.Schema,
        *,
        error_status_code: int | None,
        error_headers: Mapping[str, str] | None,
    ) -> NoReturn:
        messages = error.messages
        if isinstance(messages, Mapping) and len(messages) == 1:
            # webargs nests errors under the location ("json", "query"); clients want the field.
            ((location, inner),) = messages.items()
            if location in ("json", "query", "form", "json_or_form", "view_args"):
                messages = inner
        raise ValidationFailed(errors=flatten_errors(messages))


def _refuse_repeated(values: MultiDict[str, str], schema: ma.Schema) -> None:
    """A field of one value given more than once (``?limit=5&limit=6``) is a 422: the document
    says one value, and which of them was meant is anyone's guess."""
    lists = (ma.fields.List, ma.fields.Tuple)
    repeated = sorted(
        key
        for key in values
        if len(values.getlist(key)) > 1 and not isinstance(schema.fields.get(key), lists)
    )
    if repeated:
        raise ValidationFailed(errors={key: ["Given more than once."] for key in repeated})


def negotiate(*offered: str) -> str:
    """The offered media type the client prefers; the first when it sends no Accept."""
    if not flask.request.accept_mimetypes:
        return offered[0]
    chosen = flask.request.accept_mimetypes.best_match(offered)
    if chosen is None:
        raise NotAcceptable(f"Available as {', '.join(offered)}")
    return chosen
