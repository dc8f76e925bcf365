"""API clients and providers: who may call, with which secret, and the tokens they get."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditbank.college_models import College
from creditbank.context import keyring, settings
from creditbank.domain.errors import Conflict, InvalidCredentials, NotFound, ValidationFailed
from creditbank.domain.ids import new_id
from creditbank.domain.roles import CLIENT_ROLES, Role
from creditbank.extensions import db
from creditbank.models import Client, Provider
from creditbank.security.passwords import (
    dummy_verify,
    hash_secret,
    new_client_secret,
    verify_secret,
)
from creditbank.security.tokens import issue_access_token
from creditbank.services.learners import verify_learner_password
from creditbank.services.pagination import Page, keyset_page
from creditbank.services.transaction import utcnow, write_transaction


@dataclass(frozen=True)
class Credentials:
    """A client's id and secret, shown once, when created or rotated."""

    client_id: str
    client_secret: str


@dataclass(frozen=True)
class AccessToken:
    access_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret


# Called inside the transaction of a change, with its session and the changed row: how a caller
# adds its audit event to the same commit (the pages do; the API records none here).
AfterWrite = Callable[[Session, Any], object]


def create_client(
    role: Role, name: str, provider_id: str | None = None, college_id: str | None = None
) -> Credentials:
    """A new client of ``role``; provider clients belong to a provider, college clients to a
    college."""
    with write_transaction() as session:
        return add_client(session, role, name, provider_id, college_id)


def add_client(
    session: Session,
    role: Role,
    name: str,
    provider_id: str | None = None,
    college_id: str | None = None,
) -> Credentials:
    """:func:`create_client` within the caller's transaction."""
    if role not in CLIENT_ROLES:
        raise ValidationFailed(errors={"role": [f"Must be one of {', '.join(CLIENT_ROLES)}."]})
    if (role is Role.PROVIDER) != (provider_id is not None):
        raise ValidationFailed(errors={"provider_id": ["Provider clients need a provider."]})
    if (role is Role.COLLEGE) != (college_id is not None):
        raise ValidationFailed(errors={"college_id": ["College clients need a college."]})
    if provider_id is not None and session.get(Provider, provider_id) is None:
        raise NotFound("No such provider")
    if college_id is not None and session.get(College, college_id) is None:
        raise NotFound("No such college")
    secret = new_client_secret()
    client_id = new_id("c")
    session.add(
        Client(
            client_id=client_id,
            name=name,
            role=role.value,
            provider_id=provider_id,
            college_id=college_id,
            secret_hash=hash_secret(secret),
            created_at=utcnow(),
        )
    )
    return Credentials(client_id, secret)


def disable_client(client_id: str, *, after: AfterWrite | None = None) -> None:
    """Its tokens stop working at once (every request re-checks the client)."""
    with write_transaction() as session:
        client = _client(session.get(Client, client_id))
        if client.disabled_at is None:
            client.disabled_at = utcnow()
            if after is not None:
                after(session, client)


def rotate_client_secret(client_id: str, *, after: AfterWrite | None = None) -> Credentials:
    """A new secret; the old secret and every token issued under it stop working."""
    secret = new_client_secret()
    with write_transaction() as session:
        client = _client(session.get(Client, client_id))
        client.secret_hash = hash_secret(secret)
        client.token_version += 1
        if after is not None:
            after(session, client)
    return Credentials(client_id, secret)


def register_provider(code: str, name: str, *, after: AfterWrite | None = None) -> Provider:
    """A training provider; its ``code`` is unique (409 ``conflict``). ``after`` runs in the
    same transaction (a page adds the provider's first client and its audit event there)."""
    provider = Provider(id=new_id("p"), code=code, name=name, created_at=utcnow())
    try:
        with write_transaction() as session:
            if session.scalar(select(Provider).where(Provider.code == code)) is not None:
                raise Conflict(f"A provider with code {code} already exists")
            session.add(provider)
            if after is not None:
                session.flush()  # the client refers to it
                after(session, provider)
    except IntegrityError as exc:
        raise Conflict(f"A provider with code {code} already exists") from exc
    return get_provider(provider.id)


def get_provider(provider_id: str) -> Provider:
    provider = db.session.get(Provider, provider_id)
    if provider is None:
        raise NotFound("No such provider")
    return provider


def list_providers(cursor: str | None, limit: int) -> Page[Provider]:
    return keyset_page(select(Provider), Provider.id, cursor, limit)


def issue_client_token(client_id: str, client_secret: str) -> AccessToken:
    """The client-credentials grant; 401 for an unknown, disabled or wrong client."""
    client = db.session.get(Client, client_id)
    if client is None:
        dummy_verify()
        raise InvalidCredentials()
    if not verify_secret(client_secret, client.secret_hash) or client.disabled_at is not None:
        raise InvalidCredentials()
    if client.college_id and _college_disabled(client.college_id):
        raise InvalidCredentials()  # as its tokens are refused while the college is disabled
    extra: dict[str, object] = {"ver": client.token_version}
    if client.provider_id:
        extra["provider_id"] = client.provider_id
    if client.college_id:
        extra["college_id"] = client.college_id
    return _token(client.client_id, Role(client.role), extra)


def issue_learner_token(learner_id: str, password: str) -> AccessToken:
    """The password grant for learners."""
    identity = verify_learner_password(learner_id, password)
    return _token(identity.learner_id, Role.LEARNER, {"ver": identity.token_version})


def _token(subject: str, role: Role, extra: dict[str, object]) -> AccessToken:
    config = settings()
    token, expires_in = issue_access_token(
        keyring(),
        issuer=config.issuer,
        audience=config.audience,
        subject=subject,
        role=role.value,
        ttl_seconds=config.token_ttl_seconds,
        extra_claims=extra,
    )
    return AccessToken(token, expires_in)


def _college_disabled(college_id: str) -> bool:
    college = db.session.get(College, college_id)
    return college is None or college.disabled_at is not None


def _client(client: Client | None) -> Client:
    if client is None:
        raise NotFound("No such client")
    return client
