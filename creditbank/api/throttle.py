"""Throttling failed logins on ``POST /auth/token`` (API.md § Conventions: 429, Retry-After).

Flask-Limiter counts the attempts that fail (answered 401) per client — the ``client_id``, or
the learner's ``username`` — and per remote address, in a moving window. Once either count
reaches its limit every attempt is refused with 429 ``too_many_requests``, right credentials
too, until the window frees a slot: a secret cannot be guessed faster than the limit, and
successful logins never count. The counts live in ``CREDITBANK_RATELIMIT_STORAGE``: Redis
(``redis://…``) so that every gunicorn worker shares them; ``memory://`` counts per process
and suits one process only. If Redis is unreachable, each process counts in memory until it
is back (Flask-Limiter's in-memory fallback) rather than letting every guess through.

The remote address is the socket's peer (``REMOTE_ADDR``); an ``X-Forwarded-For`` header is
not believed, so a client cannot pick a new address for each guess.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from functools import partial
from typing import TypeVar

from flask import Blueprint, Flask, Response, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from config.settings import Settings
from creditbank.api.parsing import parse_json_bytes
from creditbank.api.problems import problem_response
from creditbank.domain.errors import DomainError, TooManyRequests
from creditbank.services.learners import signing_in_learner_id

# When the breached window cannot be read (storage gone in between), ask for this many seconds.
_FALLBACK_RETRY_AFTER = 60
log = logging.getLogger(__name__)
_Hook = TypeVar("_Hook")


def init_throttle(app: Flask, settings: Settings, token_blueprint: Blueprint) -> Limiter:
    """One limiter per app, with its own storage; its limits apply to ``token_blueprint``."""
    if settings.production and settings.ratelimit_storage.startswith("memory://"):
        log.warning(
            "failed logins are counted per process (memory://): with several gunicorn workers "
            "set CREDITBANK_RATELIMIT_STORAGE=redis://… so that they share the counts"
        )
    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        storage_uri=settings.ratelimit_storage,
        strategy="moving-window",
        key_prefix=settings.ratelimit_key_prefix,
        headers_enabled=False,
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    limiter.limit(
        settings.failed_login_limit_per_client,
        key_func=login_client,
        scope="failed-login-client",
        deduct_when=failed_login,
    )(token_blueprint)
    limiter.limit(
        settings.failed_login_limit_per_address,
        key_func=get_remote_address,
        scope="failed-login-address",
        deduct_when=failed_login,
    )(token_blueprint)

    _scope_hooks(app, limiter, token_blueprint.name)

    @app.errorhandler(RateLimitExceeded)
    def _throttled(_error: RateLimitExceeded) -> Response:
        return problem_response(
            TooManyRequests(
                "Too many failed logins; wait before trying again",
                headers={"Retry-After": str(_retry_after(limiter))},
            )
        )

    return limiter


def _scope_hooks(app: Flask, limiter: Limiter, blueprint: str) -> None:
    """Flask-Limiter hooks itself into every request of the app, but only the token endpoint
    has limits: its before-, after- and teardown-request functions move to that blueprint's
    own lists (Flask runs those for its requests only), so no other request pays for them."""
    _move_hooks(app.before_request_funcs, limiter, blueprint)
    _move_hooks(app.after_request_funcs, limiter, blueprint)
    _move_hooks(app.teardown_request_funcs, limiter, blueprint)


def _move_hooks(hooks: dict[str | None, list[_Hook]], limiter: Limiter, blueprint: str) -> None:
    """One of the app's hook lists: ``limiter``'s hooks move from every request to ``blueprint``."""
    everywhere = hooks.get(None, [])
    mine = [hook for hook in everywhere if _bound_to(hook, limiter)]
    hooks[None] = [hook for hook in everywhere if hook not in mine]
    hooks.setdefault(blueprint, []).extend(mine)


def _bound_to(hook: object, limiter: Limiter) -> bool:
    """A method of ``limiter``, or a ``partial`` of a method applied to it."""
    if getattr(hook, "__self__", None) is limiter:
        return True
    return isinstance(hook, partial) and bool(hook.args) and hook.args[0] is limiter


def failed_login(response: Response) -> bool:
    """Only what a wrong secret or password earns counts: 401."""
    return response.status_code == 401


def login_client() -> str:
    """Whom a token request tries to log in as: ``client:`` or ``learner:`` and a digest of the
    id (keys stay short, and the log line Flask-Limiter writes on a breach holds no id). A
    learner's account number counts as its learner id: one learner, one count, whichever
    name the guesses use."""
    body = _credentials()
    if body.get("grant_type") == "password":
        kind, name = "learner", body.get("username")
        if isinstance(name, str) and name:
            name = signing_in_learner_id(name)
    else:
        kind, name = "client", body.get("client_id")
    if not isinstance(name, str) or not name:
        return f"{kind}:-"
    return f"{kind}:{hashlib.sha256(name.encode('utf-8')).hexdigest()[:32]}"


def _credentials() -> dict:
    """The body of the token request, JSON or form; empty when it cannot be read (the request
    is then refused by validation, which counts nothing)."""
    if request.is_json:
        try:
            body = parse_json_bytes(request.get_data(cache=True))
        except DomainError:
            return {}
        return body if isinstance(body, dict) else {}
    return request.form.to_dict()


def _retry_after(limiter: Limiter) -> int:
    """Whole seconds until the breached window frees a slot (at least 1)."""
    breached = limiter.current_limit
    try:
        reset_at = breached.reset_at if breached is not None else None
    except Exception:  # storage unreachable while reading the window: a safe default
        reset_at = None
    if reset_at is None:
        return _FALLBACK_RETRY_AFTER
    return max(1, math.ceil(reset_at - time.time()))
