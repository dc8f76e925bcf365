"""The console's 规则 pages: the published rulesets, one shown as tables, two compared, and
publishing a new one from a JSON file (a preview of its tables and of what it changes against
the version in force, then a confirmation that publishes exactly the previewed file).

Auditors read everything; publishing is the workstation's (``writer_required``)."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from creditbank.domain.errors import DomainError
from creditbank.events import EventTag
from creditbank.intake.json_documents import parse_json_bytes
from creditbank.services import ruleset_tables, staged_files
from creditbank.services.rulesets import check_ruleset_document, publish_ruleset
from creditbank.web.field_errors import field_errors
from creditbank.web.guards import login_required, writer_required
from creditbank.web.views import PAGE_ROWS, blp

# rulesets.published_by holds an id (40 characters); a username may be longer (up to 64).
PUBLISHER_LENGTH = 40


@blp.get("/rulesets")
@login_required
def rulesets() -> str:
    page = ruleset_tables.ruleset_rows(request.args.get("cursor"), PAGE_ROWS)
    return render_template(
        "workstation/rulesets.html", page=page, versions=ruleset_tables.versions()
    )


@blp.get("/rulesets/<ruleset_id>")
@login_required
def ruleset(ruleset_id: str) -> str:
    return render_template("workstation/ruleset.html", row=ruleset_tables.ruleset_row(ruleset_id))


@blp.get("/rulesets/compare")
@login_required
def ruleset_compare() -> str:
    """What changed from version ``old`` to version ``new`` (ids from the list's selects)."""
    old = ruleset_tables.ruleset_row(request.args.get("old", ""))
    new = ruleset_tables.ruleset_row(request.args.get("new", ""))
    changes = ruleset_tables.compare(old.document, new.document)
    return render_template("workstation/ruleset_compare.html", old=old, new=new, changes=changes)


@blp.get("/rulesets/publish")
@login_required
def ruleset_publish_form() -> str:
    return render_template("workstation/ruleset_publish.html", errors={}, preview=None)


@blp.post("/rulesets/publish")
@writer_required
def ruleset_publish_preview() -> Any:
    """Check the file; show its tables and its changes against the version in force."""
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""
    try:
        if not data:
            return _publish_form({"file": ["请选择要发布的规则 JSON 文件。"]}), 422
        document = check_ruleset_document(parse_json_bytes(data))
    except DomainError as exc:
        return _publish_form(field_errors(exc)), 422
    in_force = ruleset_tables.in_force_row()
    preview = {
        "document": document,
        "staged": staged_files.stage(data),
        "in_force": in_force,
        "changes": ruleset_tables.compare(in_force.document, document) if in_force else [],
        "file_name": upload.filename if upload is not None else "",
    }
    flash("规则文件检查通过，请核对下列内容后确认发布。", "success")
    return render_template("workstation/ruleset_publish.html", errors={}, preview=preview)


@blp.post("/rulesets/publish/confirm")
@writer_required
def ruleset_publish_confirm() -> Any:
    """Publish exactly the previewed file, through the API's use case."""
    try:
        data = staged_files.load(request.form.get("staged", ""), "staged")
        published = publish_ruleset(
            parse_json_bytes(data),
            f"staff:{g.staff.username}"[:PUBLISHER_LENGTH],
            event=EventTag.WEB_RULESET_PUBLISHED,
        )
    except DomainError as exc:
        return _publish_form(field_errors(exc, "staged")), 422
    flash(f"已发布第 {published['version']} 版规则“{published['name']}”。", "success")
    return redirect(url_for("workstation.ruleset", ruleset_id=published["id"]))


def _publish_form(errors: dict[str, list[str]]) -> str:
    flash("规则未发布：请按下列错误修改。", "error")
    return render_template("workstation/ruleset_publish.html", errors=errors, preview=None)
