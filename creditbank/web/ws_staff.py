"""Staff accounts on the workstation's pages: the list, a new account (username, role, for a
college's staff the college, a password the clerk sets and types twice) and disabling one
behind a confirmation page. Only the workstation changes anything; auditors read."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from creditbank.domain.errors import ValidationFailed
from creditbank.services import provider_accounts
from creditbank.services.staff import MAX_PASSWORD, MIN_PASSWORD
from creditbank.web.guards import login_required, staff_principal, writer_required
from creditbank.web.views import PAGE_ROWS, blp
from creditbank.web.ws_admin import field_messages

ROLES = ("workstation", "auditor", "college")
MESSAGES = {
    "username": "用户名为 1–32 位英文字母、数字、“.”“_”或“-”，以字母或数字开头。",
    "username:taken": "已有这个用户名的账号，请换一个。",
    "role": "请选择角色。",
    "college_id": "院校工作人员须选择所属院校。",
    "password": f"密码长度为 {MIN_PASSWORD}–{MAX_PASSWORD} 个字符。",
    "confirm_password": "两次输入的密码不一致。",
}


@blp.get("/staff")
@login_required
def staff() -> str:
    return _staff_page({}, {})


@blp.post("/staff")
@writer_required
def create_staff() -> Any:
    form = {name: request.form.get(name, "").strip() for name in ("username", "role", "college_id")}
    password = request.form.get("password", "")
    if password != request.form.get("confirm_password", ""):
        return _staff_page({"confirm_password": MESSAGES["confirm_password"]}, form), 422
    try:
        account = provider_accounts.create_staff(
            staff_principal(), form["username"], form["role"], password, form["college_id"] or None
        )
    except ValidationFailed as error:
        return _staff_page(field_messages(error, MESSAGES), form), 422
    flash(f"已新建工作人员账号“{account.username}”。", "success")
    return redirect(url_for("workstation.staff"))


@blp.route("/staff/<username>/disable", methods=["GET", "POST"])
@writer_required
def disable_staff(username: str) -> Any:
    account = provider_accounts.get_staff(username)
    if account.username == g.staff.username:
        flash("不能停用自己正在使用的账号。", "error")
        return redirect(url_for("workstation.staff"))
    if request.method == "GET":
        return render_template("workstation/staff_confirm.html", account=account)
    provider_accounts.disable_staff(staff_principal(), username)
    flash(f"已停用工作人员账号“{username}”，它的登录立即失效。", "success")
    return redirect(url_for("workstation.staff"))


def _staff_page(errors: dict[str, str], form: dict[str, str]) -> str:
    page = provider_accounts.staff_accounts(request.args.get("cursor"), PAGE_ROWS)
    colleges = provider_accounts.college_names()
    named = provider_accounts.college_names({a.college_id for a in page.items if a.college_id})
    return render_template(
        "workstation/staff.html",
        page=page,
        errors=errors,
        form=form,
        roles=ROLES,
        colleges=colleges,
        college_of=named,
        writer=g.staff.role == "workstation",
        min_password=MIN_PASSWORD,
    )
