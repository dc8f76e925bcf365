"""The college's catalogue and record pages: publish a programme's catalogue from a sheet
(upload → preview of the courses → confirm, the file staged between the two), download the
catalogue in force as the sheet an upload reads, and export the college's own national
conversion record (XLSX, masked national IDs) for a month range."""

from __future__ import annotations

import io
from typing import Any

from flask import flash, redirect, render_template, request, send_file, url_for

from creditbank.documents.catalogue_sheets import catalogue_workbook
from creditbank.documents.spreadsheets import XLSX_MIMETYPE
from creditbank.domain.errors import DomainError, NotFound, ValidationFailed
from creditbank.intake.catalogue_rows import FORM_FIELDS
from creditbank.services import catalogue_uploads, catalogues, programmes, staged_files
from creditbank.web.college_views import blp, college_required
from creditbank.web.conversion_forms import month_errors, national_record
from creditbank.web.guards import staff_principal

PROGRAMME_ROWS = 200
FIELD_TEXT = {
    "file": "请上传 XLSX 或 CSV 格式的目录表。",
    "name": "请填写目录名称（1–200 字）。",
    "effective_from": "请填写生效日期，例如 2026-09-01。",
    "total_credits": "请填写专业总学分，例如 120.0。",
    "share_percent": "请填写 0–100 的整数，留空为 50。",
    "online_share_percent": "请填写 0–100 的整数，留空为 25。",
    "per_source": "请填写学分数，留空为 8.0，填“不限”为不设上限。",
}


@blp.get("/catalogues", endpoint="catalogues")
@college_required
def catalogues_page() -> str:
    return _catalogues_page({}, {})


@blp.post("/catalogues/preview")
@college_required
def catalogue_preview() -> Any:
    """Check the sheet and the fields (a dry run, nothing written) and show what would be
    published; the file is staged for the confirming form."""
    form = _fields()
    programme_id = request.form.get("programme_id", "")
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""
    if not data:
        return _catalogues_page({"file": FIELD_TEXT["file"]}, form), 422
    return _dry_run(programme_id, staged_files.stage(data), form)


@blp.post("/catalogues/publish")
@college_required
def catalogue_publish() -> Any:
    form = _fields()
    programme_id, staged = request.form.get("programme_id", ""), request.form.get("staged", "")
    try:
        data = staged_files.load(staged, "file")
        published = catalogue_uploads.upload_catalogue(
            staff_principal(), programme_id, io.BytesIO(data), form, dry_run=False
        )
    except ValidationFailed:
        return _dry_run(programme_id, staged, form)
    flash(f"已发布“{published['name']}”，第 {published['version']} 版。", "success")
    return redirect(url_for("college.catalogues"))


@blp.get("/programmes/<programme_id>/catalogue.xlsx")
@college_required
def catalogue_sheet(programme_id: str) -> Any:
    document = catalogues.active_catalogue(programme_id)
    return send_file(
        catalogue_workbook(document),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"catalogue-{document['version']}.xlsx",
    )


@blp.get("/records")
@college_required
def records() -> Any:
    """The college's own rows of the national conversion record, for a month range (the
    form's ``download`` asks for the file)."""
    if not request.args.get("download"):
        return render_template("college/records.html", errors={}, form={})
    months, errors = month_errors(request.args)
    if errors:
        return render_template("college/records.html", errors=errors, form=request.args), 422
    return national_record(staff_principal(), months)


def _dry_run(programme_id: str, staged: str, form: dict[str, str]) -> Any:
    try:
        report = catalogue_uploads.upload_catalogue(
            staff_principal(),
            programme_id,
            io.BytesIO(staged_files.load(staged, "file")),
            form,
            dry_run=True,
        )
    except ValidationFailed as error:
        errors = {f: FIELD_TEXT.get(f, "请检查此项。") for f in error.errors or {"file": []}}
        return _catalogues_page(errors, form), 422
    except NotFound:
        return _catalogues_page({"programme_id": "请选择本校的专业。"}, form), 422
    except DomainError as error:
        return _catalogues_page({"programme_id": "请选择本校的专业。"}, form), error.status
    status = 200 if report["valid"] else 422
    page = render_template(
        "college/catalogue_preview.html",
        report=report,
        staged=staged,
        form=form,
        programme_id=programme_id,
        programme=_own_programmes().get(programme_id),
    )
    return page, status


def _catalogues_page(errors: dict[str, str], form: dict[str, str]) -> str:
    return render_template(
        "college/catalogues.html",
        programmes=list(_own_programmes().values()),
        errors=errors,
        form=form,
        chosen=request.form.get("programme_id", ""),
    )


def _own_programmes() -> dict[str, dict[str, Any]]:
    page = programmes.list_programmes(staff_principal().college_id, None, PROGRAMME_ROWS)
    return {programme["id"]: programme for programme in page.items}


def _fields() -> dict[str, str]:
    """The catalogue's fields of the form; empty ones left out (their defaults apply)."""
    return {
        key: request.form[key].strip() for key in FORM_FIELDS if request.form.get(key, "").strip()
    }
