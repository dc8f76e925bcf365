"""The workstation's audits: start one (workstation and auditor, as the API allows), the list
of runs, a running audit's progress (it reloads itself every two seconds: no script),
and the signed checkpoint an audit verified, downloaded as the API serves it."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from creditbank.domain.errors import ValidationFailed
from creditbank.domain.roles import Principal
from creditbank.events import EventTag, record_event
from creditbank.labels import AUDIT_STATUS_NAMES
from creditbank.models import Audit
from creditbank.services import audit_reports, checkpoints, learners
from creditbank.services import audits as audit_runs
from creditbank.services.background import in_background
from creditbank.services.names import caller_name, names_of
from creditbank.services.transaction import utcnow
from creditbank.web.guards import login_required, staff_principal
from creditbank.web.pages import progress_page
from creditbank.web.views import PAGE_ROWS, blp

ACCOUNT_ERROR = "请输入有效的 12 位学习账号（可留空，审计全行）。"
UNKNOWN_ACCOUNT = "没有这个学习账号。"


@blp.get("/audits")
@login_required
def audits() -> str:
    return _list_page({}, "")


@blp.post("/audits")
@login_required  # auditors run audits too (API.md § Audits and checkpoints)
def start_audit() -> Any:
    number = request.form.get("account_number", "").strip()
    try:
        learner_id = _learner_of(number)
    except ValidationFailed:
        return _list_page({"account_number": ACCOUNT_ERROR}, number), 422
    if number and learner_id is None:
        return _list_page({"account_number": UNKNOWN_ACCOUNT}, number), 422
    principal = staff_principal()
    audit_id, finished = audit_runs.request_audit(
        principal, learner_id, in_background=in_background, after=_started(principal)
    )
    if finished:
        status = audit_reports.get_audit(audit_id).status
        flash(f"审计已完成：{AUDIT_STATUS_NAMES.get(status, status)}。", "success")
    else:
        flash("审计已开始，本页每 2 秒刷新一次进度。", "success")
    return redirect(url_for("workstation.audit_status", audit_id=audit_id))


@blp.get("/audits/<audit_id>/status")
@login_required
def audit_status(audit_id: str) -> tuple[str, int, dict[str, str]]:
    audit = audit_reports.get_audit(audit_id)
    total = audit_runs.entries_in_scope(audit.learner_id) if audit.status == "running" else 0
    names = names_of({audit.learner_id} if audit.learner_id else set())
    refresh = request.args.get("refresh") != "off"  # WCAG 2.2.1: it can be turned off
    page = render_template(
        "workstation/audit_status.html",
        audit=audit,
        total=max(total, audit.entries_checked),
        scope=_scope(audit, names),
        started_by=caller_name(audit.requested_by, names_of({audit.requested_by or ""})),
        refresh=refresh,
    )
    return progress_page(page, audit.status == "running" and refresh)


@blp.get("/checkpoints/<checkpoint_id>.json")
@login_required
def checkpoint_download(checkpoint_id: str) -> Response:
    """The signed checkpoint, the JSON ``GET /api/v1/checkpoints/latest`` gives, as a file."""
    document = checkpoints.checkpoint_document(checkpoint_id)
    body = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="checkpoint-{document["id"]}.json"'
    )
    return response


def _list_page(errors: dict[str, str], number: str) -> str:
    page = audit_reports.recent_audits(request.args.get("cursor"), PAGE_ROWS)
    ids = {audit.learner_id for audit in page.items if audit.learner_id}
    ids |= {audit.requested_by for audit in page.items if audit.requested_by}
    names = names_of(ids)
    rows = [
        {
            "audit": audit,
            "scope": _scope(audit, names),
            "started_by": caller_name(audit.requested_by, names),
            "duration": _duration(audit),
        }
        for audit in page.items
    ]
    return render_template(
        "workstation/audits.html", page=page, rows=rows, errors=errors, account_number=number
    )


def _learner_of(number: str) -> str | None:
    if not number:
        return None
    found = learners.find_learners(account_number=number, name=None, cursor=None, limit=1)
    return found.items[0].learner_id if found.items else None


def _scope(audit: Audit, names: dict[str, str]) -> str:
    if audit.learner_id is None:
        return "全行"
    return f"学员 {names.get(audit.learner_id, '（已删除）')}"


def _duration(audit: Audit) -> str:
    if audit.finished_at is None:
        return "—"
    seconds = max(0, int((audit.finished_at - audit.started_at).total_seconds()))
    if seconds < 60:
        return f"{seconds} 秒"
    return f"{seconds // 60} 分 {seconds % 60} 秒"


def _started(principal: Principal) -> audit_runs.AfterOpen:
    def record(session: Session, audit: Audit) -> None:
        record_event(
            session,
            EventTag.WEB_AUDIT_STARTED,
            actor=principal.subject,
            subject_id=audit.learner_id,
            occurred_at=utcnow(),
            details={"audit_id": audit.id},
        )

    return record
