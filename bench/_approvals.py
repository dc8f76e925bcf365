"""A learner with many approved items, built in seconds rather than through one decision each.

A decision (:func:`creditbank.services.transfers.decide`) reads the learner's whole ledger of
transfers, outcomes and projection again before it approves one item, so approving n items one
by one costs O(n²): 1,000 of them take minutes on SQLite (``bench/decisions.py`` measures
what one decision costs at 1,000). :func:`approve_items` approves them the same way — the
same pure rules (:func:`creditbank.transfer.approve`), the same ``transfer`` entry appended
with :func:`creditbank.journal.append`, the same item, application and account columns — but
reads the learner once per transaction and folds each new transfer into the ledger it holds
(:meth:`creditbank.transfer.Ledger.apply`, as the audit's replay does). Its entries are the
service's: ``tests/integration/test_bench_decisions.py`` compares them and runs the audit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank.college_models import College, Programme, TransferApplication, TransferItem
from creditbank.domain.amounts import format_tenths
from creditbank.domain.canonical import canonical_bytes
from creditbank.journal import LockedAccount, append, entry_document, lock_accounts
from creditbank.services.applications import enrolled
from creditbank.services.catalogue_reads import catalogue_for
from creditbank.services.transaction import utcnow, write_transaction
from creditbank.services.transfer_state import (
    as_item,
    banked_of,
    item_rows,
    ledger_of,
    outcomes_of,
)
from creditbank.services.withdrawals import settle_application
from creditbank.transfer import Refusal, approve, transfer_from_document

PER_TRANSACTION = 250


def approve_items(
    decided_by: str,
    learner_id: str,
    application_ids: Sequence[str],
    *,
    per_transaction: int = PER_TRANSACTION,
) -> int:
    """Approve every pending item of these applications of the learner (their default grade),
    in application and position order, as ``decided_by`` (a college client's subject); the
    number approved. A refusal of the rules is an error: the bench's data must fit."""
    approved = 0
    while True:
        with write_transaction() as session:
            account = lock_accounts(session, [learner_id])[learner_id]
            rows = session.scalars(
                select(TransferItem)
                .where(
                    TransferItem.learner_id == learner_id,
                    TransferItem.application_id.in_(list(application_ids)),
                    TransferItem.status == "pending",
                )
                .order_by(TransferItem.application_id, TransferItem.position)
                .limit(per_transaction)
            ).all()
            if not rows:
                return approved
            _approve_rows(session, decided_by, account, rows)
            approved += len(rows)


def _approve_rows(
    session: Session, decided_by: str, account: LockedAccount, rows: Sequence[TransferItem]
) -> None:
    learner_id, now = account.learner_id, utcnow()
    outcomes = outcomes_of(session, learner_id)
    banked = banked_of(session, learner_id, outcomes)
    ledger = ledger_of(session, learner_id, outcomes)
    applications = {
        a.id: a
        for a in session.scalars(
            select(TransferApplication).where(
                TransferApplication.learner_id == learner_id,
                TransferApplication.id.in_({row.application_id for row in rows}),
            )
        )
    }
    # What an application's items share, read once (the service reads it for each decision).
    shared = {a.id: _application_data(session, a) for a in applications.values()}
    catalogues = {a.id: catalogue_for(session, a.catalogue_id) for a in applications.values()}
    enrolments = {
        a.id: enrolled(session, learner_id, a.programme_id, now) for a in applications.values()
    }
    for row in rows:
        application = applications[row.application_id]
        movement = approve(
            as_item(row, application.programme_id),
            catalogues[application.id],
            ledger,
            banked,
            enrolled=enrolments[application.id],
        )
        if isinstance(movement, Refusal):
            raise RuntimeError(f"the rules refused a bench approval: {movement}")
        data = {
            **shared[application.id],
            "item_id": row.id,
            "course_code": row.course_code,
            "course_name": row.course_name,
            "course_credits": format_tenths(row.course_credits),
            "equivalence": row.equivalence,
            "online": row.online,
            "grade": row.suggested_grade,
            **movement.document(),
            "decided_by": decided_by,
        }
        entry = append(session, account, "transfer", now, data=data)
        ledger.apply(transfer_from_document(entry_document(entry), outcomes))
        account.converted = movement.converted_total
        account.converted_by_category = canonical_bytes(
            dict(movement.converted_by_category)
        ).decode()
        normal = {"decision": "approve", "grade": row.suggested_grade, "note": None}
        row.status, row.grade, row.transfer_seq = "approved", row.suggested_grade, entry.seq
        row.decision_hash = hashlib.sha256(canonical_bytes(normal)).hexdigest()
        row.decided_at, row.decided_by = now, decided_by
    for application in applications.values():
        settle_application(
            session, application, item_rows(session, learner_id, application.id), now
        )


def _application_data(session: Session, application: TransferApplication) -> dict[str, object]:
    """The entry data of the application's items that :func:`creditbank.services.transfers.
    decide` writes for every item alike."""
    programme = session.get_one(Programme, application.programme_id)
    college = session.get_one(College, application.college_id)
    filed_under = catalogue_for(session, application.catalogue_id)
    return {
        "application_id": application.id,
        "college_id": college.id,
        "school_code": college.school_code,
        "programme_id": programme.id,
        "programme_code": programme.code,
        "programme_name": programme.name,
        "level_code": programme.level_code,
        "catalogue_id": filed_under.id,
        "catalogue_version": filed_under.version,
    }
