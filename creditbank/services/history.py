"""The journal as the conversion engine reads it: published rulesets (parsed once per process)
and a learner's outcomes, voids and reviews in chain order, as the engine's inputs."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank.conversion import (
    HistoryEntry,
    Outcome,
    OutcomeKind,
    Review,
    Ruleset,
    Void,
    ruleset_from_document,
)
from creditbank.domain.amounts import parse_tenths
from creditbank.journal import Entry
from creditbank.models import JournalEntry
from creditbank.models import Ruleset as RulesetRow

HISTORY_KINDS = ("outcome", "void", "review")
JOURNAL = JournalEntry.__table__
_AMOUNT_FIELDS = ("hours", "credits")
_DATE_FIELDS = ("valid_until",)
# What a deposit's entry carries besides the outcome (services/deposits.py): who issued it and
# its evidence files' SHA-256, for people and the hash chain; the engine reads neither.
_NOT_JUDGED = ("outcome_kind", "external_ref", "achieved_on", "title", "issuer", "evidence")
# Published rulesets never change, so each process parses each one once.
_PARSED_RULESETS: dict[str, Ruleset] = {}
_RULESET_IDS = select(RulesetRow.id).order_by(RulesetRow.version)


def load_rulesets(session: Session) -> dict[str, Ruleset]:
    """Every published ruleset, by id (a handful of rows; they never change once written)."""
    rulesets = {}
    # Ids only, on every post; a document is read (and parsed) once per process.
    ids = session.scalars(_RULESET_IDS).all()
    missing = [row_id for row_id in ids if row_id not in _PARSED_RULESETS]
    if missing:
        query = select(RulesetRow.id, RulesetRow.version, RulesetRow.document)
        for row_id, version, document in session.execute(query.where(RulesetRow.id.in_(missing))):
            _PARSED_RULESETS[row_id] = ruleset_from_document(row_id, version, json.loads(document))
    for row_id in ids:
        rulesets[row_id] = _PARSED_RULESETS[row_id]
    return rulesets


def history_of(session: Session, learner_id: str) -> list[HistoryEntry]:
    """The learner's outcomes, voids and reviews in journal order, as the engine reads them."""
    entries = session.scalars(
        select(JournalEntry)
        .where(JournalEntry.learner_id == learner_id, JournalEntry.kind.in_(HISTORY_KINDS))
        .order_by(JournalEntry.seq)
    )
    return [history_entry(entry) for entry in entries]


def history_entry(entry: JournalEntry | Entry) -> HistoryEntry:
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


def outcome_from_data(entry: JournalEntry | Entry, data: Mapping[str, Any]) -> Outcome:
    fields: dict[str, Any] = {}
    for name, value in data.items():
        if name in _NOT_JUDGED or value is None:
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


def rows_by_learner(
    session: Session, learner_ids: Sequence[str], condition: Any
) -> dict[str, list[Any]]:
    """Journal rows (plain rows, not ORM objects) of these learners meeting ``condition``, in
    chain order, by learner."""
    query = (
        select(JOURNAL)
        .where(JOURNAL.c.learner_id.in_(learner_ids), condition)
        .order_by(JOURNAL.c.learner_id, JOURNAL.c.seq)
    )
    rows: dict[str, list[Any]] = {}
    for row in session.execute(query):
        rows.setdefault(row.learner_id, []).append(row)
    return rows
