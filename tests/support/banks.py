"""A bank in this process, for tests and benchmarks alike: its settings (test-like, keys of
its own), its database migrated to head, and the app on it inside an app context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade

from config.settings import Settings, normalise_database_url
from creditbank.app import create_app
from creditbank.extensions import db
from creditbank.security.keys import load_keyring


def keys_in(folder: Path) -> Path:
    """``folder`` with a signing keyring in it, generated unless one is there already."""
    load_keyring(folder, create_missing=True)
    return folder


def make_settings(
    database_url: str, instance: Path, keys_dir: Path, *, token_ttl_seconds: int = 900
) -> Settings:
    return Settings(
        env="test",
        instance_path=instance,
        database_url=normalise_database_url(database_url),
        keys_dir=keys_dir,
        issuer="https://creditbank.test/",
        audience="creditbank-test",
        token_ttl_seconds=token_ttl_seconds,
        max_body_bytes=5 * 1024 * 1024,
        ratelimit_storage="memory://",
        log_level="WARNING",
    )


def migrate_to_head(settings: Settings) -> None:
    app = create_app(settings)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@contextmanager
def app_on(settings: Settings) -> Iterator[Flask]:
    """The app on ``settings``' (migrated) database, in testing mode, inside an app context;
    its session and connections are let go on the way out."""
    app = create_app(settings)
    app.config["TESTING"] = True
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()
