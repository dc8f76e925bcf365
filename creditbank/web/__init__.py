"""The workstation's server-rendered pages (``/workstation/``), outside the API and its
OpenAPI document: staff sign in with a form, Flask's signed session cookie, CSRF tokens."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, Response, send_from_directory
from flask_wtf.csrf import CSRFProtect

from creditbank.college_labels import (
    APPLICATION_STATUS_NAMES,
    COURSE_KIND_NAMES,
    ELIGIBILITY_NAMES,
    ITEM_STATUS_NAMES,
)
from creditbank.conversion import SHANGHAI
from creditbank.conversion.model import Reason
from creditbank.conversion.reasons import describe
from creditbank.documents.qr import qr_svg
from creditbank.domain.account_numbers import format_account_number
from creditbank.domain.amounts import format_tenths
from creditbank.labels import (
    AUDIT_STATUS_NAMES,
    OUTCOME_STATUS_NAMES,
    ROLE_NAMES,
    category_text,
    kind_text,
)
from creditbank.web.session import StaffSessionInterface

csrf = CSRFProtect()
# The console's areas: each module adds its routes (or filters) to a blueprint as it is imported.
PAGE_MODULES = (
    "college_catalogues",
    "console_filters",
    "learner_applications",
    "learner_deposits",
    "learner_documents",
    "ws_admin",
    "ws_audits",
    "ws_conversion",
    "ws_dashboard",
    "ws_documents",
    "ws_enrolments",
    "ws_events",
    "ws_learner_actions",
    "ws_learners",
    "ws_openings",
    "ws_reviews",
    "ws_rulesets",
    "ws_staff",
    "ws_uploads",
)
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
        category_label=lambda category: category_text(category)["zh"],
        status_label=lambda status: OUTCOME_STATUS_NAMES.get(status, status),
        role_label=lambda role: ROLE_NAMES.get(role, role),
        audit_label=lambda status: AUDIT_STATUS_NAMES.get(status, status),
        reason_text=_reason_text,
        local_time=_local_time,
        account_number=format_account_number,
        application_status=lambda status: APPLICATION_STATUS_NAMES.get(status, status),
        item_status=lambda status: ITEM_STATUS_NAMES.get(status, status),
        eligibility_label=lambda status: ELIGIBILITY_NAMES.get(status, status),
        course_kind=lambda kind: COURSE_KIND_NAMES.get(kind, kind),
        qr_svg=qr_svg,
    )
    # The console's pages, each module adding its routes to the blueprints (one line each).
    from creditbank.web import college_views, learner_views, verify, views

    for module in PAGE_MODULES:
        importlib.import_module(f"creditbank.web.{module}")
    app.register_blueprint(views.blp)
    app.register_blueprint(learner_views.blp)
    app.register_blueprint(college_views.blp)
    app.register_blueprint(verify.blp)
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
