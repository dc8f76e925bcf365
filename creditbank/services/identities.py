"""Correcting and erasing a learner's personal data (DESIGN.md: personal data lives outside the
journal, so it can change or go without touching a chain). Each change is an audit event
that names the fields, never their values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from creditbank.context import keyring
from creditbank.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from creditbank.domain.national_id import NationalIdError, mask_national_id, validate_national_id
from creditbank.domain.roles import Principal, Role
from creditbank.events import EventTag, record_event
from creditbank.evidence_models import Evidence
from creditbank.journal import lock_accounts
from creditbank.models import Account, Identity
from creditbank.services.learners import LearnerView, get_learner
from creditbank.services.lookups import (
    claim_national_id,
    learner_by_national_id,
    release_national_id,
)
from creditbank.services.transaction import utcnow, write_transaction
from creditbank.services.withdrawals import release_learner_transfers

_DUPLICATE = "An account with this national ID already exists"


def correct_identity(principal: Principal, learner_id: str, changes: dict[str, Any]) -> LearnerView:
    """Change the name and/or national ID (``None`` removes it); 409 when another account
    holds that national ID, or when the identity was erased."""
    _require_workstation(principal)
    cipher = keyring().pii
    national_id = changes.get("national_id")
    valid_id = _valid(national_id) if national_id else None
    try:
        with write_transaction() as session:
            identity = _identity(session, learner_id)
            changed = []
            if "name" in changes and changes["name"] != identity.name:
                identity.name = changes["name"]
                changed.append("name")
            if "national_id" in changes:
                fingerprint = cipher.fingerprint(valid_id) if valid_id else None
                if fingerprint != identity.national_id_fingerprint:
                    _move_national_id(session, identity, fingerprint)
                    identity.national_id_fingerprint = fingerprint
                    identity.national_id_encrypted = cipher.encrypt(valid_id) if valid_id else None
                    identity.national_id_masked = mask_national_id(valid_id) if valid_id else None
                    changed.append("national_id")
            if changed:
                now = utcnow()
                identity.updated_at = now
                record_event(
                    session,
                    EventTag.LEARNER_IDENTITY_CORRECTED,
                    actor=principal.subject,
                    subject_id=learner_id,
                    occurred_at=now,
                    details={"fields": changed},
                )
    except IntegrityError as exc:  # a concurrent change took the national ID first
        raise Conflict(_DUPLICATE) from exc
    return get_learner(learner_id)


def erase_identity(principal: Principal, learner_id: str) -> None:
    """Delete the learner's name, national ID, phone and password for good. The account, its journal
    and its balance stay whole (and audit clean); reads show the learner without a name.

    In the same transaction, under the account lock, the learner's pending transfer items are
    withdrawn (reason ``identity_erased``) and its enrolments lose their student numbers;
    approved exemptions stay (PROGRAMMES.md § Edge cases)."""
    _require_workstation(principal)
    with write_transaction() as session:
        lock_accounts(session, [learner_id])  # before any by-learner row
        identity = _identity(session, learner_id)
        erased = ["name"]
        if identity.national_id_fingerprint:
            release_national_id(session, identity.national_id_fingerprint)
            erased.append("national_id")
        if identity.phone_encrypted:
            erased.append("phone")  # the row goes whole: the phone with it
        if identity.password_hash:
            erased.append("password")
        now = utcnow()
        release_learner_transfers(session, learner_id, now, principal.subject)
        # the evidence files' names as uploaded may name the person too; the files (bound by
        # their hashes into the journal) stay
        evidence = Evidence.learner_id == learner_id
        if session.scalar(select(Evidence.sha256).where(evidence).limit(1)) is not None:
            session.execute(update(Evidence).where(evidence).values(original_name=""))
            erased.append("evidence_names")
        session.delete(identity)
        record_event(
            session,
            EventTag.LEARNER_IDENTITY_ERASED,
            actor=principal.subject,
            subject_id=learner_id,
            occurred_at=now,
            details={"fields": erased},
        )


def _require_workstation(principal: Principal) -> None:
    if principal.role is not Role.WORKSTATION:
        raise Forbidden("Only the workstation corrects or erases identities")


def _identity(session: Any, learner_id: str) -> Identity:
    if session.get(Account, learner_id) is None:
        raise NotFound("No such learner")
    identity = session.get(Identity, learner_id, with_for_update=True)
    if identity is None:
        raise NotFound("This learner's identity was erased")
    return identity


def _move_national_id(session: Any, identity: Identity, fingerprint: str | None) -> None:
    """The lookup row follows the identity's national ID: the old one released, the new one
    claimed (409 when another account holds it; its key refuses a concurrent claim)."""
    if fingerprint is not None:
        holder = learner_by_national_id(fingerprint, session)
        if holder is not None and holder != identity.learner_id:
            raise Conflict(_DUPLICATE)
    if identity.national_id_fingerprint:
        release_national_id(session, identity.national_id_fingerprint)
    if fingerprint is not None:
        claim_national_id(session, fingerprint, identity.learner_id)


def _valid(national_id: str) -> str:
    try:
        return validate_national_id(national_id)
    except NationalIdError as exc:
        raise ValidationFailed(errors={"national_id": [str(exc)]}) from exc
