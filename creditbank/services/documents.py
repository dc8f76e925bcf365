"""Documents anyone can verify (docs/verification.md § Document numbers): every transcript and
conversion certificate handed out gets a number, and the bank keeps the number with the SHA-256
of the bytes handed out, the kind, the learner, when, and whether it was later revoked or
superseded. Issuing another document of the same kind and subject supersedes the last one.

The verify page (``/verify/<number>``) and ``GET /api/v1/documents/<number>`` read
:func:`public_status`, which says no more about the holder than the document itself showed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from creditbank.context import settings
from creditbank.conversion import shanghai_year
from creditbank.document_models import Document
from creditbank.domain.canonical import format_instant
from creditbank.domain.document_numbers import DocumentNumber, parse_document_number
from creditbank.domain.errors import Conflict, NotFound, ValidationFailed
from creditbank.domain.roles import Principal
from creditbank.events import EventTag, record_event
from creditbank.extensions import db
from creditbank.services.accounts import readable_account
from creditbank.services.document_counters import next_serial
from creditbank.services.pagination import Page, keyset_page
from creditbank.services.transaction import utcnow, write_transaction

KIND_NAMES = {"transcript": "学分认定成绩单", "certificate": "学分转换证明"}
STATUS_NAMES = {"valid": "有效", "revoked": "已撤销", "superseded": "已被新版本取代"}
MAX_REASON = 500


class AlreadyRevokedDocument(Conflict):
    slug, title = "document_revoked", "The document is revoked already"


@dataclass(frozen=True)
class Holder:
    """Who a document is about, as the document shows it."""

    learner_id: str
    name: str | None
    national_id_masked: str | None


def mask_name(name: str | None) -> str | None:
    """陈晓雨 → 陈*雨, 李雷 → 李*: enough to match a person in front of you, not to find one."""
    if not name:
        return None
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def issue(
    kind: str,
    subject_id: str,
    holder: Holder,
    media_type: str,
    render: Callable[[str], bytes],
    actor: str | None,
) -> tuple[str, bytes]:
    """Number a document, render it with its number, keep its hash; supersede the previous
    valid document of the same kind and subject. Returns the number and the bytes."""
    with write_transaction() as session:
        now = utcnow()
        year = shanghai_year(now)
        serial = next_serial(session, f"document:{kind}", year)
        number = str(DocumentNumber(settings().document_number_prefix, kind, year, serial))
        content = render(number)
        previous = session.scalars(
            select(Document).where(
                Document.learner_id == holder.learner_id,
                Document.kind == kind,
                Document.subject_id == subject_id,
                Document.status == "valid",
            )
        )
        for document in previous:
            document.status, document.superseded_by = "superseded", number
        session.add(
            Document(
                learner_id=holder.learner_id,
                number=number,
                kind=kind,
                subject_id=subject_id,
                media_type=media_type,
                sha256=hashlib.sha256(content).hexdigest(),
                issued_at=now,
                issued_by=actor,
                holder_name_masked=mask_name(holder.name),
                holder_id_masked=holder.national_id_masked,
                status="valid",
            )
        )
        record_event(
            session,
            EventTag.DOCUMENT_ISSUED,
            actor=actor,
            subject_id=holder.learner_id,
            occurred_at=now,
            details={"number": number, "kind": kind, "media_type": media_type},
        )
    return number, content


def find(number: str) -> Document | None:
    """The document with this number, or None (a malformed number included)."""
    parsed = parse_document_number(number)
    if parsed is None:
        return None
    return db.session.scalars(select(Document).where(Document.number == str(parsed))).first()


def public_status(number: str) -> dict[str, Any]:
    """What anyone may know of a number: its status, kind, date and the masked holder; 404
    for a number the bank never issued."""
    document = find(number)
    if document is None:
        raise NotFound("No document has this number")
    return describe(document)


def describe(document: Document) -> dict[str, Any]:
    return {
        "number": document.number,
        "status": document.status,
        "status_label": STATUS_NAMES[document.status],
        "kind": document.kind,
        "kind_label": KIND_NAMES[document.kind],
        "issued_at": format_instant(document.issued_at),
        "issuer": {"name": settings().issuing_office_name},
        "holder": {
            "name_masked": document.holder_name_masked,
            "national_id_masked": document.holder_id_masked,
        },
        "sha256": document.sha256,
        "media_type": document.media_type,
        "superseded_by": document.superseded_by,
        "revoked_at": format_instant(document.revoked_at) if document.revoked_at else None,
    }


def learner_documents(
    principal: Principal, learner_id: str, cursor: str | None = None, limit: int = 20
) -> Page[Document]:
    """A page of a learner's documents (staff, or the learner itself) by number, highest
    first: transcripts, then certificates, each newest first."""
    readable_account(principal, learner_id)
    query = select(Document).where(Document.learner_id == learner_id)
    return keyset_page(query, Document.number, cursor, limit, descending=True)


def latest(learner_id: str, kind: str) -> Document | None:
    return db.session.scalars(
        select(Document)
        .where(Document.learner_id == learner_id, Document.kind == kind)
        .order_by(Document.issued_at.desc(), Document.number.desc())
    ).first()


def revoke(principal: Principal, number: str, reason: str) -> Document:
    """Revoke a document (the workstation): 404 unknown, 409 already revoked, 422 no reason."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise ValidationFailed(errors={"reason": [f"请填写撤销原因（不超过 {MAX_REASON} 字）。"]})
    with write_transaction() as session:
        found = find(number)
        if found is None:
            raise NotFound("No document has this number")
        document = session.get(Document, (found.learner_id, found.number), with_for_update=True)
        assert document is not None
        if document.status == "revoked":
            raise AlreadyRevokedDocument(f"Document {document.number} is revoked already")
        now = utcnow()
        document.status, document.revoked_at, document.revoked_reason = "revoked", now, reason
        record_event(
            session,
            EventTag.DOCUMENT_REVOKED,
            actor=principal.subject,
            subject_id=document.learner_id,
            occurred_at=now,
            details={"number": document.number, "kind": document.kind},
        )
    return document
