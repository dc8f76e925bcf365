"""The workstation's read-only pages under ``/workstation/``: sign in, a paged list of learners,
recent posts and pending reviews, an audit's printable report, sign out (the dashboard at
``/workstation/`` is :mod:`creditbank.web.ws_dashboard`). The API never takes this session:
it wants bearer tokens."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from creditbank.domain.roles import Role
from creditbank.services import audit_reports, workstation
from creditbank.services.staff import verify_staff_password
from creditbank.web import session as staff_session
from creditbank.web.guards import login_required
from creditbank.web.pages import page_blueprint, safe_next

blp = page_blueprint(
    "workstation", "/workstation", static_folder="static", static_url_path="/static"
)
# The printable audit report is a document of its own (creditbank.documents): its styles are
# inline, and so is its print button's handler.
_REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_ROWS = 50


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
    asked = request.values.get("next")
    target = safe_next(asked, "/college/", _home(None, asked))  # the form carries it on
    if request.method == "GET":
        signed_in = staff_session.signed_in_staff()
        if signed_in is not None:
            return redirect(_home(signed_in.role, asked))
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
    return redirect(_home(account.role, asked))


@blp.post("/logout")
def logout() -> BaseResponse:
    staff_session.sign_out()
    return redirect(url_for("workstation.login"))


def _home(role: str | None, asked: str | None) -> str:
    """Where a sign-in lands: the page asked for among the role's own, else its home (college
    staff on /college/, the workstation and auditors on /workstation/)."""
    if role == Role.COLLEGE.value:
        return safe_next(asked, "/college/", url_for("college.queue"))
    return safe_next(asked, "/workstation/", url_for("workstation.overview"))


def _login_form(username: str, target: str, message: str) -> str:
    return render_template("workstation/login.html", next=target, username=username, error=message)
