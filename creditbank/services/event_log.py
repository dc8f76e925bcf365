"""The audit-event log as the workstation reads it: newest first, keyset-paged, filtered by tag
and by local dates, with the people and bodies it names looked up by name (a learner, a
provider, a college, an API client, a staff account), never shown as bare ids."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from creditbank.conversion import SHANGHAI
from creditbank.models import AuditEvent
from creditbank.services.names import caller_name, described_names, names_of
from creditbank.services.pagination import Page, keyset_page


@dataclass(frozen=True)
class EventRow:
    id: str
    tag: str
    occurred_at: datetime
    actor: str  # a name: the staff account's username, the client's or learner's name
    subject: str | None  # a name where the subject is a learner, provider, college or client
    details: dict[str, Any]


def events_page(
    cursor: str | None,
    limit: int,
    *,
    tag: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Page[EventRow]:
    """Events newest first (ids are ULIDs), of ``tag`` only, from the local day ``since`` to
    the local day ``until`` (both included)."""
    query = select(AuditEvent)
    if tag:
        query = query.where(AuditEvent.tag == tag)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= _day_start(since))
    if until is not None:
        query = query.where(AuditEvent.occurred_at < _day_start(until + timedelta(days=1)))
    page = keyset_page(query, AuditEvent.id, cursor, limit, descending=True)
    return page.map(_rows)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=SHANGHAI).astimezone(UTC)


def _rows(events: list[AuditEvent]) -> list[EventRow]:
    ids = {event.subject_id for event in events if event.subject_id}
    ids |= {event.actor for event in events if event.actor}
    names = names_of(ids)
    subjects = described_names({event.subject_id for event in events if event.subject_id})
    return [
        EventRow(
            event.id,
            event.tag,
            event.occurred_at,
            caller_name(event.actor, names),
            subjects.get(event.subject_id or ""),
            _details(event.details),
        )
        for event in events
    ]


def _details(text: str) -> dict[str, Any]:
    try:
        details = json.loads(text or "{}")
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}
