"""An audit run as the API and the command line show it: JSON, CSV and a printable HTML report.

The stored findings are read back in keyset pages (never OFFSET, never all at once), so a CSV
of a million findings streams in constant memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from creditbank.documents.html import audit_report
from creditbank.domain.canonical import format_instant
from creditbank.domain.errors import NotFound
from creditbank.extensions import db
from creditbank.models import Audit, AuditFinding, Checkpoint
from creditbank.services.checkpoints import checkpoint_view
from creditbank.services.pagination import Page, keyset_page

INLINE_FINDINGS = 1000
CSV_COLUMNS = ("learner_id", "seq", "check", "expected", "found")
# What each check means, for the printed report (Chinese, with the English term beside it).


def get_audit(audit_id: str) -> Audit:
    audit = db.session.get(Audit, audit_id)
    if audit is None:
        raise NotFound("No such audit")
    return audit


def audit_document(audit_id: str) -> dict[str, Any]:
    """``GET /audits/{id}``: the run, its first INLINE_FINDINGS findings, the checkpoint."""
    audit = get_audit(audit_id)
    first = findings_page(audit_id, None, INLINE_FINDINGS)
    return {
        "id": audit.id,
        "status": audit.status,
        "learner_id": audit.learner_id,
        "requested_by": audit.requested_by,
        "started_at": format_instant(audit.started_at),
        "finished_at": audit.finished_at and format_instant(audit.finished_at),
        "entries_checked": audit.entries_checked,
        "learners_checked": audit.learners_checked,
        "findings_total": audit.findings_total,
        "findings": first.items,
        "findings_next_cursor": first.next_cursor,
        "checkpoint": _checkpoint(audit),
        "error": audit.error,
    }


def _checkpoint(audit: Audit) -> dict[str, Any] | None:
    row = db.session.get(Checkpoint, audit.checkpoint_id) if audit.checkpoint_id else None
    if row is None:
        return None
    return {**checkpoint_view(row), "verified": bool(audit.checkpoint_verified)}


def findings_page(audit_id: str, cursor: str | None, limit: int) -> Page[dict[str, Any]]:
    """``GET /audits/{id}/findings``: keyset pages in finding order."""
    query = select(AuditFinding).where(AuditFinding.audit_id == audit_id)
    page = keyset_page(query, AuditFinding.number, cursor, limit)
    return page.map(lambda rows: [finding_view(row) for row in rows])


def finding_view(row: AuditFinding) -> dict[str, Any]:
    return {name: getattr(row, name) for name in CSV_COLUMNS}


def all_findings(audit_id: str, batch: int = 1000) -> Iterator[dict[str, Any]]:
    cursor: str | None = None
    while True:
        page = findings_page(audit_id, cursor, batch)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def csv_lines(audit_id: str) -> Iterator[str]:
    """Every finding as CSV (RFC 4180, a header row first), line by line."""
    get_audit(audit_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for finding in all_findings(audit_id):
        writer.writerow(["" if finding[c] is None else finding[c] for c in CSV_COLUMNS])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def html_report(audit_id: str) -> str:
    """The printable report (Chinese, English terms beside)."""
    return audit_report(audit_document(audit_id), INLINE_FINDINGS)


def recent_audits(cursor: str | None, limit: int) -> Page[Audit]:
    """Audit runs, newest first (ids are ULIDs: they sort by time)."""
    return keyset_page(select(Audit), Audit.id, cursor, limit, descending=True)
