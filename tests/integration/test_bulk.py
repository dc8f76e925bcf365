"""creditbank.bulk writes exactly what a row-by-row INSERT and UPDATE write: the same rows,
byte for byte, whose hashes still match what they store (a value COPY escaped or an instant it
moved would break the chain), and a duplicate key is an IntegrityError either way, as the
idempotency retry of services/posting.py expects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditbank.bulk import COPY_FROM_ROWS, insert_rows, update_rows
from creditbank.domain.canonical import entry_hash
from creditbank.extensions import db
from creditbank.journal import append, appended, entry_document, lock_accounts, write_pending
from creditbank.models import Account, JournalEntry

pytestmark = pytest.mark.usefixtures("cheap_secret_hashing")

JOURNAL = JournalEntry.__table__
ACCOUNTS = Account.__table__
# Everything COPY's text format must escape, and text that looks like its NULL marker.
AWKWARD = ["tab\there", "new\nline\r\n", "back\\slash \\N", '"引号" ✓', "\\", ""]
LEARNERS = COPY_FROM_ROWS // len(AWKWARD) + 1  # enough entries for COPY
HEAD = ("head_seq", "head_hash", "head_recorded_at", "balance", "balance_by_category")


def _append_some(session: Session, learner_ids: list[str]) -> None:
    """Entries with every optional column and awkward text, at instants with microseconds and
    given in another zone, on the learners' chains (each account moved too)."""
    accounts = lock_accounts(session, learner_ids)
    when = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
    for number, account in enumerate(accounts.values()):
        for step, text in enumerate(AWKWARD):
            append(
                session,
                account,
                "outcome" if step % 2 else "credit",
                when + timedelta(microseconds=number * 7 + step),
                data={"note": text, "nested": {"list": [text, step]}},
                outcome_id=f"o_{number}_{step}",
                provider_id=None if step % 3 else f"p_{text[:3]}",
                category=text[:64] or None,
                delta=-step * 5 if step % 2 else None,
                running_total=step * 10,
                reason=text,
            )
        account.balance = 10 * number - 5
        account.balance_by_category = '{"a\\tb":"1.5"}'


def _stored(connection: Connection, learner_ids: list[str]) -> tuple[list[Any], list[Any]]:
    entries = connection.execute(
        select(JOURNAL)
        .where(JOURNAL.c.learner_id.in_(learner_ids))
        .order_by(JOURNAL.c.learner_id, JOURNAL.c.seq)
    ).all()
    heads = connection.execute(
        select(*(ACCOUNTS.c[name] for name in ("learner_id", *HEAD)))
        .where(ACCOUNTS.c.learner_id.in_(learner_ids))
        .order_by(ACCOUNTS.c.learner_id)
    ).all()
    return [tuple(row) for row in entries], [tuple(row) for row in heads]


def _row_by_row(session: Session) -> None:
    """What the journal wrote before creditbank.bulk: one INSERT per entry, one UPDATE per
    account, through SQLAlchemy's own parameter handling."""
    connection = session.connection()
    for entry in appended(session):
        row = {column.name: getattr(entry, column.name) for column in JOURNAL.columns}
        connection.execute(insert(JOURNAL), row)
    for learner_id, account in session.info["creditbank.journal.locked"].items():
        values = {name: getattr(account, name) for name in HEAD}
        connection.execute(
            update(ACCOUNTS).where(ACCOUNTS.c.learner_id == learner_id).values(values)
        )
    session.info["creditbank.journal.pending"] = []
    for account in session.info["creditbank.journal.locked"].values():
        account.written = account.head()


def test_bulk_writes_what_row_by_row_writes(app: Flask, api) -> None:
    learner_ids = sorted(api.new_learner() for _ in range(LEARNERS))
    session = db.session()

    _append_some(session, learner_ids)
    write_pending(session)  # creditbank.bulk: COPY and UPDATE … FROM unnest on PostgreSQL
    bulk = _stored(session.connection(), learner_ids)
    session.rollback()

    _append_some(session, learner_ids)
    _row_by_row(session)
    by_row = _stored(session.connection(), learner_ids)
    session.rollback()

    entries, heads = bulk
    assert len(entries) == len(learner_ids) * len(AWKWARD) >= COPY_FROM_ROWS
    assert (entries, heads) == by_row
    # The hashes of the rows bulk wrote still match what they store.
    columns = [column.name for column in JOURNAL.columns]
    for values in entries:
        entry = JournalEntry(**dict(zip(columns, values, strict=True)))
        assert entry.recorded_at.tzinfo is not None
        assert entry_hash(entry_document(entry)) == entry.hash
    assert {head[1] for head in heads} == {len(AWKWARD)}
    assert all(head[3].utcoffset() == timedelta(0) for head in heads)
    assert heads[0][3] == datetime(2026, 3, 1, 0, 30, 15, 123456 + len(AWKWARD) - 1, tzinfo=UTC)


def test_a_duplicate_key_is_an_integrity_error(app: Flask, api) -> None:
    learner_ids = [api.new_learner() for _ in range(LEARNERS)]
    session = db.session()
    _append_some(session, learner_ids)
    rows = [
        {column.name: getattr(entry, column.name) for column in JOURNAL.columns}
        for entry in appended(session)
    ]
    session.info["creditbank.journal.pending"] = []
    connection = session.connection()
    assert len(rows) > COPY_FROM_ROWS
    insert_rows(connection, JOURNAL, rows[-1:])
    with pytest.raises(IntegrityError):
        insert_rows(connection, JOURNAL, rows)
    session.rollback()


def test_update_rows_touches_only_the_rows_named(app: Flask, api) -> None:
    learner_ids = sorted(api.new_learner() for _ in range(3))
    session = db.session()
    connection = session.connection()
    before = _stored(connection, learner_ids)[1]
    update_rows(
        connection,
        ACCOUNTS,
        "learner_id",
        [{"learner_id": learner_ids[1], "balance": 35, "balance_by_category": '{"x":"3.5"}'}],
    )
    after = _stored(connection, learner_ids)[1]
    session.rollback()
    assert after[0] == before[0] and after[2] == before[2]
    assert after[1][4:6] == (35, '{"x":"3.5"}')
    assert after[1][:4] == before[1][:4]
