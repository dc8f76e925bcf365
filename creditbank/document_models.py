"""The documents the bank issued (transcripts, conversion certificates) and the status of each
learner's verifiable credential (docs/verification.md).

``documents`` and ``credential_status`` are by learner (``learner_id`` first in every key).
A number is unique across the bank because one coordinator counter hands it out
(``document_counters``, locked ``FOR UPDATE``), not because of a bank-wide unique index, which a
table distributed by learner cannot have; the verify page finds a number through a plain index.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.db import HASH, ID, UTCDateTime
from creditbank.extensions import Model

DOCUMENT_KINDS = ("transcript", "certificate")
DOCUMENT_STATUSES = ("valid", "revoked", "superseded")


class Document(Model):
    """One issued document: its number, the SHA-256 of the bytes handed out, and its status."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_number", "number"),)

    learner_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.learner_id"), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # transcript | certificate
    # What it is a document of: the learner (a transcript) or the application (a certificate);
    # issuing another of the same kind and subject supersedes it.
    subject_id: Mapped[str] = mapped_column(ID)
    media_type: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(HASH)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str | None] = mapped_column(String(200))
    # What the document showed of its holder, and no more: the verify page shows these.
    holder_name_masked: Mapped[str | None] = mapped_column(String(200))
    holder_id_masked: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="valid")
    superseded_by: Mapped[str | None] = mapped_column(String(32))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)


class DocumentCounter(Model):
    """The last serial given in a series: a document kind's year, or a status list's index."""

    __tablename__ = "document_counters"

    series: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_serial: Mapped[int] = mapped_column(Integer, default=0)


class CredentialStatus(Model):
    """A learner's place in the revocation status list, given at its first credential and
    kept by every credential after it until revoked; the next credential gets a new place."""

    __tablename__ = "credential_status"

    learner_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.learner_id"), primary_key=True)
    status_list: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
