"""A provider's sheet of outcomes uploaded by the workstation on the provider's behalf (the
console's 代传成果): preview, confirm, and the list of uploads.

The sheet is read and checked by :mod:`creditbank.services.uploads` (the API's
``POST /outcomes/upload`` reads it the same way) as the provider (``staff_provider``): every
bad row with its row, column and reason, and what the good rows would earn. The preview stages
the bytes (:mod:`creditbank.services.staged_files`) and records the upload as ``previewed``;
the confirmation names the staged file, which must be the previewed one, and starts
:func:`creditbank.services.upload_runs.run_upload` in the background.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from creditbank.domain.errors import Conflict, NotFound, ValidationFailed
from creditbank.domain.ids import new_id
from creditbank.events import EventTag, record_event
from creditbank.extensions import db
from creditbank.intake.outcome_sheets import RowError
from creditbank.models import Provider
from creditbank.services import staged_files
from creditbank.services.credit_estimates import Estimate, estimates
from creditbank.services.pagination import Page, keyset_page
from creditbank.services.transaction import utcnow, write_transaction
from creditbank.services.upload_runs import good_rows, run_upload, staff_provider
from creditbank.services.uploads import check_sheet, read_outcome_sheet
from creditbank.upload_models import Upload

SAMPLE_ROWS = 10
MAX_PROVIDERS = 1000  # a county's providers: a select lists them all
Background = Callable[[Callable[[], None], str], None]


def provider_choices() -> list[Provider]:
    """Every provider, by name (the upload form's select)."""
    query = select(Provider).order_by(Provider.name, Provider.id).limit(MAX_PROVIDERS)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class Preview:
    """What confirming the upload would do: every error, the counts, a sample of credits."""

    upload: Upload
    provider_name: str
    staged: str
    errors: list[RowError]
    would_post: int
    would_replay: int
    sample: list[Estimate]

    @property
    def bad_rows(self) -> int:
        return len({error.row for error in self.errors if error.row > 1})

    @property
    def good_rows(self) -> int:
        return self.upload.rows_total - self.bad_rows

    @property
    def header_errors(self) -> list[RowError]:
        return [error for error in self.errors if error.row <= 1]

    @property
    def can_confirm(self) -> bool:
        """A wrong header (an unknown or repeated column) stops the whole file: its rows could
        be read under the wrong column. Otherwise the good rows go and the bad ones stay out."""
        return self.good_rows > 0 and not self.header_errors


def preview_upload(staff: str, provider_id: str, file_name: str, data: bytes) -> Preview:
    """Check a sheet as ``provider_id`` would post it; stage it and record the upload as
    ``previewed`` (422 on ``provider_id`` or ``file`` when there is nothing to preview)."""
    provider = db.session.get(Provider, provider_id) if provider_id else None
    if provider is None:
        raise ValidationFailed(errors={"provider_id": ["请选择代传的培训机构。"]})
    if not data:
        raise ValidationFailed(errors={"file": ["请选择要上传的 CSV 或 XLSX 文件。"]})
    principal = staff_provider(staff, provider_id)
    parsed, _ = read_outcome_sheet(io.BytesIO(data))
    check = check_sheet(principal, parsed)
    staged = staged_files.stage(data)
    bad = {error.row for error in check.errors if error.row > 1}
    with write_transaction() as session:
        now = utcnow()
        upload = Upload(
            id=new_id("up"),
            provider_id=provider_id,
            staff=staff,
            file_name=(file_name or "upload")[:255],
            sha256=staged,
            rows_total=parsed.rows,
            rows_done=0,
            posted=0,
            rejected=len(bad),
            status="previewed",
            started_at=now,
        )
        session.add(upload)
        record_event(
            session,
            EventTag.WEB_UPLOAD_PREVIEWED,
            actor=principal.subject,
            subject_id=upload.id,
            occurred_at=now,
            details={"provider_id": provider_id, "rows": parsed.rows, "rejected": len(bad)},
        )
    sample = good_rows(parsed, check.errors)[:SAMPLE_ROWS]
    return Preview(
        upload=upload,
        provider_name=provider.name,
        staged=staged,
        errors=check.errors,
        would_post=check.would_post,
        would_replay=check.would_replay,
        sample=estimates(sample),
    )


def confirm_upload(staff: str, upload_id: str, staged: str, in_background: Background) -> Upload:
    """Start posting a previewed upload's good rows (in the background): ``staged`` must name
    the very file that was previewed (422 on ``staged`` otherwise, nothing started)."""
    upload = get_upload(upload_id)
    data = staged_files.load(staged, "staged")
    if hashlib.sha256(data).hexdigest() != upload.sha256:
        raise ValidationFailed(errors={"staged": ["此文件不是预览过的文件，请重新上传。"]})
    with write_transaction() as session:
        row = session.scalars(select(Upload).where(Upload.id == upload_id).with_for_update()).one()
        if row.status != "previewed":
            raise Conflict("此上传已经确认过。")
        now = utcnow()
        row.status, row.started_at, row.heartbeat_at, row.staff = "running", now, now, staff
        record_event(
            session,
            EventTag.WEB_UPLOAD_CONFIRMED,
            actor=f"staff:{staff}",
            subject_id=row.id,
            occurred_at=now,
            details={"provider_id": row.provider_id, "sha256": row.sha256},
        )
    in_background(lambda: run_upload(upload_id, staged), f"upload-{upload_id}")
    return row


def get_upload(upload_id: str) -> Upload:
    upload = db.session.get(Upload, upload_id)
    if upload is None:
        raise NotFound("没有这次上传。")
    return upload


@dataclass(frozen=True)
class UploadRow:
    upload: Upload
    provider_name: str


def upload_view(upload_id: str) -> UploadRow:
    upload = get_upload(upload_id)
    provider = db.session.get(Provider, upload.provider_id)
    return UploadRow(upload, provider.name if provider else "")


def list_uploads(cursor: str | None, limit: int) -> Page[UploadRow]:
    """Every upload, newest first (ids are ULIDs: they sort by time)."""
    query = select(Upload, Provider.name).join(Provider, Provider.id == Upload.provider_id)
    page = keyset_page(query, Upload.id, cursor, limit, descending=True, key_of=_upload_id)
    return page.map(lambda rows: [UploadRow(row.Upload, row.name) for row in rows])


def _upload_id(row: Any) -> str:
    return str(row.Upload.id)
