"""Operational endpoints outside ``/api/v1``: liveness, readiness, the public keys."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from creditbank.extensions import db

blp = Blueprint("ops", __name__)


@blp.get("/healthz")
def healthz() -> Any:
    """The process is up (no database involved)."""
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz() -> Any:
    """The database answers and its schema is at the migrations' head; 503 otherwise."""
    from alembic.runtime.migration import MigrationContext  # Alembic loads only when asked

    try:
        with db.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
    except SQLAlchemyError:
        db.session.remove()
        return _not_ready("database unreachable")
    head = migration_heads(current_app)
    if set(current) != head:
        return _not_ready(f"schema at {sorted(current)}, migrations at {sorted(head)}")
    return jsonify(status="ready", database="ok", migrations=sorted(head))


@blp.get("/.well-known/jwks.json")
def jwks() -> Any:
    """The public keys that sign tokens, credentials and checkpoints."""
    response = jsonify(current_app.extensions["creditbank.keyring"].jwks())
    response.cache_control.max_age = 300
    response.cache_control.public = True
    return response


def _not_ready(reason: str) -> Any:
    response = jsonify(status="unavailable", reason=reason)
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    return response


def migration_heads(app: Flask) -> set[str]:
    """The head revision(s) of the migrations shipped with this code (read once, when first
    asked, so that start-up does not pay for importing Alembic)."""
    cached = app.extensions.get("creditbank.migration_heads")
    if cached is not None:
        return cached
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", app.extensions["migrate"].directory)
    heads = set(ScriptDirectory.from_config(config).get_heads())
    app.extensions["creditbank.migration_heads"] = heads
    return heads
