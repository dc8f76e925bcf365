"""Exports: the bank's own conversion record (CSV for machines, XLSX for people) and the
balances of every learner (XLSX), for the workstation and auditors; the national conversion
record (学分转换记录上报) of college courses, for them and the colleges. Streamed as read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response, send_file, stream_with_context
from marshmallow import fields, validate

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
from creditbank.domain.roles import STAFF, Role
from creditbank.intake.fields import StrictSchema
from creditbank.services import course_conversions, exports
from creditbank.services.transaction import utcnow

blp = Blueprint("exports", __name__, description="Exports for the workstation and auditors")
_NATIONAL_READERS = (*STAFF, Role.COLLEGE)
_MONTH = [
    validate.Length(equal=6, error="A month as YYYYMM."),
    validate.Regexp(course_conversions.MONTH.pattern, error="A month as YYYYMM."),
]


class CourseConversionQuery(StrictSchema):
    from_ = fields.String(
        data_key="from",
        load_default=None,
        validate=_MONTH,
        metadata={"description": "the first month (YYYYMM, Shanghai) of conversions to export"},
    )
    to = fields.String(
        load_default=None,
        validate=_MONTH,
        metadata={"description": "the last month (YYYYMM, Shanghai), inclusive"},
    )
    college_id = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "one college's rows (a college: implied; another's is 403)"},
    )


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


@blp.route("/exports/course-conversions.csv", methods=["GET"])
@allow(*_NATIONAL_READERS)
@blp.arguments(CourseConversionQuery, location="query")
@blp.response(
    200,
    TEXT,
    content_type=CSV_MIMETYPE,
    description="CSV (UTF-8 with a BOM, CRLF): the national template's 19 columns, one row "
    "per source of each recognised course",
)
def course_conversion_record(query: dict[str, Any]) -> Any:
    """The national conversion record (学分转换记录上报) as CSV: national IDs whole for the
    workstation, masked for auditors and colleges (a college gets its own rows only)."""
    scope = course_conversions.export_scope(current_principal(), _months(query))
    rows = course_conversions.course_conversion_rows(scope)

    def lines() -> Any:
        yield "\ufeff" + csv_line(course_conversions.HEADER)
        for row in rows:
            yield csv_line(row)

    response = Response(stream_with_context(lines()), mimetype=CSV_MIMETYPE)
    name = f"course-conversions-{_stamp()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@blp.route("/exports/course-conversions.xlsx", methods=["GET"])
@allow(*_NATIONAL_READERS)
@blp.arguments(CourseConversionQuery, location="query")
@blp.response(
    200,
    BINARY,
    content_type=XLSX_MIMETYPE,
    description="XLSX (sheet 学分转换记录): text cells but the three amounts",
)
def course_conversion_sheet(query: dict[str, Any]) -> Any:
    """The national conversion record as XLSX: every cell text (`@`) but the amounts."""
    scope = course_conversions.export_scope(current_principal(), _months(query))
    rows = course_conversions.course_conversion_rows(scope)
    return _xlsx(
        course_conversions.SHEET_TITLE, course_conversions.COLUMNS, rows, "course-conversions"
    )


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


def _months(query: dict[str, Any]) -> dict[str, Any]:
    return {"from": query["from_"], "to": query["to"], "college_id": query["college_id"]}


def _stamp() -> str:
    return utcnow().strftime("%Y%m%dT%H%MZ")
