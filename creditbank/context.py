"""The application's settings and key material, for services that need them."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask, current_app

from config.settings import Settings
from creditbank.security.keys import KeyRing


def settings() -> Settings:
    return current_app.extensions["creditbank.settings"]


def keyring() -> KeyRing:
    return current_app.extensions["creditbank.keyring"]


def in_background(work: Callable[[], None], name: str) -> None:
    """Run ``work`` after the response, in a thread of this worker with the app's context (how
    the API and the pages start a long audit). A daemon: it must not hold a worker's shutdown
    hostage (what it leaves unfinished says so itself)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(target=_with_app, args=(app, work), name=name, daemon=True)
    thread.start()


def _with_app(app: Flask, work: Callable[[], None]) -> None:
    with app.app_context():
        work()
