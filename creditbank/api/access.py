"""Who is calling, and may they? Roles, the bearer-token check, and the ``allow`` decorator.

Tokens are verified by :mod:`creditbank.security.tokens` (the one PyJWT wrapper); here a
verified token is matched against the database on every request, so a disabled client, a
rotated secret or a changed password stops the old tokens at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request
from sqlalchemy import Row, Select, bindparam, select

from creditbank.college_models import College
from creditbank.domain.errors import Forbidden, Unauthorized
from creditbank.domain.roles import Principal, Role
from creditbank.extensions import db
from creditbank.models import Client, Identity
from creditbank.security.tokens import InvalidToken, verify_access_token

F = TypeVar("F", bound=Callable[..., Any])
# What tokens are checked against on every request: a few columns, read as plain rows, by
# statements built once (SQLAlchemy then finds them compiled without rebuilding them).
_CLIENTS, _IDENTITIES, _COLLEGES = Client.__table__, Identity.__table__, College.__table__
_CLIENT_NOW = (
    select(
        _CLIENTS.c.disabled_at,
        _CLIENTS.c.token_version,
        _CLIENTS.c.role,
        _CLIENTS.c.provider_id,
        _CLIENTS.c.college_id,
        _COLLEGES.c.disabled_at.label("college_disabled_at"),
    )
    .select_from(_CLIENTS.outerjoin(_COLLEGES, _COLLEGES.c.id == _CLIENTS.c.college_id))
    .where(_CLIENTS.c.client_id == bindparam("subject"))
)
_IDENTITY_NOW = select(_IDENTITIES.c.token_version).where(
    _IDENTITIES.c.learner_id == bindparam("subject")
)


def current_principal() -> Principal:
    """The authenticated caller of this request (set by :func:`allow`)."""
    principal = g.get("principal")
    if principal is None:
        raise Unauthorized()
    return principal


def authenticate() -> Principal:
    """Verify the bearer token and that its client or learner may still use it. Nothing else
    opens the API: the workstation pages' session cookie has pages of its own."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("A bearer token is required")
    settings = current_app.extensions["creditbank.settings"]
    try:
        claims = verify_access_token(
            current_app.extensions["creditbank.keyring"],
            token.strip(),
            issuer=settings.issuer,
            audience=settings.audience,
        )
        role = Role(claims["role"])
    except (InvalidToken, ValueError) as exc:
        raise Unauthorized("The token is invalid or expired") from exc
    _check_still_valid(claims, role)
    return Principal(
        subject=claims["sub"],
        role=role,
        provider_id=claims.get("provider_id"),
        college_id=claims.get("college_id"),
    )


def _check_still_valid(claims: dict[str, Any], role: Role) -> None:
    version = claims.get("ver", 0)
    if role is Role.LEARNER:
        identity = _read(_IDENTITY_NOW, claims["sub"])
        if identity is None or identity.token_version != version:
            raise Unauthorized("The token is no longer valid")
        return
    client = _read(_CLIENT_NOW, claims["sub"])
    if client is None or client.disabled_at is not None or client.token_version != version:
        raise Unauthorized("The token is no longer valid")
    if client.role != role or client.provider_id != claims.get("provider_id"):
        raise Unauthorized("The token is no longer valid")
    if client.college_id != claims.get("college_id") or client.college_disabled_at is not None:
        # A disabled college's clients are refused on every request until it is enabled.
        raise Unauthorized("The token is no longer valid")


def _read(query: Select[Any], subject: str) -> Row[Any] | None:
    # Core on the session's connection (same transaction): the per-request check skips the
    # ORM's per-statement work, which costs more than the query.
    return db.session.connection().execute(query, {"subject": subject}).first()


def allow(*roles: Role) -> Callable[[F], F]:
    """Let only these roles through; the roles are also written into the OpenAPI document."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = authenticate()
            if principal.role not in roles:
                raise Forbidden(f"Role {principal.role} may not do this")
            g.principal = principal
            return view(*args, **kwargs)

        doc = wrapper.__dict__.setdefault("_apidoc", {})
        doc.setdefault("manual_doc", {}).update(
            {"security": [{"bearerAuth": []}], "x-roles": [str(role) for role in roles]}
        )
        wrapper._allowed_roles = roles  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator
