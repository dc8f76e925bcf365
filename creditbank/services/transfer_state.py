"""What the transfer rules read, loaded for one learner: the banked outcomes, the ledger of
transfers and reversals, the items of the learner's applications and the claims they hold
(catalogues: :mod:`creditbank.services.catalogue_reads`).

Filing, deciding, flagging and auditing load through here, so that they all hand the pure
rules (:mod:`creditbank.transfer`) the same picture of the learner.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank.college_models import (
    TransferApplication,
    TransferClaim,
    TransferItem,
)
from creditbank.conversion import Outcome, Reason, Status
from creditbank.journal import entry_document
from creditbank.models import JournalEntry, OutcomeState
from creditbank.services.history import history_of
from creditbank.transfer import (
    Banked,
    Item,
    ItemStatus,
    Ledger,
    LedgerEntry,
    reversal_from_document,
    transfer_from_document,
)

TRANSFER_KINDS = ("transfer", "reversal")


def outcomes_of(session: Session, learner_id: str) -> dict[str, Outcome]:
    """The learner's outcomes as the engine reads them, by id."""
    return {
        entry.outcome_id: entry
        for entry in history_of(session, learner_id)
        if isinstance(entry, Outcome)
    }


def banked_of(
    session: Session, learner_id: str, outcomes: Mapping[str, Outcome] | None = None
) -> dict[str, Banked]:
    """Each of the learner's outcomes and what it earns now (its projection row)."""
    outcomes = outcomes if outcomes is not None else outcomes_of(session, learner_id)
    states = session.scalars(select(OutcomeState).where(OutcomeState.learner_id == learner_id))
    return {
        state.outcome_id: banked_from_state(outcomes[state.outcome_id], state)
        for state in states
        if state.outcome_id in outcomes
    }


def banked_from_state(outcome: Outcome, state: OutcomeState) -> Banked:
    return Banked(
        outcome, state.credits, state.category, Status(state.status), Reason(state.reason)
    )


def ledger_entries(
    session: Session, learner_id: str, outcomes: Mapping[str, Outcome]
) -> list[LedgerEntry]:
    """The learner's transfer and reversal entries in seq order, as the rules read them."""
    rows = session.scalars(
        select(JournalEntry)
        .where(JournalEntry.learner_id == learner_id, JournalEntry.kind.in_(TRANSFER_KINDS))
        .order_by(JournalEntry.seq)
    )
    return [ledger_entry(row, outcomes) for row in rows]


def ledger_entry(row: JournalEntry, outcomes: Mapping[str, Outcome]) -> LedgerEntry:
    document = entry_document(row)
    if row.kind == "transfer":
        return transfer_from_document(document, outcomes)
    return reversal_from_document(document, outcomes)


def ledger_of(session: Session, learner_id: str, outcomes: Mapping[str, Outcome]) -> Ledger:
    return Ledger.of(ledger_entries(session, learner_id, outcomes))


def item_rows(
    session: Session, learner_id: str, application_id: str | None = None
) -> list[TransferItem]:
    """The learner's items (of one application), in application and position order."""
    query = select(TransferItem).where(TransferItem.learner_id == learner_id)
    if application_id is not None:
        query = query.where(TransferItem.application_id == application_id)
    return list(session.scalars(query.order_by(TransferItem.application_id, TransferItem.position)))


def as_item(row: TransferItem, programme_id: str) -> Item:
    """A ``transfer_items`` row as the rules read it."""
    return Item(
        item_id=row.id,
        application_id=row.application_id,
        programme_id=programme_id,
        course_code=row.course_code,
        course_credits=row.course_credits,
        outcome_ids=tuple(json.loads(row.outcome_ids)),
        claim_keys=tuple(json.loads(row.claim_keys)),
        status=ItemStatus(row.status),
        online=row.online,
        grade=row.grade,
        transfer_seq=row.transfer_seq,
        reversal_seq=row.reversal_seq,
        flagged=row.flag is not None,
        confirmed=row.confirmed_at is not None,
    )


def items_of(session: Session, learner_id: str) -> list[Item]:
    """Every item of the learner, with its application's programme."""
    programmes = dict(
        session.execute(
            select(TransferApplication.id, TransferApplication.programme_id).where(
                TransferApplication.learner_id == learner_id
            )
        ).all()
    )
    return [as_item(row, programmes[row.application_id]) for row in item_rows(session, learner_id)]


def claims_of(session: Session, learner_id: str) -> dict[str, str]:
    """The learner's held claim keys and the application holding each."""
    rows = session.execute(
        select(TransferClaim.claim_key, TransferClaim.application_id).where(
            TransferClaim.learner_id == learner_id
        )
    )
    return dict(rows.all())


def pending_courses(programme_id: str, items: Sequence[Item]) -> dict[str, str]:
    """Course codes of the learner's pending items in the programme, to their application."""
    return {
        item.course_code: item.application_id
        for item in items
        if item.programme_id == programme_id and item.status is ItemStatus.PENDING
    }
