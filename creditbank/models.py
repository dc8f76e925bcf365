"""Tables. The journal is append-only (the migrations add triggers that refuse the rest);
everything else is either reference data or a cache that the services keep in step with it.

Journal tables carry ``learner_id`` in every unique key, to be distributed by learner (DESIGN.md
§ Scale, distribution.py); the bank-wide uniquenesses live in tables keyed by them:
``idempotency_keys`` (provider, reference), lookup_models.py (national ID, account number)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

# The college half's tables and the lookups, so that the foreign keys below always find them.
from creditbank import college_models, document_models, evidence_models, upload_models  # noqa: F401
from creditbank import lookup_models as _lookup_tables  # noqa: F401
from creditbank.db import HASH, ID, UTCDateTime
from creditbank.domain.canonical import GENESIS_HASH
from creditbank.extensions import Model


class Account(Model):
    """A learner's account: the cached head of its chain and its balance (invariants 2, 3)."""

    __tablename__ = "accounts"

    learner_id: Mapped[str] = mapped_column(ID, primary_key=True)
    # 学习账号 (domain/account_numbers.py), on documents and at sign-in; unique: lookup_models.py
    account_number: Mapped[str] = mapped_column(String(12))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    head_seq: Mapped[int] = mapped_column(Integer, default=0)
    head_hash: Mapped[str] = mapped_column(HASH, default=GENESIS_HASH)
    head_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    balance: Mapped[int] = mapped_column(Integer, default=0)  # tenths
    # Canonical JSON {category: tenths}: the running totals of the last credit entry.
    balance_by_category: Mapped[str] = mapped_column(Text, default="{}")
    # Spent on college courses: the last transfer's or reversal's totals (PROGRAMMES.md).
    converted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    converted_by_category: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")


