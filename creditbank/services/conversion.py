"""The bridge between the journal and the pure conversion engine.

After every post, void or review, the learner's history is re-evaluated and one ``credit``
entry is appended per outcome whose earned credits changed; the outcome projection and the
cached balance move in the same transaction (DESIGN.md § Conversion, invariant 3).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank.conversion import (
    Decision,
    HistoryEntry,
    Outcome,
    OutcomeKind,
    Reason,
    Review,
    Ruleset,
    Void,
    evaluate,
    ruleset_from_document,
)
from creditbank.domain.amounts import format_tenths, parse_tenths
from creditbank.domain.canonical import canonical_bytes
from creditbank.journal import append
from creditbank.models import Account, JournalEntry, OutcomeState
from creditbank.models import Ruleset as RulesetRow

HISTORY_KINDS = ("outcome", "void", "review")
_AMOUNT_FIELDS = ("hours", "credits")
_DATE_FIELDS = ("valid_until",)


def load_rulesets(session: Session) -> dict[str, Ruleset]:
    """Every published ruleset, by id (a handful of rows; they never change once written)."""
    rows = session.scalars(select(RulesetRow).order_by(RulesetRow.version))
    return {
        row.id: ruleset_from_document(row.id, row.version, json.loads(row.document)) for row in rows
    }


def history_of(session: Session, learner_id: str) -> list[HistoryEntry]:
    """The learner's outcomes, voids and reviews in journal order, as the engine reads them."""
    entries = session.scalars(
        select(JournalEntry)
        .where(JournalEntry.learner_id == learner_id, JournalEntry.kind.in_(HISTORY_KINDS))
        .order_by(JournalEntry.seq)
    )
    return [history_entry(entry) for entry in entries]


def history_entry(entry: JournalEntry) -> HistoryEntry:
    """One journal entry as the engine's input."""
    data = json.loads(entry.data)
    if entry.kind == "void":
        return Void(outcome_id=entry.outcome_id or "", seq=entry.seq)
    if entry.kind == "review":
        return Review(
            outcome_id=entry.outcome_id or "",
            seq=entry.seq,
            credits=parse_tenths(data["credits"]),
            category=entry.category or "",
        )
    return outcome_from_data(entry, data)


def outcome_from_data(entry: JournalEntry, data: Mapping[str, Any]) -> Outcome:
    fields: dict[str, Any] = {}
    for name, value in data.items():
        if name in ("outcome_kind", "external_ref", "achieved_on", "title") or value is None:
            continue
        if name in _AMOUNT_FIELDS:
            value = parse_tenths(value)
        elif name in _DATE_FIELDS:
            value = date.fromisoformat(value)
        fields[name] = value
    return Outcome(
        outcome_id=entry.outcome_id or "",
        seq=entry.seq,
        recorded_at=entry.recorded_at,
        kind=OutcomeKind(data["outcome_kind"]),
        category=entry.category or data["outcome_kind"],
        achieved_on=date.fromisoformat(data["achieved_on"]),
        ruleset_id=entry.ruleset_id,
        **fields,
    )


def reconvert(
    session: Session, account: Account, rulesets: Mapping[str, Ruleset], now: datetime
) -> list[JournalEntry]:
    """Re-evaluate one learner and append a credit entry per changed outcome."""
    decisions = evaluate(history_of(session, account.learner_id), rulesets)
    states = {
        state.outcome_id: state
        for state in session.scalars(
            select(OutcomeState).where(OutcomeState.learner_id == account.learner_id)
        )
    }
    totals = json.loads(account.balance_by_category)
    credits: list[JournalEntry] = []
    for decision in decisions.values():
        state = states[decision.outcome_id]
        for category, delta in _deltas(state, decision):
            totals[category] = totals.get(category, 0) + delta
            account.balance += delta
            credits.append(_credit_entry(session, account, decision, category, delta, totals, now))
        _update_state(state, decision)
    account.balance_by_category = canonical_bytes(totals).decode()
    return credits


def _deltas(state: OutcomeState, decision: Decision) -> Iterable[tuple[str, int]]:
    """What changes, per category; a review that moves an outcome's category moves its credits."""
    if state.category == decision.category or state.credits == 0:
        if decision.credits != state.credits:
            yield decision.category, decision.credits - state.credits
        return
    yield state.category, -state.credits
    if decision.credits:
        yield decision.category, decision.credits


def _credit_entry(
    session: Session,
    account: Account,
    decision: Decision,
    category: str,
    delta: int,
    totals: Mapping[str, int],
    now: datetime,
) -> JournalEntry:
    reason = decision.reason
    if reason is Reason.ACCUMULATING and decision.credits > 0:
        reason = Reason.CREDITED  # it did earn; "accumulating" stays on the outcome itself
    return append(
        session,
        account,
        "credit",
        now,
        data={
            "running_by_category": {name: format_tenths(value) for name, value in totals.items()},
            "rule": decision.rule,
        },
        outcome_id=decision.outcome_id,
        category=category,
        delta=delta,
        running_total=account.balance,
        reason=reason.value,
        ruleset_id=decision.ruleset_id,
    )


def _update_state(state: OutcomeState, decision: Decision) -> None:
    state.status = decision.status.value
    state.reason = decision.reason.value
    state.credits = decision.credits
    state.category = decision.category
    state.rule = decision.rule
