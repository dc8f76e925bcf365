"""``creditbank export``: the journal, or one learner's chain, as JSON lines that anyone can
verify offline against a signed checkpoint (the format is in docs/verification.md; the
reference verifier is :mod:`creditbank.domain.verify`).

Line 1 is a header; then the latest checkpoint's leaves (whole bank) or the inclusion proof
of the learner's signed head (one learner); then every entry, in ``(learner_id, seq)`` order,
as its hashed document and its hash. Everything is read in one snapshot and streamed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from creditbank.domain.canonical import canonical_bytes, format_instant
from creditbank.domain.errors import UnknownLearner
from creditbank.extensions import db
from creditbank.journal import entry_document
from creditbank.models import Account
from creditbank.services import checkpoints
from creditbank.services.audit_scan import Slice, journal_rows, read_snapshot
from creditbank.services.transaction import utcnow

FORMAT = "creditbank-export"
VERSION = 1


def export_lines(learner_id: str | None = None) -> Iterator[str]:
    """The export, one JSON text per line (each ending in ``\\n``)."""
    with read_snapshot(db.engine) as connection:
        session = Session(bind=connection)
        if learner_id is not None and session.get(Account, learner_id) is None:
            raise UnknownLearner(errors={"learner_id": ["No learner has this id."]})
        checkpoint = checkpoints.latest(session)
        yield _line(_header(learner_id, checkpoint))
        if checkpoint is not None:
            yield from _attestation(session, checkpoint, learner_id)
        part = Slice(learner_id=learner_id) if learner_id is not None else Slice()
        for row in journal_rows(connection, part):
            yield _line({"entry": entry_document(row), "hash": row.hash})


def _header(learner_id: str | None, checkpoint: Any) -> dict[str, Any]:
    summary = None
    if checkpoint is not None:
        summary = {
            name: getattr(checkpoint, name)
            for name in ("id", "origin", "tree_size", "root", "key_id")
        }
    return {
        "format": FORMAT,
        "version": VERSION,
        "learner_id": learner_id,
        "exported_at": format_instant(utcnow()),
        "checkpoint": summary,
    }


def _attestation(session: Session, checkpoint: Any, learner_id: str | None) -> Iterator[str]:
    """Whole bank: every leaf the checkpoint signed. One learner: the proof of its leaf."""
    if learner_id is None:
        for leaf in checkpoints.stored_leaves(session, checkpoint.id):
            yield _line(
                {"leaf": {"learner_id": leaf.learner_id, "seq": leaf.seq, "hash": leaf.head_hash}}
            )
        return
    proof = checkpoints.proof_of(session, checkpoint, learner_id)
    if proof is not None:
        yield _line({"proof": proof})


def _line(value: dict[str, Any]) -> str:
    return canonical_bytes(value).decode("utf-8") + "\n"
