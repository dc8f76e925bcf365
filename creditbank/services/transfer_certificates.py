"""The conversion certificate (学分转换证明, PROGRAMMES.md § Conversion certificate): what an
application that closed with at least one approval grants, course by course.

Each course cites its ``transfer`` entry (seq and hash) and each revoked one its ``reversal``,
so the certificate can be checked against the learner's ledger and a signed checkpoint. It is
read, never stored: a revocation changes the next reading (``revision`` rises, the course moves
to ``revoked``); the number stays. The national ID is masked for every reader.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank.college_models import (
    College,
    Enrolment,
    Programme,
    TransferApplication,
    TransferItem,
)
from creditbank.context import settings
from creditbank.domain.amounts import format_tenths
from creditbank.domain.canonical import format_instant
from creditbank.domain.errors import CertificateNotIssued
from creditbank.domain.roles import Principal
from creditbank.extensions import db
from creditbank.labels import PROGRAMME_LEVEL_NAMES
from creditbank.models import Identity, JournalEntry
from creditbank.services.applications import find_application
from creditbank.services.named_outcomes import NamedOutcome, named_outcomes, outcome_ids
from creditbank.services.transfer_state import item_rows


def certificate(principal: Principal, application_id: str) -> dict[str, Any]:
    """The certificate of an application the caller may see; 409 ``certificate_not_issued``
    while it is pending, or when it closed with nothing approved (it has no number then)."""
    session = db.session()
    application = find_application(session, principal, application_id)
    if application.status != "closed" or application.certificate_no is None:
        raise CertificateNotIssued(
            f"Application {application.id} has no certificate: "
            + (
                "it is still pending"
                if application.status == "pending"
                else "nothing in it was approved"
            )
        )
    return certificate_document(session, application)


def certificate_document(session: Session, application: TransferApplication) -> dict[str, Any]:
    items = item_rows(session, application.learner_id, application.id)
    approved = [item for item in items if item.status == "approved"]
    revoked = sorted(
        (item for item in items if item.status == "revoked"),
        key=lambda item: item.reversal_seq or 0,
    )
    entries = _entries(
        session,
        application.learner_id,
        [item.transfer_seq for item in approved] + [item.reversal_seq for item in revoked],
    )
    outcomes = named_outcomes(session, approved)
    programme = session.get_one(Programme, application.programme_id)
    college = session.get_one(College, application.college_id)
    config = settings()
    assert application.closed_at is not None
    return {
        "certificate_no": application.certificate_no,
        "revision": application.certificate_revision,
        "issued_at": format_instant(application.closed_at),
        "issuer": {"name": config.credential_issuer_name, "url": config.issuer_profile_url},
        "college": {"school_code": college.school_code, "name": college.name},
        "programme": {
            "code": programme.code,
            "name": programme.name,
            "level_code": programme.level_code,
            "level": PROGRAMME_LEVEL_NAMES.get(programme.level_code, programme.level_code),
        },
        "learner": _learner(session, application),
        "application_id": application.id,
        "courses": [_course(item, entries, outcomes) for item in approved],
        "total_credits": format_tenths(sum(item.course_credits for item in approved)),
        "revoked": [_revoked(item, entries) for item in revoked],
    }


def _learner(session: Session, application: TransferApplication) -> dict[str, Any]:
    identity = session.get(Identity, application.learner_id)
    enrolment = session.get(Enrolment, (application.learner_id, application.programme_id))
    return {
        "learner_id": application.learner_id,
        "name": identity.name if identity else None,
        "national_id_masked": identity.national_id_masked if identity else None,
        "student_no": enrolment.student_no if enrolment else None,
    }


def _course(
    item: TransferItem,
    entries: Mapping[int, JournalEntry],
    outcomes: Mapping[tuple[str, str], NamedOutcome],
) -> dict[str, Any]:
    assert item.transfer_seq is not None and item.decided_at is not None
    return {
        "course_code": item.course_code,
        "course_name": item.course_name,
        "credits": format_tenths(item.course_credits),
        "kind": item.kind,
        "grade": item.grade,
        "decided_at": format_instant(item.decided_at),
        "sources": [
            _source(oid, outcomes.get((item.learner_id, oid))) for oid in outcome_ids(item)
        ],
        "entry": _cite(entries[item.transfer_seq]),
    }


def _source(outcome_id: str, outcome: NamedOutcome | None) -> dict[str, Any]:
    return {
        "outcome_id": outcome_id,
        "title": outcome.title if outcome else None,
        "achieved_on": outcome.data.get("achieved_on") if outcome else None,
    }


def _revoked(item: TransferItem, entries: Mapping[int, JournalEntry]) -> dict[str, Any]:
    assert item.reversal_seq is not None
    reversal = entries[item.reversal_seq]
    return {
        "course_code": item.course_code,
        "revoked_at": format_instant(reversal.recorded_at),
        "reason": reversal.reason,
        "entry": _cite(reversal),
    }


def _cite(entry: JournalEntry) -> dict[str, Any]:
    return {"seq": entry.seq, "hash": entry.hash}


def _entries(
    session: Session, learner_id: str, seqs: Sequence[int | None]
) -> dict[int, JournalEntry]:
    wanted = [seq for seq in seqs if seq is not None]
    if not wanted:
        return {}
    rows = session.scalars(
        select(JournalEntry).where(
            JournalEntry.learner_id == learner_id, JournalEntry.seq.in_(wanted)
        )
    )
    return {row.seq: row for row in rows}
