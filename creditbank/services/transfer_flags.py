"""Exemptions never change silently (PROGRAMMES.md § Ledger semantics, rule 6): when a post,
void or review leaves a debited source voided or earning less than was debited for it, the
same transaction flags every approved item naming that key ``source_changed``. Nothing else
happens: the college confirms or revokes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank.college_models import TransferItem
from creditbank.conversion import Decision, Status
from creditbank.services.transfer_state import ledger_of, outcomes_of
from creditbank.transfer import SOURCE_CHANGED, Banked, items_to_flag

Standing = tuple[int, str, str]  # credits, category, status: what an outcome earned before


def flag_changed_sources(
    session: Session,
    learner_id: str,
    before: Mapping[str, Standing],
    decisions: Mapping[str, Decision],
    now: datetime,
) -> list[str]:
    """Flag the approved items a change from ``before`` to ``decisions`` left short; their
    ids. Called by :func:`creditbank.services.conversion.reconvert` for a learner who has
    converted something."""
    changed = {
        oid
        for oid, decision in decisions.items()
        if oid in before
        and before[oid] != (decision.credits, decision.category, decision.status.value)
    }
    if not changed:
        return []
    outcomes = outcomes_of(session, learner_id)
    was = {
        oid: Banked(outcomes[oid], credits, category, Status(status))
        for oid, (credits, category, status) in before.items()
        if oid in outcomes
    }
    now_earns = {
        oid: Banked(outcomes[oid], d.credits, d.category, d.status, d.reason)
        for oid, d in decisions.items()
        if oid in outcomes
    }
    flagged = items_to_flag(ledger_of(session, learner_id, outcomes), was, now_earns)
    if flagged:
        rows = session.scalars(
            select(TransferItem).where(
                TransferItem.learner_id == learner_id, TransferItem.id.in_(flagged)
            )
        )
        for row in rows:
            row.flag, row.flagged_at = SOURCE_CHANGED, now
    return flagged
