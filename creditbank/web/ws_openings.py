"""Opening accounts (开户) at the workstation: one learner by a form, or many from a sheet
(集体开户: upload, preview every row, confirm, hand out the list of initial passwords).

The sheet is staged at the preview (services/staged_files.py): the confirming form carries only
its name, so what is opened is byte for byte what was previewed. Initial passwords are shown
once, on the answer to the confirming POST; the download of that list is made from what the
page holds (posted back), as the bank keeps no password in clear."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, render_template, request

from creditbank.documents.spreadsheets import (
    CSV_MIMETYPE,
    XLSX_MIMETYPE,
    Column,
    csv_line,
    xlsx_file,
)
from creditbank.domain.errors import Conflict, PayloadTooLarge, ValidationFailed
from creditbank.labels import OPENING_PROBLEM_TEXT
from creditbank.services import openings, staged_files
from creditbank.web.guards import staff_principal, writer_required
from creditbank.web.pages import error_page
from creditbank.web.views import blp

MAX_NAME = 100
_LIST_COLUMNS = (
    Column("行号", 6),
    Column("姓名", 14, text=True),
    Column("学习账号", 18, text=True),
    Column("初始密码", 14, text=True),
)


@blp.route("/learners/open", methods=["GET", "POST"])
@writer_required
def open_account() -> Any:
    if request.method == "GET":
        return render_template("workstation/open_learner.html", form={})
    form = {key: request.form.get(key, "").strip() for key in ("name", "national_id", "phone")}
    errors = {}
    if not form["name"]:
        errors["name"] = "请填写姓名。"
    elif len(form["name"]) > MAX_NAME:
        errors["name"] = f"姓名不能超过 {MAX_NAME} 个字。"
    if not form["national_id"]:
        errors["national_id"] = "请填写身份证号。"
    if not errors:
        try:
            opened = openings.open_at_desk(
                staff_principal(), form["name"], form["national_id"], form["phone"]
            )
        except ValidationFailed as exc:
            errors = _opening_errors(exc)
        except Conflict:
            errors = {"national_id": "此身份证号已开户，不能重复开户。"}
    if errors:
        return render_template("workstation/open_learner.html", form=form, errors=errors), 422
    flash(f"已为{opened.learner.name}开户。", "success")
    return render_template("workstation/opened.html", opened=opened)


@blp.get("/learners/collective")
@writer_required
def collective() -> str:
    return render_template("workstation/collective.html", limits=_limits())


@blp.post("/learners/collective/preview")
@writer_required
def collective_preview() -> Any:
    upload = request.files.get("file")
    data = upload.read(openings.MAX_SHEET_BYTES + 1) if upload else b""
    try:
        if not data:
            raise ValidationFailed(errors={"file": ["请选择要上传的 XLSX 或 CSV 文件。"]})
        check = openings.check_sheet(data)
    except ValidationFailed as exc:
        return _upload_again(exc)
    staged = staged_files.stage(data)
    filename = upload.filename if upload else ""
    return render_template(
        "workstation/collective_preview.html", check=check, staged=staged, filename=filename
    )


@blp.post("/learners/collective/confirm")
@writer_required
def collective_confirm() -> Any:
    staged = request.form.get("staged", "")
    try:
        data = staged_files.load(staged, "file")
        result = openings.open_sheet(staff_principal(), data, staged[:16])
    except ValidationFailed as exc:
        return _upload_again(exc)
    skipped = len(result.check.lines) - len(result.opened)
    flash(f"集体开户完成：新开户 {len(result.opened)} 人，未开户 {skipped} 行。", "success")
    return render_template("workstation/collective_result.html", result=result)


@blp.post("/learners/collective/list")
@writer_required
def collective_list() -> Any:
    """The opened learners' list as a file, made of what the result page posted back."""
    columns = ("row", "name", "account_number", "password")
    values = [request.form.getlist(column) for column in columns]
    count = len(values[0])
    if (
        not count
        or count > openings.MAX_SHEET_ROWS
        or any(len(column) != count for column in values)
        or any(len(value) > MAX_NAME for column in values for value in column)
    ):
        return error_page("名单内容不完整，请在集体开户结果页重新下载。", 422)
    rows = [list(row) for row in zip(*values, strict=True)]
    if request.form.get("format") == "xlsx":
        body: Any = xlsx_file("开户名单", _LIST_COLUMNS, rows)
        response = Response(body, mimetype=XLSX_MIMETYPE)
        extension = "xlsx"
    else:
        lines = [[column.title for column in _LIST_COLUMNS], *rows]
        text = "\ufeff" + "".join(csv_line(line) for line in lines)  # the BOM: Excel reads UTF-8
        response = Response(text.encode("utf-8"), mimetype=CSV_MIMETYPE)
        extension = "csv"
    response.headers["Content-Disposition"] = f'attachment; filename="opened.{extension}"'
    return response


def _too_large(error: PayloadTooLarge) -> tuple[str, int]:
    """A body over the server's limit is refused before any page reads it: said in Chinese."""
    limit = openings.MAX_SHEET_BYTES // 1024 // 1024
    return error_page(f"上传的文件过大：名单文件不能超过 {limit} MB，请拆分后分批上传。", 413)


blp.register_error_handler(PayloadTooLarge, _too_large)


def _upload_again(exc: ValidationFailed) -> tuple[str, int]:
    message = (exc.errors or {}).get("file", [exc.detail])[0]
    if message.startswith("The preview has expired"):
        message = "预览已过期，请重新上传文件。"
    elif not any("\u4e00" <= char <= "\u9fff" for char in message):
        message = "无法读取此文件，请重新上传。"
    page = render_template(
        "workstation/collective.html", limits=_limits(), errors={"file": message}
    )
    return page, 422


def _opening_errors(exc: ValidationFailed) -> dict[str, str]:
    errors = exc.errors or {}
    found = {}
    if "national_id" in errors:
        found["national_id"] = openings.national_id_problem(" ".join(errors["national_id"]))
    if "phone" in errors:
        found["phone"] = OPENING_PROBLEM_TEXT["phone_invalid"]
    return found or {"name": "无法开户，请核对填写的内容。"}


def _limits() -> dict[str, int]:
    return {
        "megabytes": openings.MAX_SHEET_BYTES // 1024 // 1024,
        "rows": openings.MAX_SHEET_ROWS,
    }
