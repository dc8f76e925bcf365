"""Structured JSON logs, one object a line, each with the request id (also X-Request-ID).

Nothing secret is ever logged: the service logs no bodies, no tokens, no query strings and no
headers but the request id; identities appear only as opaque ids, and a national ID travels
only in bodies (``POST /learners/search``). Werkzeug's development server logs each request
line itself, so its query strings are cut there (a client still sending ``GET
/learners?national_id=``, refused with 422, would otherwise write a whole national ID to it).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_QUERY_STRING = re.compile(r"\?[^\s\"]*")
_STANDARD = set(vars(logging.makeLogRecord({})))
access_log = logging.getLogger("creditbank.access")


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        # Every line has the key; it is null only for lines no request caused (start-up).
        line["request_id"] = g.get("request_id") if has_request_context() else None
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class HideQueryStrings(logging.Filter):
    """Cut the query string out of the request lines a server logs (``?…`` stays)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _QUERY_STRING.sub("?…", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                _QUERY_STRING.sub("?…", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def init_logging(app: Flask, level: str) -> None:
    """JSON logs on stderr for the app's loggers, and an access line per request."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("creditbank")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    # app.logger ("creditbank.app") propagates to "creditbank": a handler of its own as well
    # would write each of its lines twice.
    app.logger.handlers.clear()
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(known, HideQueryStrings) for known in werkzeug.filters):
        werkzeug.addFilter(HideQueryStrings())

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.fullmatch(incoming) else secrets.token_hex(8)
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        access_log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(
                    (time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2
                ),
                "client": getattr(g.get("principal"), "subject", None),
            },
        )
        return response
