"""Throttling failed logins (API.md § Conventions: 429, Retry-After): ``POST /auth/token``, and
a learner's ``PUT /learners/{id}/password``, whose wrong ``old_password`` is a failed login too.

Flask-Limiter counts the attempts that fail (answered 401) per account — the ``client_id``, or
the learner's ``username`` or the learner whose password is changed — and per remote address,
in a moving window shared by both endpoints. Once either count reaches its limit every attempt
is refused with 429 ``too_many_requests``, right credentials too, until the window frees a
slot: a secret cannot be guessed faster than the limit, wherever it is tried, and successful
attempts never count. A workstation's reset (no ``old_password``) neither counts nor waits.
The counts live in ``CREDITBANK_RATELIMIT_STORAGE``: Redis (``redis://…``) so that every
gunicorn worker shares them; ``memory://`` counts per process and suits one process only. If
Redis is unreachable, each process counts in memory until it is back (Flask-Limiter's
in-memory fallback) rather than letting every guess through.

The remote address is the socket's peer (``REMOTE_ADDR``); an ``X-Forwarded-For`` header is
not believed, so a client cannot pick a new address for each guess.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

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
# The storage scopes of the two counts, the same for every endpoint that checks a password.
_PER_ACCOUNT, _PER_ADDRESS = "failed-login-client", "failed-login-address"
# How an operation documents its 429 (the response itself is made by _throttled below).
THROTTLED_RESPONSE: dict[str, Any] = {
    "description": "Too many wrong passwords for this account or from this address "
    "(too_many_requests): try again after Retry-After seconds",
    "headers": {
        "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}},
    },
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def init_throttle(
    app: Flask, settings: Settings, token_blueprint: Blueprint, password_blueprint: Blueprint
) -> Limiter:
    """One limiter per app, with its own storage; its limits apply to the token endpoint's
    blueprint and to the password change's."""
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
    _count_failed_logins(limiter, settings, token_blueprint, login_client)
    _count_failed_logins(
        limiter, settings, password_blueprint, password_owner, exempt_when=password_reset
    )
    _scope_hooks(app, limiter, (token_blueprint.name, password_blueprint.name))

    @app.errorhandler(RateLimitExceeded)
    def _throttled(_error: RateLimitExceeded) -> Response:
        return problem_response(
            TooManyRequests(
                "Too many wrong passwords; wait before trying again",
                headers={"Retry-After": str(_retry_after(limiter))},
            )
        )

    return limiter


def _count_failed_logins(
    limiter: Limiter,
    settings: Settings,
    blueprint: Blueprint,
    account: Callable[[], str],
    exempt_when: Callable[[], bool] | None = None,
) -> None:
    """Failed attempts at ``blueprint`` count against the account they try (``account`` says
    which) and the caller's address, in the windows every such endpoint shares."""
    for limit, key_func, scope in (
        (settings.failed_login_limit_per_client, account, _PER_ACCOUNT),
        (settings.failed_login_limit_per_address, get_remote_address, _PER_ADDRESS),
    ):
        limiter.shared_limit(
            limit, scope, key_func=key_func, deduct_when=failed_login, exempt_when=exempt_when
        )(blueprint)


def _scope_hooks(app: Flask, limiter: Limiter, blueprints: tuple[str, ...]) -> None:
    """Flask-Limiter hooks itself into every request of the app, but only the blueprints that
    check passwords have limits: its before-, after- and teardown-request functions move to
    their own lists (Flask runs those for their requests only), so no other request pays."""
    _move_hooks(app.before_request_funcs, limiter, blueprints)
    _move_hooks(app.after_request_funcs, limiter, blueprints)
    _move_hooks(app.teardown_request_funcs, limiter, blueprints)


def _move_hooks(
    hooks: dict[str | None, list[_Hook]], limiter: Limiter, blueprints: tuple[str, ...]
) -> None:
    """One of the app's hook lists: ``limiter``'s hooks move from every request to each of
    ``blueprints``."""
    everywhere = hooks.get(None, [])
    mine = [hook for hook in everywhere if _bound_to(hook, limiter)]
    hooks[None] = [hook for hook in everywhere if hook not in mine]
    for blueprint in blueprints:
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
    """Whom a token request tries to log in as: a client or a learner. A learner's account
    number counts as its learner id: one learner, one count, whichever name the guesses use."""
    body = _body_fields()
    if body.get("grant_type") == "password":
        name = body.get("username")
        if isinstance(name, str) and name:
            name = signing_in_learner_id(name)
        return _account_key("learner", name)
    return _account_key("client", body.get("client_id"))


def password_owner() -> str:
    """Whose password a password change tries: the learner in the path (the same key as that
    learner's logins, so the two count together)."""
    return _account_key("learner", (request.view_args or {}).get("learner_id"))


def password_reset() -> bool:
    """A change without ``old_password``: the workstation's reset, which guesses nothing."""
    return "old_password" not in _body_fields()


def _account_key(kind: str, name: object) -> str:
    """``kind:`` and a digest of the id (keys stay short, and the log line Flask-Limiter writes
    on a breach holds no id)."""
    if not isinstance(name, str) or not name:
        return f"{kind}:-"
    return f"{kind}:{hashlib.sha256(name.encode('utf-8')).hexdigest()[:32]}"


def _body_fields() -> dict:
    """The request's body, JSON or form; empty when it cannot be read (the request is then
    refused by validation, which counts nothing)."""
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
