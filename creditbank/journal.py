"""The journal: append-only, hash-chained, one chain per learner (DESIGN.md invariants 1–3).

``append`` is the only way in; there is no update and no delete, and the database refuses
them too. Callers lock the learners' accounts first (:func:`lock_accounts`), in ``learner_id``
order, so that concurrent writers queue instead of forking a chain or deadlocking.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank.domain.amounts import format_tenths
from creditbank.domain.canonical import canonical_bytes, entry_hash, format_instant
from creditbank.models import Account, JournalEntry

# Columns that join the hashed document when they hold a value; ``data`` holds the rest.
_TEXT_COLUMNS = ("outcome_id", "provider_id", "ruleset_id", "category", "reason")
_AMOUNT_COLUMNS = ("delta", "running_total")
_LOCK_SLICE = 1000


def lock_accounts(session: Session, learner_ids: Iterable[str]) -> dict[str, Account]:
    """Lock the accounts that exist among ``learner_ids``, in ``learner_id`` order.

    On PostgreSQL this is ``SELECT … ORDER BY learner_id FOR UPDATE`` (rows are locked in the
    sorted order, so two batches over the same learners cannot deadlock); on SQLite the
    surrounding ``BEGIN IMMEDIATE`` already serialises writers.
    """
    wanted = sorted(set(learner_ids))
    locked: dict[str, Account] = {}
    # In sorted slices, so that a batch of any size stays within the database's limit on bound
    # parameters; the slices follow one another in order, so the locks are still taken in order.
    for start in range(0, len(wanted), _LOCK_SLICE):
        rows = session.scalars(
            select(Account)
            .where(Account.learner_id.in_(wanted[start : start + _LOCK_SLICE]))
            .order_by(Account.learner_id)
            .with_for_update()
        )
        locked.update((account.learner_id, account) for account in rows)
    return locked


def entry_document(entry: JournalEntry) -> dict[str, Any]:
    """Everything hashed for ``entry``: the header, the columns that hold a value, ``data``."""
    document: dict[str, Any] = {
        "learner_id": entry.learner_id,
        "seq": entry.seq,
        "kind": entry.kind,
        "recorded_at": format_instant(entry.recorded_at),
        "prev_hash": entry.prev_hash,
    }
    for name in _TEXT_COLUMNS:
        value = getattr(entry, name)
        if value is not None:
            document[name] = value
    for name in _AMOUNT_COLUMNS:
        value = getattr(entry, name)
        if value is not None:
            document[name] = format_tenths(value)
    document.update(json.loads(entry.data))
    return document


def append(
    session: Session,
    account: Account,
    kind: str,
    now: datetime,
    data: dict[str, Any] | None = None,
    **columns: Any,
) -> JournalEntry:
    """Append one entry to ``account``'s chain and move the cached head with it."""
    recorded_at = max(now, account.head_recorded_at or now)  # never backwards in one chain
    entry = JournalEntry(
        learner_id=account.learner_id,
        seq=account.head_seq + 1,
        kind=kind,
        recorded_at=recorded_at,
        prev_hash=account.head_hash,
        data=canonical_bytes(data or {}).decode("utf-8"),
        **columns,
    )
    overlap = set(json.loads(entry.data)) & (set(_TEXT_COLUMNS) | set(_AMOUNT_COLUMNS))
    if overlap:
        raise ValueError(f"data repeats columns {sorted(overlap)}")
    entry.hash = entry_hash(entry_document(entry))
    session.add(entry)
    account.head_seq = entry.seq
    account.head_hash = entry.hash
    account.head_recorded_at = recorded_at
    return entry
