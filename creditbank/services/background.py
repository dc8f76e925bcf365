"""Work that goes on after a response: a daemon thread inside the app's context. The API's
audits and the console's uploads both start their long work with it."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask, current_app


def in_background(work: Callable[[], None], name: str) -> None:
    """Run ``work`` in a thread of this worker, with the app's context. A daemon: it must not
    hold a worker's shutdown hostage (what it leaves unfinished says so itself)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(target=_with_app, args=(app, work), name=name, daemon=True)
    thread.start()


def _with_app(app: Flask, work: Callable[[], None]) -> None:
    with app.app_context():
        work()
