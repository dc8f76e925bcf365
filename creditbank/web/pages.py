"""What every blueprint of pages shares, written once: CSRF on every posted form, the headers
of pages that hold personal data, and errors shown as pages rather than problem+json."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask_wtf.csrf import CSRFError

from creditbank.college_labels import PROBLEM_TEXT
from creditbank.domain.errors import DomainError

# No script at all on these pages, styles only from the app's own file (a page that needs more
# says so itself: the audit report).
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def page_blueprint(name: str, url_prefix: str, **options: Any) -> Blueprint:
    blp = Blueprint(name, "creditbank.web", url_prefix=url_prefix, **options)
    blp.before_request(_protect_forms)
    blp.after_request(_page_headers)
    blp.register_error_handler(CSRFError, _csrf_failed)
    blp.register_error_handler(DomainError, _domain_error)
    return blp


def safe_next(value: str | None, prefix: str, default: str) -> str:
    """A sign-in form's ``next``: only a path under ``prefix`` (never an open redirect to another
    site), printable ASCII without spaces, so a line break cannot reach the Location header
    (werkzeug refuses it there, which would be a 500); else ``default``."""
    if (
        value
        and value.startswith(prefix)
        and value.isascii()
        and value.isprintable()
        and " " not in value
        and "//" not in value
        and "\\" not in value
    ):
        return value
    return default


REFRESH_SECONDS = 2


def progress_page(page: str, running: bool) -> tuple[str, int, dict[str, str]]:
    """A page of work still under way (an upload, an audit) reloads itself every two seconds
    while ``running``: the ``Refresh`` header, no script. The page offers a link that turns it
    off (WCAG 2.2.1: nothing may move on by itself without a way to stop it)."""
    return page, 200, {"Refresh": str(REFRESH_SECONDS)} if running else {}


def error_page(message: str, status: int) -> tuple[str, int]:
    return render_template("workstation/error.html", message=message), status


def _protect_forms() -> None:
    """Every form posted to these pages carries the session's CSRF token."""
    current_app.extensions["csrf"].protect()


def _page_headers(response: Response) -> Response:
    # Flask-WTF checks the Referer of HTTPS form posts; the app's default no-referrer policy
    # would strip it, so these pages send it to their own origin (never elsewhere).
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Content-Security-Policy", CSP)
    if not (request.endpoint or "").endswith(".static"):  # pages hold personal data
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _csrf_failed(error: CSRFError) -> tuple[str, int]:
    return error_page("表单已过期或来源无效，请返回重新提交。", 400)


def _domain_error(error: DomainError) -> tuple[str, int]:
    """A forged ``cursor`` (422) and the like, as a page rather than problem+json; what is not
    found or not allowed in words a person reads."""
    message = PROBLEM_TEXT.get(error.slug) or _PAGE_ERRORS.get(error.status, error.detail)
    return error_page(message, error.status)


_PAGE_ERRORS = {403: "您的账号无权进行此操作。", 404: "找不到所请求的记录，或您无权查看。"}
