"""The outcomes that transfer items name, read in one go for the documents of the college half
(the conversion certificate, the national conversion record, the transcript): each with its
posted fields (its journal entry's data), its provider's name and its title."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from creditbank.college_models import TransferItem
from creditbank.labels import outcome_summary
from creditbank.models import OutcomeState, Provider
from creditbank.services.outcome_views import outcome_entries


@dataclass(frozen=True)
class NamedOutcome:
    """An outcome an item names: its projection, what was posted, who posted it."""

    state: OutcomeState
    data: dict[str, Any]
    provider_name: str | None

    @property
    def kind(self) -> str:
        return self.state.kind

    @property
    def title(self) -> str:
        """Its title, else its summary as transcripts print it."""
        summary = outcome_summary(self.state.kind, self.data, self.state.category)
        return str(self.data.get("title") or summary["zh"])


def outcome_ids(item: TransferItem) -> list[str]:
    """The outcomes the item names, in the order named (line members are not named)."""
    return list(json.loads(item.outcome_ids))


def named_outcomes(
    session: Session, items: Iterable[TransferItem]
) -> dict[tuple[str, str], NamedOutcome]:
    """Every outcome ``items`` name, by (learner_id, outcome_id): three queries in all."""
    named = {(item.learner_id, oid) for item in items for oid in outcome_ids(item)}
    if not named:
        return {}
    states = list(
        session.scalars(
            select(OutcomeState).where(
                tuple_(OutcomeState.learner_id, OutcomeState.outcome_id).in_(named)
            )
        )
    )
    entries = {
        (entry.learner_id, entry.outcome_id): entry
        for entry in outcome_entries(session, states).values()
    }
    providers = dict(
        session.execute(
            select(Provider.id, Provider.name).where(
                Provider.id.in_({state.provider_id for state in states})
            )
        ).all()
    )
    return {
        (state.learner_id, state.outcome_id): NamedOutcome(
            state=state,
            data=json.loads(entries[state.learner_id, state.outcome_id].data),
            provider_name=providers.get(state.provider_id),
        )
        for state in states
    }
