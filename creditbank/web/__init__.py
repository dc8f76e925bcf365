"""The workstation's server-rendered pages (``/workstation/``), outside the API and its
OpenAPI document: staff sign in with a form, Flask's signed session cookie, CSRF tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, Response, send_from_directory
from flask_wtf.csrf import CSRFProtect

from creditbank.conversion import SHANGHAI
from creditbank.conversion.model import Reason
from creditbank.conversion.reasons import describe
from creditbank.domain.account_numbers import format_account_number
from creditbank.domain.amounts import format_tenths
from creditbank.labels import (
    AUDIT_STATUS_NAMES,
    OUTCOME_STATUS_NAMES,
    ROLE_NAMES,
    kind_text,
)
from creditbank.web.session import StaffSessionInterface

csrf = CSRFProtect()
STATIC = Path(__file__).resolve().parent / "static"


def init_web(app: Flask) -> None:
    """Session and CSRF settings, then the pages. The API keeps bearer tokens and no CSRF:
    the token check runs only where the workstation blueprint asks for it."""
    settings = app.extensions["creditbank.settings"]
    app.config.update(
        SESSION_COOKIE_NAME="creditbank_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # The browser forgets an idle session's cookie too; web/session.py checks every limit.
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.staff_session_idle_minutes),
    )
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid as long as the session is
    app.session_interface = StaffSessionInterface()
    csrf.init_app(app)
    app.jinja_env.filters.update(
        credits=format_tenths,
        kind_label=lambda kind: kind_text(kind)["zh"],
        status_label=lambda status: OUTCOME_STATUS_NAMES.get(status, status),
        role_label=lambda role: ROLE_NAMES.get(role, role),
        audit_label=lambda status: AUDIT_STATUS_NAMES.get(status, status),
        reason_text=_reason_text,
        local_time=_local_time,
        account_number=format_account_number,
    )
    from creditbank.web import learner_deposits, learner_views, views, ws_reviews  # noqa: F401 (routes on those)

    app.register_blueprint(views.blp)
    app.register_blueprint(learner_views.blp)
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
