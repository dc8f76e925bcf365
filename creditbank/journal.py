"""The journal: append-only, hash-chained, one chain per learner (DESIGN.md invariants 1–3).

``append`` is the only way in; there is no update and no delete, and the database refuses
them too. Callers lock the learners' accounts first (:func:`lock_accounts`), in ``learner_id``
order, so that concurrent writers queue instead of forking a chain or deadlocking.

Locked accounts and appended entries are plain rows (:class:`LockedAccount`, :class:`Entry`),
not ORM objects: what a transaction appends is written set-based — its entries with one
``COPY``, the heads and balances of its accounts with one ``UPDATE … FROM unnest`` (an
``executemany`` of each on SQLite; :mod:`creditbank.bulk`) — just before anything else the
transaction asks of the database, and at the latest when it commits (the session events at
the end of this module). A read in the same transaction therefore always sees them, and a
batch of 500 outcomes costs two statements instead of fifteen hundred tracked objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, event, func, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import ORMExecuteState, Session

from creditbank.bulk import insert_rows, update_rows
from creditbank.db import in_slices
from creditbank.distribution import by_shard, on_citus
from creditbank.domain.amounts import format_tenths
from creditbank.domain.canonical import canonical_bytes, entry_hash, format_instant
from creditbank.models import Account, JournalEntry

# Columns that join the hashed document when they hold a value; ``data`` holds the rest.
_TEXT_COLUMNS = ("outcome_id", "provider_id", "ruleset_id", "category", "reason")
_AMOUNT_COLUMNS = ("delta", "running_total")
_OPTIONAL_COLUMNS = frozenset(_TEXT_COLUMNS + _AMOUNT_COLUMNS)
_LOCK_SLICE = 1000
_PENDING = "creditbank.journal.pending"  # Session.info: entries not yet inserted
_APPENDED = "creditbank.journal.appended"  # Session.info: every entry of the transaction
_LOCKED = "creditbank.journal.locked"  # Session.info: learner_id -> LockedAccount
_JOURNAL = JournalEntry.__table__
_ROW = tuple(column.name for column in JournalEntry.__table__.columns)
_ACCOUNTS = Account.__table__
_LOCK = (
    select(_ACCOUNTS)
    .where(_ACCOUNTS.c.learner_id.in_(bindparam("learner_ids", expanding=True)))
    .order_by(_ACCOUNTS.c.learner_id)
    .with_for_update()
)
_HEAD = (
    "head_seq",
    "head_hash",
    "head_recorded_at",
    "balance",
    "balance_by_category",
    "converted",
    "converted_by_category",
)


@dataclass(slots=True, eq=False)
class LockedAccount:
    """An account row locked by this transaction: the cached head of its chain and its
    balance, which :func:`append` and conversion move, written back when the journal is."""

    learner_id: str
    account_number: str
    opened_at: datetime
    head_seq: int
    head_hash: str
    head_recorded_at: datetime | None
    balance: int
    balance_by_category: str
    converted: int  # tenths spent on college courses (PROGRAMMES.md § Ledger semantics)
    converted_by_category: str  # canonical JSON {category: tenths}
    written: tuple[Any, ...] = field(default=(), repr=False)  # the head as the database has it

    def head(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _HEAD)


@dataclass(slots=True)
class Entry:
    """A journal entry appended in this transaction; the attributes are the table's columns,
    so that everything that reads a :class:`~creditbank.models.JournalEntry` reads this too."""

    learner_id: str
    seq: int
    kind: str
    recorded_at: datetime
    prev_hash: str
    hash: str
    data: str
    outcome_id: str | None = None
    provider_id: str | None = None
    ruleset_id: str | None = None
    category: str | None = None
    delta: int | None = None
    running_total: int | None = None
    reason: str | None = None


def lock_accounts(session: Session, learner_ids: Iterable[str]) -> dict[str, LockedAccount]:
    """Lock the accounts that exist among ``learner_ids``, in ``learner_id`` order.

    On PostgreSQL this is ``SELECT … ORDER BY learner_id FOR UPDATE`` (rows are locked in the
    sorted order, so two batches over the same learners cannot deadlock); on SQLite the
    surrounding ``BEGIN IMMEDIATE`` already serialises writers; on Citus, shard by shard in shard
    order, each in ``learner_id`` order (one order still). An account this transaction has
    locked already is given back as it stands.
    """
    known: dict[str, LockedAccount] = session.info.setdefault(_LOCKED, {})
    wanted = sorted(set(learner_ids))
    locked = {learner_id: known[learner_id] for learner_id in wanted if learner_id in known}
    wanted = [learner_id for learner_id in wanted if learner_id not in known]
    # In sorted slices, so that a batch of any size stays within the database's limit on bound
    # parameters; the slices follow one another in order, so the locks are still taken in order.
    # On Citus, a slice per shard (distribution.by_shard): it locks only within one shard.
    slices = (
        by_shard(session, "accounts", wanted) if len(wanted) > 1 and on_citus(session) else [wanted]
    )
    for learner_ids in (part for group in slices for part in in_slices(group, _LOCK_SLICE)):
        rows = session.execute(_LOCK, {"learner_ids": learner_ids})
        for row in rows:
            account = LockedAccount(**row._mapping)
            account.written = account.head()
            locked[account.learner_id] = known[account.learner_id] = account
    return locked


# PostgreSQL: the keys as two arrays joined to the entries, a primary-key probe each. A row-value
# IN list of a page's 500 keys plans as an OR of 500 bitmap scans (5–10 ms to plan), and on a
# 10 M-entry journal as a parallel one, whose worker costs 20 ms to start (docs/performance.md).
_KEYS = (
    func.unnest(
        bindparam("learner_ids", type_=ARRAY(String)), bindparam("seqs", type_=ARRAY(Integer))
    )
    .table_valued("learner_id", "seq")
    .render_derived()
)
_ENTRIES_AT = select(JournalEntry).join(
    _KEYS, and_(JournalEntry.learner_id == _KEYS.c.learner_id, JournalEntry.seq == _KEYS.c.seq)
)


def entries_at(session: Session, keys: Sequence[tuple[str, int]]) -> list[JournalEntry]:
    """The journal entries at ``keys`` (``(learner_id, seq)`` pairs), in no particular order."""
    if not keys:
        return []
    if session.get_bind().dialect.name == "postgresql":
        learner_ids, seqs = (list(column) for column in zip(*keys, strict=True))
        return list(session.scalars(_ENTRIES_AT, {"learner_ids": learner_ids, "seqs": seqs}))
    key = tuple_(JournalEntry.learner_id, JournalEntry.seq)
    return [
        entry
        for chunk in in_slices(keys)
        for entry in session.scalars(select(JournalEntry).where(key.in_(chunk)))
    ]


def entry_document(entry: JournalEntry | Entry) -> dict[str, Any]:
    """Everything hashed for ``entry``: the header, the columns that hold a value, ``data``."""
    return _document(entry, json.loads(entry.data))


def _document(entry: JournalEntry | Entry, data: dict[str, Any]) -> dict[str, Any]:
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
    document.update(data)
    return document


def append(
    session: Session,
    account: LockedAccount,
    kind: str,
    now: datetime,
    data: dict[str, Any] | None = None,
    **columns: Any,
) -> Entry:
    """Append one entry to ``account``'s chain and move the cached head with it."""
    data = data or {}
    if overlap := data.keys() & _OPTIONAL_COLUMNS:
        raise ValueError(f"data repeats columns {sorted(overlap)}")
    if unknown := columns.keys() - _OPTIONAL_COLUMNS:
        raise TypeError(f"not a journal column: {sorted(unknown)}")
    recorded_at = max(now, account.head_recorded_at or now)  # never backwards in one chain
    entry = Entry(
        learner_id=account.learner_id,
        seq=account.head_seq + 1,
        kind=kind,
        recorded_at=recorded_at,
        prev_hash=account.head_hash,
        hash="",
        data=canonical_bytes(data).decode("utf-8"),
        **columns,
    )
    entry.hash = entry_hash(_document(entry, data))
    session.info.setdefault(_PENDING, []).append(entry)
    session.info.setdefault(_APPENDED, []).append(entry)
    account.head_seq = entry.seq
    account.head_hash = entry.hash
    account.head_recorded_at = recorded_at
    return entry


def appended(session: Session) -> list[Entry]:
    """The entries the session's current transaction has appended so far."""
    return session.info.get(_APPENDED, [])


def write_pending(session: Session) -> None:
    """Insert the entries appended since the last write and update the accounts they moved,
    with one statement each (:mod:`creditbank.bulk`)."""
    pending = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = []
        rows = [{name: getattr(entry, name) for name in _ROW} for entry in pending]
        insert_rows(session.connection(), _JOURNAL, rows)
    moved = [a for a in session.info.get(_LOCKED, {}).values() if a.head() != a.written]
    if moved:
        heads = []
        for account in moved:
            account.written = account.head()
            heads.append(
                dict(zip(_HEAD, account.written, strict=True), learner_id=account.learner_id)
            )
        update_rows(session.connection(), _ACCOUNTS, "learner_id", heads)


@event.listens_for(Session, "do_orm_execute")
def _before_any_statement(state: ORMExecuteState) -> None:
    write_pending(state.session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    write_pending(session)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    for key in (_PENDING, _APPENDED, _LOCKED):
        session.info.pop(key, None)
