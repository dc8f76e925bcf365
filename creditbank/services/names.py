"""Names for ids, for pages that must show a learner, a provider, a college, an API client or
a staff member by name rather than by id: one query per kind for a whole page of rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from creditbank.college_models import College
from creditbank.extensions import db
from creditbank.models import Client, Identity, Provider

STAFF_PREFIX = "staff:"  # how a staff member acts (web.guards.staff_principal)


def learner_names(learner_ids: set[str]) -> dict[str, str]:
    return names_of(learner_ids, kinds=(_LEARNERS,))


def names_of(ids: set[str], kinds: tuple[tuple[Any, Any], ...] | None = None) -> dict[str, str]:
    """The name of each of ``ids`` that is a learner, a provider, a college or an API client."""
    names: dict[str, str] = {}
    if not ids:
        return names
    for column, name in kinds or _EVERY_KIND:
        query = select(column, name).where(column.in_(ids))
        names.update({key: value for key, value in db.session.execute(query)})
    return names


def described_names(ids: set[str]) -> dict[str, str]:
    """As :func:`names_of`, each name after the kind of thing it names (学员 陈晓雨, 培训机构 …)."""
    described: dict[str, str] = {}
    for kind, word in zip(_EVERY_KIND, KIND_WORDS, strict=True):
        named = names_of(ids, kinds=(kind,))
        described.update({key: f"{word} {name}" for key, name in named.items()})
    return described


def caller_name(caller: str | None, names: dict[str, str]) -> str:
    """Who did something, as recorded (``staff:<username>``, a client's or a learner's id)."""
    if caller is None:
        return "系统"
    if caller.startswith(STAFF_PREFIX):
        return caller[len(STAFF_PREFIX) :]
    return names.get(caller, "（已删除）")


KIND_WORDS = ("学员", "培训机构", "院校", "接入账号")
_LEARNERS: tuple[Any, Any] = (Identity.learner_id, Identity.name)
_EVERY_KIND: tuple[tuple[Any, Any], ...] = (
    _LEARNERS,
    (Provider.id, Provider.name),
    (College.id, College.name),
    (Client.client_id, Client.name),
)
