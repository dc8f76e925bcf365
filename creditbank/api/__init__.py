"""The HTTP API under ``/api/v1``: flask-smorest blueprints, documented from their schemas."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, json
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from werkzeug.routing import BaseConverter

from creditbank.api import docs
from creditbank.api.paging import NEXT_LINK_HEADER, with_next_link
from creditbank.api.parsing import Parser
from creditbank.domain.ids import ULID_PATTERN

_ID_PARAMETER = re.compile(r"<([a-z_]+_id)>")


class IdConverter(BaseConverter):
    """A path segment that is an identifier of :func:`creditbank.domain.ids.new_id` (a prefix
    and a ULID), and so never the name of a sibling route (``/outcomes/upload``)."""

    regex = f"(?:L|[a-z]{{1,3}}_){ULID_PATTERN}"


ID_SCHEMA = {"type": "string", "pattern": f"^{IdConverter.regex}$", "maxLength": 30}


class Sha256Converter(BaseConverter):
    """A path segment that is a SHA-256 in lowercase hex (an evidence file's name)."""

    regex = "[0-9a-f]{64}"


SHA256_SCHEMA = {"type": "string", "pattern": f"^{Sha256Converter.regex}$", "maxLength": 64}


class DocumentNumberConverter(BaseConverter):
    """A document number (:mod:`creditbank.domain.document_numbers`), ``YY-T-2026-0000123``."""

    regex = r"[A-Z]{1,6}-[TC]-[0-9]{4}-[0-9]{6}[0-9X]"


DOCUMENT_NUMBER_SCHEMA = {
    "type": "string",
    "pattern": f"^{DocumentNumberConverter.regex}$",
    "maxLength": 24,
    "example": "YY-T-2026-0000123",
}


class Blueprint(SmorestBlueprint):
    """Blueprints that parse JSON with exact decimals and raise problem+json errors.

    Path parameters named ``*_id`` are identifiers (:class:`IdConverter`), and every operation
    gets an operationId from its view's name (:func:`creditbank.api.docs.operation_id`).
    """

    ARGUMENTS_PARSER = Parser()

    def route(self, rule: str, **options: Any) -> Callable[[Callable[..., Any]], Any]:
        return super().route(_ID_PARAMETER.sub(r"<id:\1>", rule), **options)

    def _store_endpoint_docs(self, endpoint: str, obj: Any, *args: Any, **options: Any) -> None:
        super()._store_endpoint_docs(endpoint, obj, *args, **options)
        for method, doc in self._docs[endpoint].items():
            if method != "parameters":
                manual = doc.setdefault("manual_doc", {})
                manual.setdefault("operationId", docs.operation_id(obj.__name__, method))

    def _prepare_arguments_doc(self, doc: Any, doc_info: Any, **kwargs: Any) -> Any:
        """As flask-smorest's, except a JSON-or-form body, which it would write as parameters
        "in": "json_or_form" (no such place in OpenAPI): its view documents both media types."""
        arguments = doc_info.get("arguments")
        if arguments:
            kept = [p for p in arguments["parameters"] if p.get("in") != "json_or_form"]
            arguments["parameters"] = kept
        doc = super()._prepare_arguments_doc(doc, doc_info, **kwargs)
        if doc.get("parameters") == []:
            del doc["parameters"]
        return doc

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        """As flask-smorest's, with a schema given as a class built once, here: webargs would
        build it anew for every request, which costs more than parsing the arguments does."""
        if isinstance(schema, type):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)

    def page(self, schema: Any) -> Callable[[Callable[..., Any]], Any]:
        """A list: 200 with ``schema`` (items and next_cursor) and the ``Link`` to the next
        page (:mod:`creditbank.api.paging`), for a view that returns a service's Page."""

        def decorator(view: Callable[..., Any]) -> Any:
            return self.response(200, schema, headers=NEXT_LINK_HEADER)(with_next_link(view))

        return decorator


class Api(SmorestApi):
    """flask-smorest, with our error handlers, error responses and pages instead of its own."""

    DEFAULT_ERROR_RESPONSE_NAME = "ProblemDefault"

    def _register_error_handlers(self) -> None:
        """Errors are rendered by :mod:`creditbank.api.problems` (problem+json)."""

    def _register_responses(self) -> None:
        """Error responses are problem+json, documented by :mod:`creditbank.api.docs`."""

    def _register_pagination_header(self) -> None:
        """Lists page by cursor and ``Link`` (:mod:`creditbank.api.paging`), not by headers."""

    def _openapi_json(self) -> Response:
        """The OpenAPI document, finished by :func:`creditbank.api.docs.finish_document`."""
        document = docs.finish_document(self.spec.to_dict())
        return current_app.response_class(
            json.dumps(document, indent=2), mimetype="application/json"
        )


API_CONFIG: dict[str, Any] = {
    "API_TITLE": "creditbank",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": "/api/v1/docs/assets/",
}


SPEC: dict[str, Any] = {
    "info": {
        "description": "Ledger of the Yunyang county lifelong-learning credit bank "
        "(学分银行). Every error is application/problem+json (RFC 9457)."
    },
    # Paths carry /api/v1 themselves: the server is wherever the document is served.
    "servers": [{"url": "/", "description": "This server"}],
}


def init_api(app: Flask) -> Api:
    """Register every blueprint and the pieces of the OpenAPI document they share."""
    from creditbank.api import (
        accounts,
        applications,
        audits,
        auth,
        catalogues,
        checkpoints,
        colleges,
        deposits,
        documents,
        exports,
        learners,
        outcomes,
        passwords,
        programmes,
        providers,
        reviews,
        rulesets,
        transcripts,
        uploads,
    )

    app.config.update(API_CONFIG)
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["sha256"] = Sha256Converter
    api = Api(app, spec_kwargs=SPEC)
    api.register_converter(IdConverter, lambda _: ID_SCHEMA)
    api.register_converter(Sha256Converter, lambda _: SHA256_SCHEMA)
    app.url_map.converters["document_number"] = DocumentNumberConverter
    api.register_converter(DocumentNumberConverter, lambda _: DOCUMENT_NUMBER_SCHEMA)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    docs.init_docs(app, api)
    for module in (auth, learners, passwords, accounts, transcripts, providers, outcomes):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    for module in (rulesets, reviews):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    for module in (audits, checkpoints):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    for module in (uploads, exports, deposits):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    for module in (colleges, programmes, catalogues, applications):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    api.register_blueprint(documents.blp, url_prefix="/api/v1")
    from creditbank.api.throttle import init_throttle

    init_throttle(app, app.extensions["creditbank.settings"], auth.blp, passwords.blp)
    return api
