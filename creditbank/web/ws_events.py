"""The audit-event log on the workstation's pages: who did what to whom and when, newest first,
keyset-paged, filtered by kind of event and by local dates (a GET form: the filters stay in the
URL, so a filtered page can be bookmarked or printed)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, request

from creditbank.events import EventTag
from creditbank.labels import EVENT_TAG_NAMES
from creditbank.services.event_log import events_page
from creditbank.web.guards import login_required
from creditbank.web.views import PAGE_ROWS, blp

DATE_ERROR = "请按 年-月-日 填写日期，例如 2026-03-01。"


@blp.get("/events")
@login_required
def events() -> Any:
    filters = {name: request.args.get(name, "").strip() for name in ("tag", "since", "until")}
    errors: dict[str, str] = {}
    if filters["tag"] and filters["tag"] not in EVENT_TAG_NAMES:
        errors["tag"] = "请从列表中选择操作类型。"
    days = {name: _day(filters[name], name, errors) for name in ("since", "until")}
    if not errors and days["since"] and days["until"] and days["since"] > days["until"]:
        errors["until"] = "结束日期不能早于开始日期。"
    tags = {tag.value: EVENT_TAG_NAMES.get(tag.value, tag.value) for tag in EventTag}
    if errors:
        page = None
    else:
        page = events_page(
            request.args.get("cursor"),
            PAGE_ROWS,
            tag=filters["tag"] or None,
            since=days["since"],
            until=days["until"],
        )
    html = render_template(
        "workstation/events.html", page=page, filters=filters, errors=errors, tags=tags
    )
    return (html, 422) if errors else html


def _day(text: str, name: str, errors: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = DATE_ERROR
        return None
