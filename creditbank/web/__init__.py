"""The workstation's server-rendered pages (``/workstation/``), outside the API and its
OpenAPI document: staff sign in with a form, Flask's signed session cookie, CSRF tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, Response, send_from_directory
from flask_wtf.csrf import CSRFProtect

from creditbank.context import BROWSER_PRINCIPAL
from creditbank.conversion.model import Reason
from creditbank.conversion.reasons import describe
from creditbank.domain.amounts import format_tenths
from creditbank.web.session import StaffSessionInterface, staff_principal

csrf = CSRFProtect()
STATIC = Path(__file__).resolve().parent / "static"

KIND_LABELS = {
    "training_hours": "培训学时",
    "certificate": "职业技能等级证书",
    "skill_level": "职业技能等级",
    "competition": "技能竞赛",
    "course": "课程",
    "informal": "非正式学习",
}
STATUS_LABELS = {
    "credited": "已认定",
    "not_credited": "未认定",
    "pending_review": "待审核",
    "voided": "已撤销",
}
ROLE_LABELS = {"workstation": "工作站", "auditor": "审计员"}
SHANGHAI = ZoneInfo("Asia/Shanghai")
AUDIT_LABELS = {"running": "进行中", "passed": "通过", "failed": "未通过", "error": "出错"}


def init_web(app: Flask) -> None:
    """Session and CSRF settings, then the pages. The API keeps bearer tokens and no CSRF:
    the token check runs only where the workstation blueprint asks for it."""
    app.config.update(
        SESSION_COOKIE_NAME="creditbank_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),  # a working day, then sign in again
    )
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid as long as the session is
    app.session_interface = StaffSessionInterface()
    app.extensions[BROWSER_PRINCIPAL] = staff_principal
    csrf.init_app(app)
    app.jinja_env.filters.update(
        credits=format_tenths,
        kind_label=lambda kind: KIND_LABELS.get(kind, kind),
        status_label=lambda status: STATUS_LABELS.get(status, status),
        role_label=lambda role: ROLE_LABELS.get(role, role),
        audit_label=lambda status: AUDIT_LABELS.get(status, status),
        reason_text=_reason_text,
        local_time=_local_time,
    )
    from creditbank.web.views import blp

    app.register_blueprint(blp)
    app.add_url_rule("/favicon.ico", "favicon", _favicon)


def _favicon() -> Response:
    """Browsers ask every site for one; without it each HTML page (the workstation's, the
    reports, the API docs) would log a failed request in the console."""
    return send_from_directory(STATIC, "favicon.png", mimetype="image/png", max_age=86400)


def _reason_text(reason: str) -> str:
    try:
        return describe(Reason(reason))
    except ValueError:
        return reason


def _local_time(instant: datetime | str | None) -> str:
    """An instant as the county reads it: Shanghai time to the minute."""
    if instant is None:
        return ""
    if isinstance(instant, str):
        instant = datetime.fromisoformat(instant)
    return instant.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
