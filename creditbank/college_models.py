"""Tables of the college half (PROGRAMMES.md § Domain model): colleges, their programmes and
catalogues (reference data; catalogues append-only like rulesets), and by learner the
enrolments, applications, items and claims; the certificate counters on the coordinator.

Every by-learner table is keyed by ``learner_id`` first, so it distributes with the journal
(docs/scaling.md); an application or item found by id alone uses the id index.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.db import HASH, ID, UTCDateTime
from creditbank.extensions import Model


class College(Model):
    """A school that accepts banked credits; ``school_code`` is the bank's code for it."""

    __tablename__ = "colleges"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    school_code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Programme(Model):
    """One of a college's programmes (专业); only its name ever changes."""

    __tablename__ = "programmes"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    college_id: Mapped[str] = mapped_column(ID, ForeignKey("colleges.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    level_code: Mapped[str] = mapped_column(String(2))
    category_code: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("college_id", "code", name="uq_programmes_college_code"),)


class CatalogueVersion(Model):
    """A published catalogue version of a programme; never edited (canonical JSON document)."""

    __tablename__ = "catalogues"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    programme_id: Mapped[str] = mapped_column(ID, ForeignKey("programmes.id"))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    document: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by: Mapped[str | None] = mapped_column(ID)

    __table_args__ = (
        UniqueConstraint("programme_id", "version", name="uq_catalogues_programme_version"),
    )


class Enrolment(Model):
    """A learner's enrolment in a programme (its ``student_no`` is null once erased)."""

    __tablename__ = "enrolments"

    learner_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.learner_id"), primary_key=True)
    programme_id: Mapped[str] = mapped_column(ID, primary_key=True)
    student_no: Mapped[str | None] = mapped_column(String(32))
    enrolled_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(ID)

    __table_args__ = (Index("ix_enrolments_programme_learner", "programme_id", "learner_id"),)


class TransferApplication(Model):
    """A learner's application to one programme, filed under the catalogue then in force."""

    __tablename__ = "transfer_applications"

    learner_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.learner_id"), primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    programme_id: Mapped[str] = mapped_column(ID)
    college_id: Mapped[str] = mapped_column(ID)
    catalogue_id: Mapped[str] = mapped_column(ID)
    external_ref: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(HASH)
    note: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    filed_by_role: Mapped[str] = mapped_column(String(16))
    filed_by_id: Mapped[str] = mapped_column(ID)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    certificate_no: Mapped[str | None] = mapped_column(String(40))
    certificate_revision: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("learner_id", "external_ref", name="uq_transfer_applications_ref"),
        Index("ix_transfer_applications_id", "id"),
        Index("ix_transfer_applications_college_id", "college_id", "id"),
    )


class TransferItem(Model):
    """One course of an application and its decision (course copied from the catalogue)."""

    __tablename__ = "transfer_items"

    learner_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.learner_id"), primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    application_id: Mapped[str] = mapped_column(ID)
    position: Mapped[int] = mapped_column(Integer)
    course_code: Mapped[str] = mapped_column(String(32))
    course_name: Mapped[str] = mapped_column(String(100))
    course_credits: Mapped[int] = mapped_column(Integer)  # tenths
    kind: Mapped[str] = mapped_column(String(16))
    outcome_ids: Mapped[str] = mapped_column(Text)  # JSON list, in the order named
    claim_keys: Mapped[str] = mapped_column(Text)  # JSON list
    equivalence: Mapped[str] = mapped_column(String(100))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    suggested_grade: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    grade: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(String(500))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(ID)
    decision_hash: Mapped[str | None] = mapped_column(HASH)
    transfer_seq: Mapped[int | None] = mapped_column(Integer)
    reversal_seq: Mapped[int | None] = mapped_column(Integer)
    flag: Mapped[str | None] = mapped_column(String(32))
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_transfer_items_application", "learner_id", "application_id", "position"),
        Index("ix_transfer_items_id", "id"),
    )


class TransferClaim(Model):
    """A claim key held by one application: an outcome (or a line) is spent once."""

    __tablename__ = "transfer_claims"

    learner_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.learner_id"), primary_key=True)
    claim_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    application_id: Mapped[str] = mapped_column(ID)


class CertificateCounter(Model):
    """The last conversion-certificate serial of a college in a (Shanghai) year."""

    __tablename__ = "certificate_counters"

    college_id: Mapped[str] = mapped_column(ID, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_serial: Mapped[int] = mapped_column(Integer, default=0)
