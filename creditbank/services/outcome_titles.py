"""An outcome named as a person reads it: its title, or a one-line summary of what it was
(the transcript's words), for lists that would otherwise show an outcome id."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import select

from creditbank.extensions import db
from creditbank.labels import outcome_summary
from creditbank.models import JournalEntry

# Fields of an outcome's data that are not the kind's own details (as transcripts.py has it).
_COMMON = ("outcome_kind", "external_ref", "achieved_on", "title")


def outcome_title(kind: str, data: Mapping[str, Any], category: str | None) -> str:
    if data.get("title"):
        return str(data["title"])
    details = {k: v for k, v in data.items() if k not in _COMMON and v is not None}
    return outcome_summary(kind, details, category or "")["zh"]


def outcome_titles(learner_id: str, outcome_ids: Collection[str]) -> dict[str, str]:
    """The titles of a learner's outcomes, by outcome id, from their ``outcome`` entries."""
    if not outcome_ids:
        return {}
    rows = db.session.scalars(
        select(JournalEntry).where(
            JournalEntry.learner_id == learner_id,
            JournalEntry.kind == "outcome",
            JournalEntry.outcome_id.in_(list(outcome_ids)),
        )
    )
    titles = {}
    for entry in rows:
        data = json.loads(entry.data)
        titles[entry.outcome_id or ""] = outcome_title(
            data.get("outcome_kind", ""), data, entry.category
        )
    return titles
