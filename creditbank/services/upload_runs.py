"""Posting a confirmed upload's good rows, in the background, chunk by chunk.

Each chunk (about ``CHUNK_ROWS`` rows, whole learners where it can) is one call of
:func:`creditbank.services.posting.record_outcomes`, the use case of ``POST /outcomes`` and
of the API's upload, as the provider. After each chunk commits, the upload's row says how many
rows are done: that row is the progress every gunicorn worker reads. A chunk is all or
nothing; a failure stops the upload with its reason, and what earlier chunks posted stays
posted (uploading the same file again replays those rows and posts the rest).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from creditbank.check_messages import message_text
from creditbank.context import settings
from creditbank.domain.errors import DomainError
from creditbank.domain.roles import Principal, Role
from creditbank.events import EventTag, record_event
from creditbank.extensions import db
from creditbank.intake.outcome_sheets import BY_FIELD, ParsedSheet, RowError
from creditbank.services import posting, staged_files
from creditbank.services.outcome_views import Posted
from creditbank.services.transaction import utcnow, write_transaction
from creditbank.services.uploads import check_sheet, read_outcome_sheet
from creditbank.upload_models import Upload

log = logging.getLogger(__name__)
CHUNK_ROWS = 500
ERRORS_SHOWN = 5
Row = tuple[int, Mapping[str, Any]]  # (row number, validated outcome)


def good_rows(parsed: ParsedSheet, errors: Sequence[RowError]) -> list[Row]:
    """The rows no error names, with their row numbers, in the file's order."""
    bad = {error.row for error in errors}
    return [
        (row, item)
        for row, item in zip(parsed.row_numbers, parsed.items, strict=True)
        if row not in bad
    ]


def staff_provider(staff: str, provider_id: str) -> Principal:
    """The provider as the services know a caller, when a workstation member acts for it."""
    return Principal(subject=f"staff:{staff}", role=Role.PROVIDER, provider_id=provider_id)


def run_upload(upload_id: str, staged: str) -> None:
    """Post the staged sheet's good rows for the upload's provider; the row tells how it went."""
    try:
        upload = db.session.get(Upload, upload_id)
        if upload is None or upload.status != "running":
            return
        principal = staff_provider(upload.staff, upload.provider_id)
        parsed, _ = read_outcome_sheet(io.BytesIO(staged_files.load(staged)))
        rows = good_rows(parsed, check_sheet(principal, parsed).errors)
        _progress(upload_id, rows_total=parsed.rows, rejected=parsed.rows - len(rows))
        posted = done = 0
        for chunk in chunks(rows):
            results = _post(principal, chunk)
            posted += sum(1 for result in results if not result.replayed)
            done += len(chunk)
            _progress(upload_id, rows_done=done, posted=posted)
        _finish(upload_id, "done", None)
    except DomainError as exc:
        _finish(upload_id, "failed", failure_text(exc))
    except Exception as exc:  # the row must not say "running" for ever
        log.exception("upload %s failed", upload_id)
        _finish(upload_id, "failed", f"内部错误（{type(exc).__name__}），请联系管理员。")


def _post(principal: Principal, chunk: list[Row]) -> list[Posted]:
    try:
        return posting.record_outcomes(principal, [item for _, item in chunk], batch=True)
    except DomainError as exc:  # keyed items.<i>.<field> within the chunk: name the rows
        errors = exc.errors or {}
        exc.errors = {_row_key(chunk, key): messages for key, messages in errors.items()}
        raise


def _row_key(chunk: list[Row], key: str) -> str:
    parts = key.split(".", 2)
    if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit():
        column = BY_FIELD[parts[2]].header if parts[2] in BY_FIELD else parts[2]
        return f"第 {chunk[int(parts[1])][0]} 行 {column}"
    return key


def chunks(rows: Sequence[Row], size: int = CHUNK_ROWS) -> Iterator[list[Row]]:
    """The rows by learner (a learner's rows in one chunk where it fits, so each account is
    locked and converted once), cut after about ``size`` rows."""
    ordered = sorted(rows, key=lambda row: row[1]["learner_id"])
    chunk: list[Row] = []
    for index, row in enumerate(ordered):
        chunk.append(row)
        following = ordered[index + 1][1]["learner_id"] if index + 1 < len(ordered) else None
        if len(chunk) >= 2 * size or (len(chunk) >= size and following != row[1]["learner_id"]):
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def failure_text(exc: DomainError) -> str:
    """Why posting stopped, in Chinese: the detail and the first few field errors."""
    lines = [message_text(exc.detail)]
    for key, messages in list((exc.errors or {}).items())[:ERRORS_SHOWN]:
        lines.extend(f"{key}：{message_text(message)}" for message in messages)
    return "\n".join(lines)


def end_if_stale(upload: Upload) -> None:
    """A running upload whose worker stopped beating (a restart, a crash) is marked failed."""
    beat = upload.heartbeat_at or upload.started_at
    horizon = utcnow() - timedelta(seconds=settings().audit_stale_after_seconds)
    if upload.status == "running" and beat < horizon:
        _finish(upload.id, "failed", "处理进程已中断（长时间没有进展）；可重新上传同一文件继续。")
        db.session.refresh(upload)


def _progress(upload_id: str, **values: int) -> None:
    with write_transaction() as session:
        upload = session.get(Upload, upload_id)
        if upload is not None:
            for name, value in values.items():
                setattr(upload, name, value)
            upload.heartbeat_at = utcnow()


def _finish(upload_id: str, status: str, error: str | None) -> None:
    with write_transaction() as session:
        upload = session.scalars(
            select(Upload).where(Upload.id == upload_id).with_for_update()
        ).one_or_none()
        if upload is None or upload.status != "running":
            return
        now = utcnow()
        upload.status, upload.error, upload.finished_at = status, error, now
        tag = EventTag.WEB_UPLOAD_FINISHED if status == "done" else EventTag.WEB_UPLOAD_FAILED
        record_event(
            session,
            tag,
            actor=f"staff:{upload.staff}",
            subject_id=upload.id,
            occurred_at=now,
            details={
                "posted": upload.posted,
                "rejected": upload.rejected,
                "rows": upload.rows_done,
            },
        )
