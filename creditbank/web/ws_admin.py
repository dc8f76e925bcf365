"""Providers and their API clients on the workstation's pages: the list, a new provider with its
first client, disabling a client and rotating its secret (each behind a confirmation page).

A client's secret is shown once, in the answer to the form that made it: never in a URL, never
stored, never shown again (pages are ``no-store``). Only the workstation changes anything;
auditors see the lists without the forms, and a form posted anyway is a 403."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from creditbank.domain.errors import ValidationFailed
from creditbank.services import provider_accounts
from creditbank.services.clients import Credentials
from creditbank.web.guards import login_required, staff_principal, writer_required
from creditbank.web.views import PAGE_ROWS, blp

MESSAGES = {
    "code": "机构代码为 1–32 位英文字母、数字、“_”或“-”。",
    "code:taken": "已有机构使用这个代码，请换一个。",
    "name": "请填写机构名称（不超过 200 字）。",
}


@blp.get("/providers")
@login_required
def providers() -> str:
    return _providers_page({}, {})


@blp.post("/providers")
@writer_required
def create_provider() -> Any:
    form = {name: request.form.get(name, "").strip() for name in ("code", "name")}
    try:
        provider, credentials = provider_accounts.create_provider(
            staff_principal(), form["code"], form["name"]
        )
    except ValidationFailed as error:
        return _providers_page(field_messages(error, MESSAGES), form), 422
    flash(f"已新建培训机构“{provider.name}”及其接入账号。", "success")
    return _secret_page(credentials, provider.name, created=True)


@blp.route("/clients/<client_id>/disable", methods=["GET", "POST"])
@writer_required
def disable_client(client_id: str) -> Any:
    client = provider_accounts.get_client(client_id)
    owner = provider_accounts.client_owner_name(client)
    if request.method == "GET":
        return render_template(
            "workstation/client_confirm.html", client=client, owner=owner, action="disable"
        )
    provider_accounts.disable_client(staff_principal(), client_id)
    flash(f"已停用“{owner}”的接入账号，它的令牌立即失效。", "success")
    return redirect(url_for("workstation.providers"))


@blp.route("/clients/<client_id>/rotate", methods=["GET", "POST"])
@writer_required
def rotate_client(client_id: str) -> Any:
    client = provider_accounts.get_client(client_id)
    owner = provider_accounts.client_owner_name(client)
    if request.method == "GET":
        return render_template(
            "workstation/client_confirm.html", client=client, owner=owner, action="rotate"
        )
    credentials = provider_accounts.rotate_secret(staff_principal(), client_id)
    flash(f"已为“{owner}”更换接入密钥，旧密钥及其令牌立即失效。", "success")
    return _secret_page(credentials, owner, created=False)


def field_messages(error: ValidationFailed, messages: dict[str, str]) -> dict[str, str]:
    """A service's field errors as the sentences shown beside the fields (``field:reason``
    first, then the field's general sentence)."""
    shown: dict[str, str] = {}
    for name, reasons in (error.errors or {}).items():
        specific = [
            messages[f"{name}:{reason}"] for reason in reasons if f"{name}:{reason}" in messages
        ]
        shown[name] = specific[0] if specific else messages.get(name, "请检查这一项。")
    return shown


def _providers_page(errors: dict[str, str], form: dict[str, str]) -> str:
    page = provider_accounts.providers_with_clients(request.args.get("cursor"), PAGE_ROWS)
    writer = g.staff.role == "workstation"
    return render_template(
        "workstation/providers.html", page=page, errors=errors, form=form, writer=writer
    )


def _secret_page(credentials: Credentials, owner: str, *, created: bool) -> str:
    return render_template(
        "workstation/client_secret.html", credentials=credentials, owner=owner, created=created
    )
