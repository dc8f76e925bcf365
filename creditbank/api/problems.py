"""The one place that renders errors: every error body is ``application/problem+json``
(RFC 9457) with a stable ``type`` slug, and none ever shows a traceback or SQL.

Services raise :mod:`creditbank.domain.errors`; HTTP errors from Flask, webargs and werkzeug
are translated into the same vocabulary here.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from creditbank.domain.errors import (
    Conflict,
    DatabaseBusy,
    DomainError,
    Forbidden,
    InternalError,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


_HTTP_TO_DOMAIN: dict[int, type[DomainError]] = {
    400: DomainError,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    406: NotAcceptable,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: ValidationFailed,
    429: TooManyRequests,
    503: ServiceUnavailable,
}


def problem_response(error: DomainError) -> Response:
    """Render a domain error as ``application/problem+json``."""
    body: dict[str, Any] = {
        "type": error.slug,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
    }
    if error.errors:
        body["errors"] = error.errors
    body.update(error.members)
    response = Response(json.dumps(body, ensure_ascii=False), status=error.status)
    response.content_type = PROBLEM_JSON
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def from_http_exception(error: HTTPException) -> DomainError:
    """Werkzeug's and webargs' exceptions, in our vocabulary."""
    code = error.code or 500
    if code >= 500:
        return InternalError()
    cls = _HTTP_TO_DOMAIN.get(code, DomainError)
    domain = cls.__new__(cls)
    DomainError.__init__(domain, error.description if cls is DomainError else None)
    domain.status = code
    for name, value in (getattr(error, "data", None) or {}).get("headers", {}).items():
        domain.headers[name] = value
    if code == 401:
        domain.headers["WWW-Authenticate"] = 'Bearer realm="creditbank"'
    # Rate limiting answers 429 with Retry-After; keep it (API.md § Conventions). A 405
    # must say which methods the resource has (RFC 9110 §15.5.6), so keep Allow as well.
    for name, value in error.get_headers():
        if name.lower() in ("retry-after", "allow"):
            domain.headers[name] = value
    return domain


def register_error_handlers(app: Flask) -> None:
    """One handler for every error: domain, HTTP, database outage, and anything unexpected."""

    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Response:
        return problem_response(error)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        return problem_response(from_http_exception(error))

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def _database(error: DBAPIError) -> Response:
        if is_connection_error(error):
            log.warning("database unreachable", extra={"error": type(error.orig).__name__})
            return problem_response(ServiceUnavailable())
        if is_busy(error):
            log.warning("database busy", extra={"error": type(error.orig).__name__})
            return problem_response(DatabaseBusy())
        log.exception("database error")
        return problem_response(InternalError())

    @app.errorhandler(PoolTimeout)
    def _pool_exhausted(_error: PoolTimeout) -> Response:
        # Every pooled connection stayed busy for pool_timeout: overloaded, so come back later.
        log.warning("database connection pool exhausted")
        return problem_response(DatabaseBusy())

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return problem_response(InternalError())


# PostgreSQL: query_canceled (statement_timeout) and lock_not_available (lock_timeout).
_BUSY_SQLSTATES = frozenset(("57014", "55P03"))
# SQLite's primary result codes SQLITE_BUSY ("database is locked") and SQLITE_LOCKED.
_BUSY_SQLITE_CODES = frozenset((5, 6))


def is_busy(error: DBAPIError) -> bool:
    """True when the database gave up waiting (the settings' timeouts), not on a bad query."""
    if getattr(error.orig, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    code = getattr(error.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _BUSY_SQLITE_CODES


def is_connection_error(error: DBAPIError) -> bool:
    """True when the database could not be reached, as opposed to a query that failed."""
    if error.connection_invalidated:
        return True
    text = str(error.orig).lower()
    # "unable to open database file": SQLite's file or its directory is gone (unmounted disk).
    return any(
        marker in text
        for marker in (
            "connection",
            "server closed",
            "terminating",
            "could not connect",
            "unable to open database file",
        )
    )
