"""Providers, their API clients and the staff accounts as the workstation's pages manage them:
the same services as the API (:mod:`creditbank.services.clients`, :mod:`.staff`), each change
with its audit event in the same transaction, the caller named by a :class:`Principal`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank.college_models import College
from creditbank.domain.errors import Conflict, NotFound, ValidationFailed
from creditbank.domain.roles import Principal, Role
from creditbank.events import EventTag, record_event
from creditbank.extensions import db
from creditbank.intake.text import unkeepable
from creditbank.models import Client, Provider, StaffAccount
from creditbank.services import clients, staff
from creditbank.services.clients import AfterWrite, Credentials
from creditbank.services.pagination import Page, keyset_page
from creditbank.services.transaction import utcnow

PROVIDER_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")  # as the API's ProviderCreate
MAX_NAME = 200
MAX_COLLEGES = 500  # a county's colleges, for a select


@dataclass(frozen=True)
class ProviderRow:
    provider: Provider
    clients: list[Client]


def providers_with_clients(cursor: str | None, limit: int) -> Page[ProviderRow]:
    """Providers in registration order, each with its clients (one query for all of them)."""
    page = keyset_page(select(Provider), Provider.id, cursor, limit)
    ids = [provider.id for provider in page.items]
    owned: dict[str, list[Client]] = {provider_id: [] for provider_id in ids}
    if ids:
        query = select(Client).where(Client.provider_id.in_(ids)).order_by(Client.client_id)
        for client in db.session.scalars(query):
            owned[str(client.provider_id)].append(client)
    return page.map(lambda rows: [ProviderRow(row, owned[row.id]) for row in rows])


def get_client(client_id: str) -> Client:
    client = db.session.get(Client, client_id)
    if client is None:
        raise NotFound("No such client")
    return client


def client_owner_name(client: Client) -> str:
    """Whose client it is, by name: its provider's or its college's (else its own name)."""
    if client.provider_id and (provider := db.session.get(Provider, client.provider_id)):
        return provider.name
    if client.college_id and (college := db.session.get(College, client.college_id)):
        return college.name
    return client.name


def create_provider(principal: Principal, code: str, name: str) -> tuple[Provider, Credentials]:
    """A provider and its first client (named after it), in one transaction with the events.
    Bad fields, and a code already taken, are 422 on their field."""
    errors: dict[str, list[str]] = {}
    if not PROVIDER_CODE.fullmatch(code):
        errors["code"] = ["1–32 letters, digits, '_' or '-'."]
    if not 1 <= len(name) <= MAX_NAME or unkeepable(name):
        errors["name"] = [f"1–{MAX_NAME} characters, none of them NUL."]
    if errors:
        raise ValidationFailed(errors=errors)
    made: list[Credentials] = []

    def with_client(session: Session, provider: Provider) -> None:
        credentials = clients.add_client(session, Role.PROVIDER, name, provider.id)
        made.append(credentials)
        _event(session, EventTag.WEB_PROVIDER_CREATED, principal, provider.id, code=code)
        details = {"provider_id": provider.id}
        _event(session, EventTag.WEB_CLIENT_CREATED, principal, credentials.client_id, **details)

    try:
        provider = clients.register_provider(code, name, after=with_client)
    except Conflict as taken:
        raise ValidationFailed(errors={"code": ["taken"]}) from taken
    return provider, made[0]


def rotate_secret(principal: Principal, client_id: str) -> Credentials:
    """A new secret, shown to the caller once; the old one and its tokens stop working."""
    after = _client_event(EventTag.WEB_CLIENT_SECRET_ROTATED, principal)
    return clients.rotate_client_secret(client_id, after=after)


def disable_client(principal: Principal, client_id: str) -> None:
    clients.disable_client(client_id, after=_client_event(EventTag.WEB_CLIENT_DISABLED, principal))


def staff_accounts(cursor: str | None, limit: int) -> Page[StaffAccount]:
    return keyset_page(select(StaffAccount), StaffAccount.username, cursor, limit)


def college_names(college_ids: set[str] | None = None) -> dict[str, str]:
    """Colleges by id (those asked for, or the first MAX_COLLEGES active ones for a select)."""
    query = select(College.id, College.name)
    if college_ids is None:
        query = query.where(College.disabled_at.is_(None)).order_by(College.name)
        query = query.limit(MAX_COLLEGES)
    elif not college_ids:
        return {}
    else:
        query = query.where(College.id.in_(college_ids))
    return {college_id: name for college_id, name in db.session.execute(query)}


def create_staff(
    principal: Principal, username: str, role: str, password: str, college_id: str | None
) -> StaffAccount:
    """A staff account; a bad or taken username, an unknown role or college: 422 on its field."""
    try:
        chosen = Role(role)
    except ValueError:
        raise ValidationFailed(errors={"role": ["unknown"]}) from None
    if chosen is not Role.COLLEGE:
        college_id = None
    elif not college_id:
        raise ValidationFailed(errors={"college_id": ["required"]})
    after = _staff_event(EventTag.WEB_STAFF_CREATED, principal)
    try:
        return staff.create_staff(username, chosen, password, college_id, after=after)
    except Conflict as taken:
        raise ValidationFailed(errors={"username": ["taken"]}) from taken
    except NotFound as missing:
        raise ValidationFailed(errors={"college_id": ["unknown"]}) from missing


def disable_staff(principal: Principal, username: str) -> StaffAccount:
    return staff.disable_staff(username, after=_staff_event(EventTag.WEB_STAFF_DISABLED, principal))


def get_staff(username: str) -> StaffAccount:
    account = db.session.get(StaffAccount, username)
    if account is None:
        raise NotFound("No such staff account")
    return account


def _client_event(tag: EventTag, principal: Principal) -> AfterWrite:
    def record(session: Session, client: Client) -> None:
        owner = {"provider_id": client.provider_id} if client.provider_id else {}
        _event(session, tag, principal, client.client_id, **owner)

    return record


def _staff_event(tag: EventTag, principal: Principal) -> AfterWrite:
    def record(session: Session, account: StaffAccount) -> None:
        # The username goes in the details: the subject column holds ids (40 characters).
        _event(session, tag, principal, None, username=account.username, role=account.role)

    return record


def _event(
    session: Session, tag: EventTag, principal: Principal, subject: str | None, **details: Any
) -> None:
    record_event(
        session,
        tag,
        actor=principal.subject,
        subject_id=subject,
        occurred_at=utcnow(),
        details=details,
    )
