"""The application factory: reads like a table of contents of the service."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request

from config.settings import Settings
from creditbank import ops
from creditbank.api import init_api
from creditbank.db import configure_sqlite
from creditbank.errors import PayloadTooLarge, register_error_handlers
from creditbank.extensions import db, migrate
from creditbank.logs import init_logging
from creditbank.security.headers import init_security_headers
from creditbank.security.keys import load_keyring

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_DRAIN_LIMIT = 64 * 1024 * 1024  # read (and drop) at most this much of a refused body


def create_app(settings: Settings | None = None, *, create_missing_keys: bool = False) -> Flask:
    """Build the app. Keys are generated only when asked (``creditbank db upgrade`` does,
    before any server starts), so that gunicorn workers never each mint their own."""
    settings = settings or Settings.from_env()
    app = Flask(__name__, instance_path=str(settings.instance_path), static_folder=None)
    app.extensions["creditbank.settings"] = settings
    keyring = load_keyring(
        settings.keys_dir, create_missing=create_missing_keys and settings.generates_missing_keys
    )
    app.extensions["creditbank.keyring"] = keyring
    app.config.update(
        SECRET_KEY=keyring.session_secret,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings.database_url),
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_SORT_KEYS=False,
    )
    init_logging(app, settings.log_level)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    app.extensions["creditbank.migration_heads"] = ops.migration_heads(app)
    register_error_handlers(app)
    app.before_request(_refuse_large_bodies)
    init_security_headers(app)
    app.register_blueprint(ops.blp)
    init_api(app)
    return app


def _engine_options(url: str) -> dict[str, object]:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    # pool_pre_ping: after a database restart, stale connections are replaced, not used.
    return {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 5, "pool_timeout": 10}


def _refuse_large_bodies() -> None:
    """413 before anything reads the body, which is drained in small chunks (never held in
    memory) so that the client is not reset while it is still sending, and sees the status."""
    length = request.content_length
    limit = request.max_content_length
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
