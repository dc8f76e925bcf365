"""The revocation status of learners' credentials as a W3C Bitstring Status List (VC Bitstring
Status List v1.0): each learner gets a stable index at its first credential (kept in
``credential_status``), every credential carries a ``BitstringStatusListEntry`` pointing at
that bit, and ``/credentials/status/<list>`` serves the list: a ``BitstringStatusListCredential``
whose ``encodedList`` is the GZIP-compressed bitstring, base64url without padding behind the
multibase prefix ``u``. Bit 0 is the most significant bit of the first byte; 1 means revoked.
"""

from __future__ import annotations

import base64
import gzip
from typing import Any

from sqlalchemy import select

from creditbank.context import public_base_url
from creditbank.context import settings as app_settings
from creditbank.document_models import CredentialStatus
from creditbank.domain.errors import Conflict, ValidationFailed
from creditbank.domain.roles import Principal
from creditbank.events import EventTag, record_event
from creditbank.extensions import db
from creditbank.services.accounts import readable_account
from creditbank.services.document_counters import next_serial
from creditbank.services.transaction import utcnow, write_transaction

LIST_SIZE = 131_072  # bits: the spec's minimum (16 KiB), so one index says little of anyone
SERIES = "status-list"
MAX_REASON = 500


def status_list_url(status_list: int) -> str:
    return f"{public_base_url()}credentials/status/{status_list}"


def status_entry(learner_id: str) -> dict[str, Any]:
    """The learner's ``credentialStatus``: its current place, or a new one when it has none
    (its first credential, or the first since the last was revoked)."""
    row = credential_state(learner_id)
    if row is None or row.revoked_at is not None:
        with write_transaction() as session:
            row = _current(learner_id, lock=True)
            if row is None:
                serial = next_serial(session, SERIES, 0) - 1
                row = CredentialStatus(
                    learner_id=learner_id,
                    status_list=1 + serial // LIST_SIZE,
                    status_index=serial % LIST_SIZE,
                    issued_at=utcnow(),
                )
                session.add(row)
    url = status_list_url(row.status_list)
    return {
        "id": f"{url}#{row.status_index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(row.status_index),
        "statusListCredential": url,
    }


def credential_state(learner_id: str) -> CredentialStatus | None:
    """The learner's latest place in the list (revoked or not), None before any credential."""
    return db.session.scalars(
        select(CredentialStatus)
        .where(CredentialStatus.learner_id == learner_id)
        .order_by(CredentialStatus.issued_at.desc(), CredentialStatus.status_index.desc())
    ).first()


def _current(learner_id: str, *, lock: bool = False) -> CredentialStatus | None:
    query = select(CredentialStatus).where(
        CredentialStatus.learner_id == learner_id, CredentialStatus.revoked_at.is_(None)
    )
    return db.session.scalars(query.with_for_update() if lock else query).first()


class NoCredential(Conflict):
    slug, title = "no_credential", "The learner holds no credential that is not revoked"


def revoke_credential(principal: Principal, learner_id: str, reason: str) -> CredentialStatus:
    """Flip the bit of the learner's credentials (the workstation); 409 ``no_credential`` when
    none was issued since the last revocation. The next credential gets a new place."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise ValidationFailed(errors={"reason": [f"请填写撤销原因（不超过 {MAX_REASON} 字）。"]})
    readable_account(principal, learner_id)
    with write_transaction() as session:
        row = _current(learner_id, lock=True)
        if row is None:
            raise NoCredential("该学员没有未撤销的可验证学习证明。")
        now = utcnow()
        if row.revoked_at is None:
            row.revoked_at, row.revoked_reason = now, reason
            record_event(
                session,
                EventTag.CREDENTIAL_REVOKED,
                actor=principal.subject,
                subject_id=learner_id,
                occurred_at=now,
                details={"status_list": row.status_list, "status_index": row.status_index},
            )
    return row


def encode_bits(indexes: list[int], size: int = LIST_SIZE) -> str:
    """The multibase (``u``, base64url, no padding) GZIP of a bitstring with these bits set."""
    bits = bytearray(size // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    raw = base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0))
    return "u" + raw.decode("ascii").rstrip("=")


def decode_bits(encoded: str) -> bytes:
    """The bitstring of an ``encodedList`` (for verifiers and tests)."""
    text = encoded.removeprefix("u")
    return gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def bit(bitstring: bytes, index: int) -> int:
    return (bitstring[index // 8] >> (7 - index % 8)) & 1


def status_list_credential(status_list: int) -> dict[str, Any]:
    """The ``BitstringStatusListCredential`` of one list, as of now."""
    revoked = db.session.scalars(
        select(CredentialStatus.status_index).where(
            CredentialStatus.status_list == status_list,
            CredentialStatus.revoked_at.is_not(None),
        )
    )
    url = status_list_url(status_list)
    now = utcnow().replace(microsecond=0)
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": app_settings().issuer_profile_url,
        "validFrom": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_bits(list(revoked)),
        },
    }
