"""A learner's balance and ledger (API.md § A learner's account)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select

from creditbank.domain.amounts import format_tenths, parse_tenths
from creditbank.domain.canonical import format_instant
from creditbank.domain.errors import Forbidden, NotFound
from creditbank.domain.roles import Principal
from creditbank.extensions import db
from creditbank.models import Account, JournalEntry
from creditbank.services.outcome_views import entry_view
from creditbank.services.pagination import Page, keyset_page
from creditbank.services.transaction import utcnow

_ACCOUNTS = Account.__table__
_BALANCE_NOW = select(
    _ACCOUNTS.c.balance,
    _ACCOUNTS.c.balance_by_category,
    _ACCOUNTS.c.converted,
    _ACCOUNTS.c.converted_by_category,
    _ACCOUNTS.c.head_seq,
).where(_ACCOUNTS.c.learner_id == bindparam("learner_id"))
Totals = tuple[int, dict[str, int]]


def readable_account(principal: Principal, learner_id: str) -> Account:
    """The account, if this caller may read it: staff, or the learner itself (else 403/404)."""
    _check_reader(principal, learner_id)
    account = db.session.get(Account, learner_id)
    if account is None:
        raise NotFound("No such learner")
    return account


def balance(principal: Principal, learner_id: str, as_of: datetime | None) -> dict[str, Any]:
    """Total and per-category balance now, or at ``as_of``: one indexed read, never a SUM;
    with what was converted into college courses and what is available (PROGRAMMES.md
    § Ledger semantics: negative in a category whose debited source was voided)."""
    if as_of is None:
        _check_reader(principal, learner_id)
        # The three cached columns as a plain row (Core, no ORM object): the most frequent
        # read of the bank.
        cached = db.session.connection().execute(_BALANCE_NOW, {"learner_id": learner_id}).first()
        if cached is None:
            raise NotFound("No such learner")
        total, by_category, seq = (
            cached.balance,
            json.loads(cached.balance_by_category),
            cached.head_seq,
        )
        converted = (cached.converted, json.loads(cached.converted_by_category))
        instant = utcnow()
    else:
        readable_account(principal, learner_id)
        instant = as_of
        total, by_category = _balance_at(learner_id, as_of)
        converted = _converted_at(learner_id, as_of)
        seq = (
            db.session.scalar(
                select(func.max(JournalEntry.seq)).where(
                    JournalEntry.learner_id == learner_id, JournalEntry.recorded_at <= as_of
                )
            )
            or 0
        )
    spent, spent_by_category = converted
    available = {
        name: by_category.get(name, 0) - spent_by_category.get(name, 0)
        for name in by_category.keys() | spent_by_category.keys()
    }
    return {
        "learner_id": learner_id,
        "total": format_tenths(total),
        "by_category": _spelled(by_category),
        "converted": format_tenths(spent),
        "converted_by_category": _spelled(spent_by_category),
        "available": format_tenths(total - spent),
        "available_by_category": _spelled(available),
        "as_of": format_instant(instant),
        "seq": seq,
    }


def _spelled(amounts: dict[str, int]) -> dict[str, str]:
    return {name: format_tenths(value) for name, value in sorted(amounts.items())}


def _check_reader(principal: Principal, learner_id: str) -> None:
    if not principal.may_read_learner(learner_id):
        raise Forbidden("A learner reads only its own account")


def _balance_at(learner_id: str, as_of: datetime) -> Totals:
    last_credit = db.session.scalar(
        select(JournalEntry)
        .where(
            JournalEntry.learner_id == learner_id,
            JournalEntry.kind == "credit",
            JournalEntry.recorded_at <= as_of,
        )
        .order_by(JournalEntry.seq.desc())
        .limit(1)
    )
    if last_credit is None:
        return 0, {}
    running = json.loads(last_credit.data)["running_by_category"]
    return last_credit.running_total or 0, {k: parse_tenths(v) for k, v in running.items()}


def _converted_at(learner_id: str, as_of: datetime) -> Totals:
    """The converted totals of the last ``transfer`` or ``reversal`` at or before ``as_of``."""
    last = db.session.scalar(
        select(JournalEntry)
        .where(
            JournalEntry.learner_id == learner_id,
            JournalEntry.kind.in_(("transfer", "reversal")),
            JournalEntry.recorded_at <= as_of,
        )
        .order_by(JournalEntry.seq.desc())
        .limit(1)
    )
    if last is None:
        return 0, {}
    data = json.loads(last.data)
    by_category = {k: parse_tenths(v) for k, v in data["converted_by_category"].items()}
    return parse_tenths(data["converted_total"]), by_category


def ledger(
    principal: Principal, learner_id: str, cursor: str | None, limit: int
) -> Page[dict[str, Any]]:
    """Journal entries in ``seq`` order, a keyset page at a time."""
    readable_account(principal, learner_id)
    query = select(JournalEntry).where(JournalEntry.learner_id == learner_id)
    page = keyset_page(query, JournalEntry.seq, cursor, limit)
    return page.map(lambda rows: [entry_view(row) for row in rows])
