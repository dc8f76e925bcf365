"""The workstation's read-only pages under ``/workstation/``: sign in, an overview (learners,
recent posts, pending reviews, the latest audit), a paged list of each, an audit's printable
report, sign out. The API never takes this session: it wants bearer tokens."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response as BaseResponse

from creditbank.domain.errors import DomainError
from creditbank.services import audit_reports, workstation
from creditbank.services.staff import verify_staff_password
from creditbank.web import session as staff_session

blp = Blueprint(
    "workstation",
    __name__,
    url_prefix="/workstation",
    static_folder="static",
    static_url_path="/static",
)
_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# The printable audit report is a document of its own (creditbank.documents): its styles are
# inline, and so is its print button's handler.
_REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
OVERVIEW_ROWS = 10
PAGE_ROWS = 50


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Pages need a signed-in, active staff account; otherwise the sign-in form."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.staff = staff_session.signed_in_staff()
        if g.staff is None:
            return redirect(url_for("workstation.login", next=request.path))
        return view(*args, **kwargs)

    return wrapper


@blp.get("/")
@login_required
def overview() -> str:
    """Everything at a glance, the first rows of each list."""
    return render_template(
        "workstation/overview.html",
        learners=workstation.learners(None, OVERVIEW_ROWS),
        outcomes=workstation.recent_outcomes(None, OVERVIEW_ROWS),
        reviews=workstation.pending_reviews(None, OVERVIEW_ROWS),
        audit=workstation.latest_audit(),
    )


@blp.get("/learners")
@login_required
def learners() -> str:
    page = workstation.learners(request.args.get("cursor"), PAGE_ROWS)
    return render_template("workstation/learners.html", page=page)


@blp.get("/outcomes")
@login_required
def outcomes() -> str:
    page = workstation.recent_outcomes(request.args.get("cursor"), PAGE_ROWS)
    return render_template("workstation/outcomes.html", page=page)


@blp.get("/reviews")
@login_required
def reviews() -> str:
    page = workstation.pending_reviews(request.args.get("cursor"), PAGE_ROWS)
    return render_template("workstation/reviews.html", page=page)


@blp.get("/audits/<audit_id>")
@login_required
def audit_report(audit_id: str) -> Response:
    """An audit's printable report, as ``GET /api/v1/audits/{id}`` prints it for a token."""
    report = Response(audit_reports.html_report(audit_id), mimetype="text/html")
    report.headers["Content-Security-Policy"] = _REPORT_CSP
    return report


@blp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The sign-in form; a failure says only that the pair did not match."""
    target = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if staff_session.signed_in_staff() is not None:
            return redirect(target)
        return render_template("workstation/login.html", next=target)
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    if staff_session.login_throttled(username):
        page = _login_form(username, target, "登录失败次数过多，请稍后再试。")
        return page, 429, {"Retry-After": "60"}
    account = verify_staff_password(username, password) if username and password else None
    if account is None:
        staff_session.count_failed_login(username)
        # 200, as a form shown again: a 401 would need a WWW-Authenticate scheme (RFC 9110).
        return _login_form(username, target, "用户名或密码不正确，或账号已停用。")
    staff_session.sign_in(account)
    return redirect(target)


@blp.post("/logout")
def logout() -> BaseResponse:
    staff_session.sign_out()
    return redirect(url_for("workstation.login"))


@blp.before_request
def _protect_forms() -> None:
    """Every form posted to these pages carries the session's CSRF token."""
    current_app.extensions["csrf"].protect()


@blp.after_request
def _page_headers(response: Response) -> Response:
    # Flask-WTF checks the Referer of HTTPS form posts; the app's default no-referrer policy
    # would strip it, so these pages send it to their own origin (never elsewhere).
    response.headers["Referrer-Policy"] = "same-origin"
    # No script at all on these pages, styles only from the app's own file (unless a page
    # says otherwise: the audit report).
    response.headers.setdefault("Content-Security-Policy", _CSP)
    if request.endpoint != "workstation.static":  # pages hold personal data; the CSS does not
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@blp.errorhandler(CSRFError)
def _csrf_failed(error: CSRFError) -> tuple[str, int]:
    return render_template(
        "workstation/error.html", message="表单已过期或来源无效，请返回重新提交。"
    ), 400


@blp.errorhandler(DomainError)
def _domain_error(error: DomainError) -> tuple[str, int]:
    """A forged ``cursor`` (422) and the like, as a page rather than problem+json."""
    return render_template("workstation/error.html", message=error.detail), error.status


def _login_form(username: str, target: str, message: str) -> str:
    return render_template("workstation/login.html", next=target, username=username, error=message)


def _safe_next(value: str | None) -> str:
    """Only a path of these pages: never an open redirect to another site, and only printable
    ASCII without spaces, so a line break cannot reach the Location header (werkzeug refuses
    it there, which would be a 500)."""
    if (
        value
        and value.startswith("/workstation/")
        and value.isascii()
        and value.isprintable()
        and " " not in value
        and "//" not in value
        and "\\" not in value
    ):
        return value
    return url_for("workstation.overview")
