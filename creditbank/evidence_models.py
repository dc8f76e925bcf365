"""Evidence a learner attaches to a deposited outcome (services/deposits.py): one row per file
and outcome. The bytes live in the instance folder under their SHA-256, which the outcome's
journal entry also carries, so the hash chain vouches for every file."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.db import HASH, ID, UTCDateTime
from creditbank.extensions import Model


class Evidence(Model):
    __tablename__ = "evidence"

    learner_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.learner_id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(HASH, primary_key=True)
    outcome_id: Mapped[str] = mapped_column(ID, primary_key=True)
    media_type: Mapped[str] = mapped_column(String(64))  # sniffed from the bytes
    size: Mapped[int] = mapped_column(Integer)
    original_name: Mapped[str] = mapped_column(String(255))  # as uploaded; shown, never a path
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
