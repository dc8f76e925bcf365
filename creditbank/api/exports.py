"""Exports for the workstation and auditors: the national conversion record (CSV) and the
balances of every learner (XLSX), streamed as they are read."""

from __future__ import annotations

from typing import Any

from flask import Response, send_file, stream_with_context

from creditbank.api import Blueprint
from creditbank.api.access import allow, current_principal
from creditbank.documents.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, csv_line, xlsx_file
from creditbank.domain.roles import STAFF
from creditbank.services import exports
from creditbank.services.transaction import utcnow

blp = Blueprint("exports", __name__, description="Exports for the workstation and auditors")


@blp.route("/exports/conversions.csv", methods=["GET"])
@allow(*STAFF)
@blp.response(200, description="CSV (UTF-8 with a BOM, as Excel needs), one row per outcome")
def conversion_record() -> Any:
    """The conversion record: every converted outcome with the credits it earned."""
    principal = current_principal()
    rows = exports.conversion_records(principal)

    def lines() -> Any:
        yield "\ufeff" + csv_line(exports.CONVERSION_HEADER)
        for row in rows:
            yield csv_line(row)

    response = Response(stream_with_context(lines()), mimetype=CSV_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="conversions-{_stamp()}.csv"'
    return response


@blp.route("/exports/balances.xlsx", methods=["GET"])
@allow(*STAFF)
@blp.response(200, description="XLSX: one row per learner, one column per category")
def balances() -> Any:
    """Every learner's balance, in total and per category."""
    categories = exports.balance_categories()
    workbook = xlsx_file(
        "学分余额",
        exports.balance_header(categories),
        exports.balance_rows(current_principal(), categories),
    )
    return send_file(
        workbook,
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"balances-{_stamp()}.xlsx",
    )


def _stamp() -> str:
    return utcnow().strftime("%Y%m%dT%H%MZ")
