"""Who is signed in to the workstation pages: Flask's signed session cookie, checked against
the staff account on every request, and the throttle on failed sign-ins when the app has a
rate limiter.

The cookie holds the username, the account's session generation at sign-in, when it signed in
and when it was last used. A session ends when the account is disabled, when the staff member
signs out anywhere (the generation is raised, so a copy of the cookie dies too), after
``CREDITBANK_STAFF_SESSION_IDLE_MINUTES`` without a request and
``CREDITBANK_STAFF_SESSION_MAX_HOURS`` after signing in, however busy.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from flask import current_app, request, session
from flask.sessions import SecureCookieSessionInterface

from creditbank.models import StaffAccount
from creditbank.services.staff import active_staff, end_staff_sessions

if TYPE_CHECKING:
    from limits import RateLimitItem
    from limits.strategies import RateLimiter

log = logging.getLogger(__name__)
SESSION_KEY = "staff"
_GENERATION, _SINCE, _SEEN = "generation", "since", "seen"
# Failed sign-ins allowed per username from anywhere (guessing one account's password from
# many addresses) and per client address: the limits of the API's token endpoint, from the
# settings when they name them. Successful sign-ins do not count.
_DEFAULT_LIMITS = {"username": "5 per 15 minutes", "address": "30 per 15 minutes"}
_LIMIT_SETTINGS = {
    "username": "failed_login_limit_per_client",
    "address": "failed_login_limit_per_address",
}


class StaffSessionInterface(SecureCookieSessionInterface):
    """The signed cookie, marked ``Secure`` whenever the request came over HTTPS (behind a
    proxy: when it said so in ``X-Forwarded-Proto``, which gunicorn trusts from its
    ``forwarded_allow_ips``)."""

    def get_cookie_secure(self, app: object) -> bool:
        return request.is_secure or bool(super().get_cookie_secure(app))  # type: ignore[arg-type]


def sign_in(account: StaffAccount) -> None:
    session.clear()  # a fresh session (and CSRF token) for the new identity
    session.permanent = True  # the browser keeps it for PERMANENT_SESSION_LIFETIME
    now = int(time.time())
    session.update(
        {
            SESSION_KEY: account.username,
            _GENERATION: account.session_generation,
            _SINCE: now,
            _SEEN: now,
        }
    )


def sign_out() -> None:
    """End this session and every other of the same account, copies of the cookie too."""
    account = signed_in_staff()
    if account is not None:
        end_staff_sessions(account.username)
    session.clear()


def signed_in_staff() -> StaffAccount | None:
    """The staff account of this session while the session is still valid; else it ends."""
    username = session.get(SESSION_KEY)
    if not isinstance(username, str):
        return None
    account = active_staff(username)
    now = time.time()
    if account is None or not _still_valid(account, now):
        session.clear()
        return None
    session[_SEEN] = int(now)
    return account


def _still_valid(account: StaffAccount, now: float) -> bool:
    """Signed in under the account's current generation, used lately, and not too long ago."""
    settings = current_app.extensions["creditbank.settings"]
    generation, since, seen = (session.get(key) for key in (_GENERATION, _SINCE, _SEEN))
    if not (isinstance(generation, int) and isinstance(since, int) and isinstance(seen, int)):
        return False  # a cookie from before these checks, or not one this app wrote
    return (
        generation == account.session_generation
        and now - since <= settings.staff_session_max_hours * 3600
        and now - seen <= settings.staff_session_idle_minutes * 60
    )


def login_throttled(username: str, form: str = "workstation-login") -> bool:
    """True when this address or this username has used up its failed sign-ins on ``form``
    (the staff's sign-in, or the learner portal's: ``learner-login``)."""
    backend = _rate_limiter()
    if backend is None:
        return False
    try:
        return any(not backend.test(item, *keys) for item, keys in _throttle_keys(username, form))
    except Exception:  # storage down: as the API's limiter does (swallow_errors), let it pass
        log.warning("login throttle storage unavailable", exc_info=True)
        return False


def count_failed_login(username: str, form: str = "workstation-login") -> None:
    backend = _rate_limiter()
    if backend is None:
        return
    try:
        for item, keys in _throttle_keys(username, form):
            backend.hit(item, *keys)
    except Exception:
        log.warning("login throttle storage unavailable", exc_info=True)


def _throttle_keys(username: str, form: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
    from limits import parse

    settings = current_app.extensions["creditbank.settings"]
    subject = {"address": request.remote_addr or "-", "username": username[:64]}
    return [
        (
            parse(getattr(settings, _LIMIT_SETTINGS[kind], default)),
            (form, kind, subject[kind]),
        )
        for kind, default in _DEFAULT_LIMITS.items()
    ]


def _rate_limiter() -> RateLimiter | None:
    """The storage strategy of the app's Flask-Limiter, when it has an enabled one."""
    for limiter in current_app.extensions.get("limiter", ()):
        if getattr(limiter, "enabled", False) and getattr(limiter, "initialized", True):
            return limiter.limiter
    return None
