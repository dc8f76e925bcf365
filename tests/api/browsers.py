"""A browser on the workstation's pages through Flask's test client: a cookie jar of its own,
the sign-in form's CSRF token, signing in."""

from __future__ import annotations

import re
from typing import Any

from flask import g
from flask.testing import FlaskClient

STAFF_PASSWORD = "staff-password-1"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class PageClient(FlaskClient):
    """A browser of its own. The ``app`` fixture keeps one app context open for the whole
    test, so every request would share its ``g`` (where Flask-WTF caches the CSRF token and
    the pages keep the signed-in account); a real server starts each request afresh."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        for name in ("csrf_token", "staff", "learner"):
            g.pop(name, None)
        return super().open(*args, **kwargs)


def new_browser(app) -> PageClient:
    return PageClient(app, app.response_class, use_cookies=True)


def csrf_token(client: FlaskClient, path: str = "/workstation/login") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    found = CSRF_FIELD.search(page.get_data(as_text=True))
    assert found, "the form carries no CSRF token"
    return found.group(1)


def sign_in(
    client: FlaskClient, username: str, password: str = STAFF_PASSWORD, **extra: str
) -> Any:
    token = csrf_token(client)
    form = {"username": username, "password": password, "csrf_token": token, **extra}
    return client.post("/workstation/login", data=form)
