"""The console's 代传成果 (a provider's sheet uploaded on its behalf) and 上传记录 pages:
choose the provider and the file → a dry-run preview (bad rows, what the good rows would earn)
→ confirm → a progress page that refreshes itself until the upload is done → its result.

Auditors see every page; the forms are for the workstation (``writer_required``)."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response as BaseResponse

from creditbank.documents.spreadsheets import XLSX_MIMETYPE
from creditbank.domain.errors import ValidationFailed
from creditbank.intake.outcome_template import build_template
from creditbank.labels import SHEET_KIND_NAMES
from creditbank.services import sheet_uploads
from creditbank.services.background import in_background
from creditbank.services.rulesets import ruleset_in_force_now
from creditbank.services.upload_runs import end_if_stale
from creditbank.web.field_errors import field_errors
from creditbank.web.guards import login_required, writer_required
from creditbank.web.pages import progress_page
from creditbank.web.views import PAGE_ROWS, blp


@blp.get("/uploads/new")
@login_required
def upload_form() -> str:
    return _form({}, None)


@blp.post("/uploads/new")
@writer_required
def upload_preview() -> Any:
    """The dry run: nothing is posted; the file is staged and the upload recorded as previewed."""
    provider_id = request.form.get("provider_id", "")
    upload = request.files.get("file")
    name = upload.filename if upload is not None else ""
    data = upload.read() if upload is not None else b""
    try:
        preview = sheet_uploads.preview_upload(_staff(), provider_id, name or "", data)
    except ValidationFailed as exc:
        return _form(field_errors(exc), provider_id), 422
    if preview.can_confirm:
        flash(f"预览完成：{preview.good_rows} 行可以登记，{preview.bad_rows} 行有错误。", "success")
    else:
        flash("预览完成：此文件不能登记，请按下列错误修改后重新上传。", "error")
    return render_template("workstation/upload_preview.html", preview=preview, errors={})


@blp.post("/uploads/<upload_id>/confirm")
@writer_required
def upload_confirm(upload_id: str) -> Any:
    staged = request.form.get("staged", "")
    try:
        upload = sheet_uploads.confirm_upload(_staff(), upload_id, staged, in_background)
    except ValidationFailed as exc:
        view = sheet_uploads.upload_view(upload_id)
        page = render_template(
            "workstation/upload.html", row=view, errors=field_errors(exc), staged=staged, auto=False
        )
        return page, 422
    flash(f"已开始登记“{upload.file_name}”，请等待处理完成。", "success")
    return redirect(url_for("workstation.upload_detail", upload_id=upload_id))


@blp.get("/uploads/<upload_id>")
@login_required
def upload_detail(upload_id: str) -> Any:
    """The upload's progress or its result. While it runs the page reloads itself every 2
    seconds (the ``Refresh`` header: no script) unless the reader turned that off (``auto=0``,
    WCAG 2.2.1: a page must not move on by itself without a way to stop it)."""
    view = sheet_uploads.upload_view(upload_id)
    end_if_stale(view.upload)
    auto = request.args.get("auto") != "0"
    page = render_template("workstation/upload.html", row=view, errors={}, staged=None, auto=auto)
    return progress_page(page, view.upload.status == "running" and auto)


@blp.get("/uploads")
@login_required
def uploads() -> str:
    page = sheet_uploads.list_uploads(request.args.get("cursor"), PAGE_ROWS)
    return render_template("workstation/uploads.html", page=page)


@blp.get("/uploads/template.xlsx")
@login_required
def upload_template() -> BaseResponse:
    """The same template as ``GET /outcomes/template.xlsx``, for one kind of outcome."""
    kind = request.args.get("kind", "")
    if kind not in SHEET_KIND_NAMES:
        return redirect(url_for("workstation.upload_form"))
    return send_file(
        build_template(kind, ruleset_in_force_now()),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"outcomes-{kind}.xlsx",
    )


def _form(errors: dict[str, list[str]], provider_id: str | None) -> str:
    return render_template(
        "workstation/upload_new.html",
        providers=sheet_uploads.provider_choices(),
        kinds=SHEET_KIND_NAMES,
        errors=errors,
        provider_id=provider_id,
    )


def _staff() -> str:
    return str(g.staff.username)
