"""Outcomes, credits and journal entries as the API shows them (API.md § Outcomes)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from creditbank.domain.amounts import format_tenths
from creditbank.domain.canonical import format_instant
from creditbank.journal import Entry, entries_at, entry_document
from creditbank.models import JournalEntry, NewOutcomeState, OutcomeState


@dataclass
class Posted:
    """One item of a posting result: the outcome as it stands and the credits appended."""

    outcome: dict[str, Any]
    credits: list[dict[str, Any]] = field(default_factory=list)
    replayed: bool = False


def outcome_views(session: Session, states: Sequence[OutcomeState]) -> list[dict[str, Any]]:
    """Views of many outcomes with one query for their journal entries."""
    entries = outcome_entries(session, states)
    return [stored_outcome_view(entries[state.outcome_id], state) for state in states]


def outcome_entry(session: Session, state: OutcomeState) -> JournalEntry:
    entry = session.get(JournalEntry, (state.learner_id, state.seq))
    assert entry is not None
    return entry


def outcome_entries(session: Session, states: Sequence[OutcomeState]) -> dict[str, JournalEntry]:
    if not states:
        return {}
    rows = entries_at(session, [(s.learner_id, s.seq) for s in states])
    return {row.outcome_id or "": row for row in rows}


def stored_outcome_view(entry: JournalEntry, state: OutcomeState) -> dict[str, Any]:
    """:func:`outcome_view` of an outcome as stored: its journal entry and its projection."""
    return outcome_view(entry, json.loads(entry.data), state)


def outcome_view(
    entry: JournalEntry | Entry,
    data: Mapping[str, Any],
    state: OutcomeState | NewOutcomeState | None,
) -> dict[str, Any]:
    """An outcome as API.md shows it: what was posted, where it sits, and what it earned."""
    view: dict[str, Any] = {
        "id": entry.outcome_id,
        "learner_id": entry.learner_id,
        "provider_id": entry.provider_id,
        "kind": data["outcome_kind"],
    }
    view.update({k: v for k, v in data.items() if k != "outcome_kind"})
    if data.get("self_declared"):
        view["source"] = "self_declared"  # a learner's deposit: no provider (services/deposits)
    if "credits" in data:
        # A course's own credits share their name with what the outcome earned (API.md's
        # ``credits``), which the view shows below; the course's figure stays readable here.
        view["course_credits"] = data["credits"]
    view.update(
        {
            "category": state.category if state else entry.category,
            "seq": entry.seq,
            "recorded_at": format_instant(entry.recorded_at),
            "ruleset_id": entry.ruleset_id,
        }
    )
    if state is not None:
        view.update(
            status=state.status,
            reason=state.reason,
            credits=format_tenths(state.credits),
            rule=state.rule,
        )
    return view


def credit_view(entry: JournalEntry | Entry) -> dict[str, Any]:
    """A credit entry as the posting response lists it."""
    data = json.loads(entry.data)
    return {
        "outcome_id": entry.outcome_id,
        "seq": entry.seq,
        "delta": format_tenths(entry.delta or 0),
        "category": entry.category,
        "reason": entry.reason,
        "ruleset_id": entry.ruleset_id,
        "running_total": format_tenths(entry.running_total or 0),
        "running_by_category": data.get("running_by_category", {}),
        "rule": data.get("rule"),
    }


def entry_view(entry: JournalEntry | Entry) -> dict[str, Any]:
    """Any journal entry as the ledger shows it: its hashed document plus its hash."""
    return {**entry_document(entry), "hash": entry.hash}
