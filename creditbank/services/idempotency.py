"""Idempotent posting (DESIGN.md invariant 5): ``(provider, external_ref)`` is unique; the
same key with the same body answers with the original result, with another body it is a 409."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, bindparam, func, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from creditbank.db import in_slices
from creditbank.domain.canonical import canonical_bytes
from creditbank.models import IdempotencyKey, JournalEntry, NewOutcomeState, OutcomeState
from creditbank.services.items import error_path
from creditbank.services.outcome_views import (
    Posted,
    credit_view,
    outcome_entries,
    stored_outcome_view,
)

# Built once: every post asks it, and SQLAlchemy then finds it compiled without rebuilding it.
_KEYS_OF = select(IdempotencyKey).where(
    IdempotencyKey.provider_id == bindparam("provider_id"),
    IdempotencyKey.external_ref.in_(bindparam("refs", expanding=True)),
)
# PostgreSQL: the refs as one array joined to the keys, so that each is an index probe (an IN
# list of 500 parameters is a filter that compares every key of the provider with each of them).
_REFS = func.unnest(bindparam("refs", type_=ARRAY(String))).table_valued("ref").render_derived()
_JOINED_FROM = 50  # a single post's one ref: the plain IN, one probe either way
_KEYS_JOINED = (
    select(IdempotencyKey)
    .join(_REFS, IdempotencyKey.external_ref == _REFS.c.ref)
    .where(IdempotencyKey.provider_id == bindparam("provider_id"))
)


def request_hash(item: Mapping[str, Any]) -> str:
    """Fingerprint of a validated, normalised outcome: equal bodies, equal hashes."""
    return hashlib.sha256(canonical_bytes(jsonable(item))).hexdigest()


def existing_keys(
    session: Session, provider_id: str, items: Sequence[Mapping[str, Any]]
) -> dict[str, IdempotencyKey]:
    refs = [item["external_ref"] for item in items]
    if len(refs) >= _JOINED_FROM and session.get_bind().dialect.name == "postgresql":
        rows = session.scalars(_KEYS_JOINED, {"provider_id": provider_id, "refs": refs})
        return {row.external_ref: row for row in rows}
    found: dict[str, IdempotencyKey] = {}
    for chunk in in_slices(refs):
        rows = session.scalars(_KEYS_OF, {"provider_id": provider_id, "refs": list(chunk)})
        found.update((row.external_ref, row) for row in rows)
    return found


def conflict_errors(
    items: Sequence[Mapping[str, Any]],
    hashes: Sequence[str],
    existing: Mapping[str, IdempotencyKey],
) -> dict[str, list[str]]:
    return {
        error_path(items, index, "external_ref"): ["Already used with a different body."]
        for index, item in enumerate(items)
        if (key := existing.get(item["external_ref"])) is not None
        and key.request_hash != hashes[index]
    }


def key_row(
    item: Mapping[str, Any], item_hash: str, state: NewOutcomeState, now: datetime
) -> dict[str, Any]:
    return {
        "provider_id": state.provider_id,
        "external_ref": item["external_ref"],
        "learner_id": state.learner_id,
        "outcome_id": state.outcome_id,
        "request_hash": item_hash,
        "created_at": now,
    }


def replays(session: Session, keys: Sequence[IdempotencyKey]) -> list[Posted]:
    """:func:`replay` of many keys, in their order, with a few queries per 500 of them."""
    states: dict[str, OutcomeState] = {}
    for chunk in in_slices([(key.learner_id, key.outcome_id) for key in keys]):
        pair = tuple_(OutcomeState.learner_id, OutcomeState.outcome_id)
        states.update(
            (s.outcome_id, s) for s in session.scalars(select(OutcomeState).where(pair.in_(chunk)))
        )
    entries: dict[str, JournalEntry] = {}
    for chunk in in_slices(list(states.values())):
        entries.update(outcome_entries(session, chunk))
    credits: dict[str, list[JournalEntry]] = {}
    for chunk in in_slices(list(entries)):
        rows = session.scalars(
            select(JournalEntry)
            .where(JournalEntry.kind == "credit", JournalEntry.outcome_id.in_(chunk))
            .order_by(JournalEntry.learner_id, JournalEntry.seq)
        )
        for row in rows:
            if row.recorded_at == entries[row.outcome_id or ""].recorded_at:
                credits.setdefault(row.outcome_id or "", []).append(row)
    return [
        Posted(
            stored_outcome_view(entries[k.outcome_id], states[k.outcome_id]),
            [credit_view(c) for c in credits.get(k.outcome_id, [])],
            replayed=True,
        )
        for k in keys
    ]


def jsonable(value: Any) -> Any:
    """Dates become ISO strings; everything else is JSON already (amounts are decimal strings)."""
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    return value
