"""Exports for the workstation and auditors: the bank's conversion record (CSV for machines,
XLSX for people) and the balances of every learner (XLSX), streamed as they are read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response, send_file, stream_with_context

from creditbank.api import Blueprint
from creditbank.api.access import allow, current_principal
from creditbank.api.docs import BINARY, TEXT
from creditbank.documents.spreadsheets import (
    CSV_MIMETYPE,
    XLSX_MIMETYPE,
    Column,
    csv_line,
    xlsx_file,
)
from creditbank.domain.roles import STAFF
from creditbank.services import exports
from creditbank.services.transaction import utcnow

blp = Blueprint("exports", __name__, description="Exports for the workstation and auditors")


@blp.route("/exports/conversions.csv", methods=["GET"])
@allow(*STAFF)
@blp.response(
    200,
    TEXT,
    content_type=CSV_MIMETYPE,
    description="CSV (UTF-8 with a BOM, as Excel needs), one row per outcome",
)
def conversion_record() -> Any:
    """The conversion record as CSV: every converted outcome with the credits it earned."""
    principal = current_principal()
    rows = exports.conversion_records(principal)

    def lines() -> Any:
        yield "\ufeff" + csv_line(exports.CONVERSION_HEADER)
        for row in rows:
            yield csv_line(row)

    response = Response(stream_with_context(lines()), mimetype=CSV_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="conversions-{_stamp()}.csv"'
    return response


@blp.route("/exports/conversions.xlsx", methods=["GET"])
@allow(*STAFF)
@blp.response(
    200,
    BINARY,
    content_type=XLSX_MIMETYPE,
    description="XLSX: one row per outcome; IDs and codes are text cells",
)
def conversion_sheet() -> Any:
    """The conversion record as XLSX, for people: Excel keeps every digit of an ID."""
    rows = exports.conversion_records(current_principal())
    return _xlsx("学分转换记录", exports.CONVERSION_COLUMNS, rows, "conversions")


@blp.route("/exports/balances.xlsx", methods=["GET"])
@allow(*STAFF)
@blp.response(
    200,
    BINARY,
    content_type=XLSX_MIMETYPE,
    description="XLSX: one row per learner, one column per category",
)
def balances() -> Any:
    """Every learner's balance, in total and per category."""
    categories = exports.balance_categories()
    rows = exports.balance_rows(current_principal(), categories)
    return _xlsx("学分余额", exports.balance_columns(categories), rows, "balances")


def _xlsx(title: str, columns: Sequence[Column], rows: Iterable[list[Any]], name: str) -> Any:
    return send_file(
        xlsx_file(title, columns, rows),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"{name}-{_stamp()}.xlsx",
    )


def _stamp() -> str:
    return utcnow().strftime("%Y%m%dT%H%MZ")
