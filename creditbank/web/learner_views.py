"""The learner portal's door (``/learner/``): sign in with the account number or the national
ID and the password, choose a password of one's own at the first sign-in, the home page, sign
out. The pages behind it (balance, outcomes, deposits, applications, documents) are modules of
their own on this blueprint."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from creditbank.domain.errors import InvalidCredentials
from creditbank.services import learner_portal, learners
from creditbank.web import learner_session
from creditbank.web import session as throttle
from creditbank.web.guards import learner_principal, learner_required
from creditbank.web.pages import page_blueprint, safe_next

blp = page_blueprint("learner", "/learner")
THROTTLE = "learner-login"
MIN_PASSWORD = 8
PAGE_ROWS = 20


@blp.get("/")
@learner_required
def home() -> str:
    """The account, its balance by category (a chart and a table), its outcomes, newest first."""
    view = learners.get_learner(g.learner.learner_id)
    principal, learner_id = learner_principal(), g.learner.learner_id
    balance = learner_portal.overview(principal, learner_id)
    cursor = request.args.get("cursor")
    page, files = learner_portal.my_outcomes(principal, learner_id, cursor, PAGE_ROWS)
    return render_template(
        "learner/home.html", learner=view, balance=balance, page=page, files=files
    )


@blp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    target = safe_next(request.values.get("next"), "/learner/", url_for("learner.home"))
    if request.method == "GET":
        if learner_session.signed_in_learner() is not None:
            return redirect(target)
        return render_template("learner/login.html", next=target)
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    if throttle.login_throttled(username, THROTTLE):
        page = _login_form(username, target, "登录失败次数过多，请稍后再试。")
        return page, 429, {"Retry-After": "60"}
    try:
        identity = learners.portal_login(username, password) if username and password else None
    except InvalidCredentials:
        identity = None
    if identity is None:
        throttle.count_failed_login(username, THROTTLE)
        return _login_form(username, target, "账号或密码不正确。")
    learner_session.sign_in(identity)
    return redirect(target)


@blp.route("/password", methods=["GET", "POST"])
@learner_required
def password() -> Any:
    """Change the password; the first sign-in after the workstation set one lands here."""
    first = g.learner.must_change_password
    if request.method == "GET":
        return render_template("learner/password.html", first=first)
    old, new = request.form.get("old_password", ""), request.form.get("new_password", "")
    errors = _password_errors(new, request.form.get("confirm_password", ""))
    if not errors:
        try:
            learners.change_password(learner_principal(), g.learner.learner_id, new, old)
        except InvalidCredentials:
            throttle.count_failed_login(g.learner.learner_id, THROTTLE)
            errors = {"old_password": "原密码不正确。"}
    if errors:
        return render_template("learner/password.html", first=first, errors=errors), 422
    learner_session.renew(g.learner.learner_id)
    return redirect(url_for("learner.home", changed=1))


@blp.post("/logout")
def logout() -> BaseResponse:
    learner_session.sign_out()
    return redirect(url_for("learner.login"))


def _password_errors(new: str, confirm: str) -> dict[str, str]:
    if len(new) < MIN_PASSWORD:
        return {"new_password": f"新密码至少 {MIN_PASSWORD} 位。"}
    if new != confirm:
        return {"confirm_password": "两次输入的新密码不一致。"}
    return {}


def _login_form(username: str, target: str, message: str) -> str:
    return render_template("learner/login.html", next=target, username=username, error=message)