class Identity(Model):
    """Personal data, outside the journal so that it can be corrected or erased."""

    __tablename__ = "identities"
    __table_args__ = (Index("ix_identities_name_learner", "name", "learner_id"),)  # by name

    learner_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.learner_id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    national_id_encrypted: Mapped[str | None] = mapped_column(Text)
    national_id_fingerprint: Mapped[str | None] = mapped_column(HASH)
    national_id_masked: Mapped[str | None] = mapped_column(String(18))
    phone_encrypted: Mapped[str | None] = mapped_column(Text)  # as the national ID: encrypted
    phone_masked: Mapped[str | None] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # Raised on every password change: tokens carry it, so older tokens stop working.
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    # Set by the workstation's password (opening, reset); the portal asks for a new one first.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Provider(Model):
    """A training provider (school, company, training centre) that posts outcomes."""

    __tablename__ = "providers"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Client(Model):
    """An API client: the workstation, an auditor, or one of a provider's systems."""

    __tablename__ = "clients"

    client_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[str | None] = mapped_column(ID, ForeignKey("providers.id"), index=True)
    college_id: Mapped[str | None] = mapped_column(ID, ForeignKey("colleges.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    # Raised on every rotation: tokens carry it, so a rotated secret's tokens stop working.
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Ruleset(Model):
    """A published conversion ruleset; never edited (the document is canonical JSON)."""

    __tablename__ = "rulesets"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    document: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by: Mapped[str | None] = mapped_column(ID)


class JournalEntry(Model):
    """One fact in a learner's chain. Kind-specific fields that are not queried live in
    ``data`` (canonical JSON); the hash covers the columns and ``data`` together."""

    __tablename__ = "journal_entries"

    learner_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.learner_id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    prev_hash: Mapped[str] = mapped_column(HASH)
    hash: Mapped[str] = mapped_column(HASH)
    outcome_id: Mapped[str | None] = mapped_column(ID, index=True)
    provider_id: Mapped[str | None] = mapped_column(ID)
    ruleset_id: Mapped[str | None] = mapped_column(ID)
    category: Mapped[str | None] = mapped_column(String(64))
    delta: Mapped[int | None] = mapped_column(Integer)  # tenths
    running_total: Mapped[int | None] = mapped_column(Integer)  # tenths
    # A credit's reason slug, or the words a void was given.
    reason: Mapped[str | None] = mapped_column(String(500))
    data: Mapped[str] = mapped_column(Text, default="{}")

    __table_args__ = (
        # Point-in-time balance: the last credit entry, and the last entry, at an instant.
        Index("ix_journal_entries_learner_kind_recorded", "learner_id", "kind", "recorded_at"),
        Index("ix_journal_entries_learner_recorded", "learner_id", "recorded_at"),
    )


class OutcomeState(Model):
    """What each outcome stands at now: a cache of the journal, rewritten in the same
    transaction as the credit entries that change it."""

    __tablename__ = "outcomes"

    learner_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.learner_id"), primary_key=True)
    outcome_id: Mapped[str] = mapped_column(ID, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    provider_id: Mapped[str] = mapped_column(ID)
    external_ref: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ruleset_id: Mapped[str | None] = mapped_column(ID)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    credits: Mapped[int] = mapped_column(Integer, default=0)  # tenths
    rule: Mapped[str | None] = mapped_column(String(200))
    # A certificate's or skill level's number with its kind and code, so that the same number
    # credited on another learner's account is found by posting (services/certificate_reuse.py).
    certificate_key: Mapped[str | None] = mapped_column(String(160))

    __table_args__ = (
        Index("ix_outcomes_outcome_id", "outcome_id"),
        Index("ix_outcomes_provider_outcome", "provider_id", "outcome_id"),
        Index("ix_outcomes_status_outcome", "status", "outcome_id"),
        Index("ix_outcomes_certificate_key", "certificate_key"),
    )


@dataclass(slots=True)
class NewOutcomeState:
    """An :class:`OutcomeState` a posting transaction creates: a plain row that conversion
    settles in memory, inserted with the rest of its batch in one statement
    (services/outcomes.py)."""

    learner_id: str
    outcome_id: str
    seq: int
    provider_id: str
    external_ref: str
    kind: str
    category: str
    recorded_at: datetime
    ruleset_id: str | None
    status: str
    reason: str
    credits: int = 0
    rule: str | None = None
    certificate_key: str | None = None


class IdempotencyKey(Model):
    """``(provider, external_ref)``: the one bank-wide uniqueness (DESIGN.md § Scale)."""

    __tablename__ = "idempotency_keys"

    provider_id: Mapped[str] = mapped_column(ID, ForeignKey("providers.id"), primary_key=True)
    external_ref: Mapped[str] = mapped_column(String(128), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ID)
    outcome_id: Mapped[str] = mapped_column(ID)
    request_hash: Mapped[str] = mapped_column(HASH)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Audit(Model):
    """One audit run (DESIGN.md § Audit): what was checked and how it ended."""

    __tablename__ = "audits"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    learner_id: Mapped[str | None] = mapped_column(ID)  # None: the whole bank
    status: Mapped[str] = mapped_column(String(16))  # running, passed, failed, error
    requested_by: Mapped[str | None] = mapped_column(ID)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    entries_checked: Mapped[int] = mapped_column(Integer, default=0)
    learners_checked: Mapped[int] = mapped_column(Integer, default=0)
    findings_total: Mapped[int] = mapped_column(Integer, default=0)
    checkpoint_id: Mapped[str | None] = mapped_column(ID)
    checkpoint_verified: Mapped[bool | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    # While running: when the run last finished a slice (a stale beat means its worker died).
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditFinding(Model):
    """One thing an audit found wrong, numbered within its audit."""

    __tablename__ = "audit_findings"

    audit_id: Mapped[str] = mapped_column(ID, ForeignKey("audits.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    learner_id: Mapped[str | None] = mapped_column(ID)
    seq: Mapped[int | None] = mapped_column(Integer)
    check: Mapped[str] = mapped_column(String(16))
    expected: Mapped[str | None] = mapped_column(Text)
    found: Mapped[str | None] = mapped_column(Text)


class Checkpoint(Model):
    """A signed RFC 9162 tree head over the learners' chain heads (invariant 6)."""

    __tablename__ = "checkpoints"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    origin: Mapped[str] = mapped_column(String(200))
    tree_size: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))  # base64
    body: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))  # base64
    key_id: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[str] = mapped_column(String(64))  # base64 of the raw 32 bytes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class CheckpointLeaf(Model):
    """One learner's chain head as a checkpoint signed it (leaf index = position by learner_id)."""

    __tablename__ = "checkpoint_leaves"

    checkpoint_id: Mapped[str] = mapped_column(ID, ForeignKey("checkpoints.id"), primary_key=True)
    leaf_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    learner_id: Mapped[str] = mapped_column(ID)
    seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(HASH)

    __table_args__ = (
        Index("ix_checkpoint_leaves_checkpoint_learner", "checkpoint_id", "learner_id"),
    )


class StaffAccount(Model):
    """A person at the workstation who signs in to the web pages (role workstation or auditor)."""

    __tablename__ = "staff_accounts"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    college_id: Mapped[str | None] = mapped_column(ID)  # a college's staff: that college
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Raised when the staff member signs out (or the account is disabled): session cookies
    # carry the generation they were signed in under, so every older cookie stops working.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AuditEvent(Model):
    """Something done to data outside the journal (an identity corrected or erased, …),
    tagged ``source:subject:action`` (:class:`creditbank.events.EventTag`)."""

    __tablename__ = "audit_events"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    tag: Mapped[str] = mapped_column(String(100), index=True)
    actor: Mapped[str | None] = mapped_column(String(64))
    subject_id: Mapped[str | None] = mapped_column(ID, index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON; never personal data
