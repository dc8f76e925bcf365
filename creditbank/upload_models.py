"""Sheets of outcomes the workstation uploads on a provider's behalf (the console's 代传成果):
one row per upload, from its preview to its result. The row is the upload's progress too: the
background import updates ``rows_done`` after every chunk it commits, so whichever gunicorn
worker serves the progress page reads the same numbers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.db import HASH, ID, UTCDateTime
from creditbank.extensions import Model

UPLOAD_STATUSES = ("previewed", "running", "done", "failed")


class Upload(Model):
    """One provider's sheet, uploaded by a workstation member (``staff``: the username)."""

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    provider_id: Mapped[str] = mapped_column(ID, ForeignKey("providers.id"))
    staff: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(HASH)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    posted: Mapped[int] = mapped_column(Integer, default=0)  # new outcomes (replays not counted)
    rejected: Mapped[int] = mapped_column(Integer, default=0)  # rows left out for their errors
    status: Mapped[str] = mapped_column(String(16))  # UPLOAD_STATUSES
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # While running: when the import last committed a chunk (a stale beat: its worker died).
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
