"""The application factory: reads like a table of contents of the service."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, request

from config.settings import Settings
from creditbank import ops
from creditbank.api import init_api
from creditbank.api.problems import register_error_handlers
from creditbank.body_limits import limit_of
from creditbank.db import configure_sqlite
from creditbank.domain.errors import PayloadTooLarge
from creditbank.extensions import db, init_migrations
from creditbank.json_responses import OrjsonProvider
from creditbank.logs import init_logging
from creditbank.metrics import init_metrics
from creditbank.security.headers import init_security_headers
from creditbank.security.keys import load_keyring
from creditbank.security.nul import refuse_nul_characters
from creditbank.web import init_web

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_DRAIN_LIMIT = 64 * 1024 * 1024  # read (and drop) at most this much of a refused body


def create_app(
    settings: Settings | None = None,
    *,
    create_missing_keys: bool = False,
    limit_statements: bool = True,
) -> Flask:
    """Build the app. Keys are generated only when asked (``creditbank db upgrade`` does,
    before any server starts), so that gunicorn workers never each mint their own.
    ``limit_statements``: PostgreSQL statements and lock waits end at the settings' timeouts
    (a request's 503); the command line turns it off, since audits, exports and imports run
    long statements from a shell on purpose."""
    settings = settings or Settings.from_env()
    app = Flask(__name__, instance_path=str(settings.instance_path), static_folder=None)
    app.json = OrjsonProvider(app)
    app.extensions["creditbank.settings"] = settings
    keyring = load_keyring(
        settings.keys_dir, create_missing=create_missing_keys and settings.generates_missing_keys
    )
    app.extensions["creditbank.keyring"] = keyring
    app.config.update(
        SECRET_KEY=keyring.session_secret,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings, limit_statements=limit_statements),
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
    )
    init_logging(app, settings.log_level)
    db.init_app(app)
    init_migrations(app, str(MIGRATIONS))
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, settings.sqlite_busy_timeout_ms)
    register_error_handlers(app)
    app.before_request(_refuse_large_bodies)
    app.before_request(refuse_nul_characters)
    init_security_headers(app)
    init_metrics(app)
    app.register_blueprint(ops.blp)
    init_api(app)
    init_web(app)
    return app


def _engine_options(settings: Settings, *, limit_statements: bool = True) -> dict[str, object]:
    # hide_parameters: a logged database error never quotes a row's values (personal data).
    if settings.database_url.startswith("sqlite"):
        timeout = settings.sqlite_busy_timeout_ms / 1000
        return {"connect_args": {"timeout": timeout}, "hide_parameters": True}
    # No pool_pre_ping: a ping is a round trip before every request's first statement (6 % of
    # a single post, issue 16). A connection the database dropped (a restart) fails its first
    # statement instead; that request is a 503 (api/problems.py), and SQLAlchemy, seeing a
    # disconnect, invalidates every connection of the pool checked out before it, so the next
    # request of the worker connects afresh. pool_recycle: nor is a connection kept past the
    # idle cuts of firewalls and poolers in between (30 min).
    # connect_timeout: an unreachable host is a prompt 503, not a worker hung until killed.
    # statement_timeout, lock_timeout: nor is a stalled statement or a lock held elsewhere
    # (set at connection, in the start-up packet: no round trip of their own).
    connect_args: dict[str, object] = {"connect_timeout": 5}
    if limit_statements:
        connect_args["options"] = (
            f"-c statement_timeout={settings.db_statement_timeout_ms} "
            f"-c lock_timeout={settings.db_lock_timeout_ms}"
        )
    return {
        "pool_recycle": 1800,
        "pool_size": 5,
        "max_overflow": 5,
        "pool_timeout": 10,
        "hide_parameters": True,
        "connect_args": connect_args,
    }


def _refuse_large_bodies() -> None:
    """413 before anything reads the body, which is drained in small chunks (never held in
    memory) so that the client is not reset while it is still sending, and sees the status."""
    larger = limit_of(current_app.view_functions.get(request.endpoint or ""))
    if larger is not None and larger > (request.max_content_length or 0):
        request.max_content_length = larger  # a route that takes files (body_limits.py)
    length = request.content_length
    limit = request.max_content_length
    if length is None and limit is not None and request.environ.get("wsgi.input_terminated"):
        # Chunked, no Content-Length: werkzeug stops reading at the limit without a word, so
        # a longer body would be parsed cut short. Read up to the limit; one byte more is 413.
        request.get_data(cache=True)
        if request.stream.read(1):
            raise PayloadTooLarge(f"The body is over the limit of {limit} bytes")
        return
    if length is None or limit is None or length <= limit:
        return
    if length <= _DRAIN_LIMIT:
        stream = request.environ["wsgi.input"]
        remaining = length
        while remaining > 0:
            chunk = stream.read(min(65536, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
    raise PayloadTooLarge(f"The body is {length} bytes; the limit is {limit}")
