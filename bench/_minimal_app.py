"""The baseline of the balance reads: the least a Flask endpoint that reads one row can do.

``gunicorn -c config/gunicorn.conf.py bench._minimal_app:app``: the same server settings and
the same Flask-SQLAlchemy engine (pool, options) as the service, and one primary-key
``SELECT`` per request; no auth, no schema, no logging. Reads ``CREDITBANK_DATABASE_URL``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from sqlalchemy import text

from config.settings import Settings
from creditbank.app import _engine_options
from creditbank.db import configure_sqlite
from creditbank.extensions import db

_SELECT = text("SELECT balance FROM accounts WHERE learner_id = :learner_id")


def create_minimal_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings),
    )
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, settings.sqlite_busy_timeout_ms)

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok")

    @app.get("/balance/<learner_id>")
    def balance(learner_id: str) -> Any:
        row = db.session.execute(_SELECT, {"learner_id": learner_id}).one()
        return jsonify(learner_id=learner_id, balance=row.balance)

    return app


app = create_minimal_app()
