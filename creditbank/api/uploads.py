"""Spreadsheet uploads of outcomes (CSV or XLSX) and their templates, for training providers.

``import_sheet`` is the one code path: ``POST /outcomes/upload`` and ``creditbank import`` both
call it, so a file behaves the same whichever way it comes in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any, Protocol

from flask import request, send_file
from marshmallow import fields, validate

from creditbank.api import Blueprint
from creditbank.api.outcome_sheets import KIND_NAMES, ParsedSheet, RowError, keyed, parse_sheet
from creditbank.api.outcome_template import build_template
from creditbank.api.schemas import StrictSchema
from creditbank.auth import allow, current_principal
from creditbank.domain.roles import STAFF, Principal, Role
from creditbank.errors import DomainError, ValidationFailed
from creditbank.services import outcomes
from creditbank.spreadsheets import XLSX_MIMETYPE, SheetError, read_sheet

blp = Blueprint("uploads", __name__, description="Outcomes from spreadsheets (CSV, XLSX)")

# Ten thousand rows must go through (issue 7); twice that still fits one request's time.
MAX_SHEET_ROWS = 20_000


class ImportProgress(Protocol):
    def begin(self, total: int) -> None: ...

    def advance(self, count: int) -> None: ...


class UploadQuery(StrictSchema):
    dry_run = fields.Boolean(load_default=False)


class TemplateQuery(StrictSchema):
    kind = fields.String(
        required=True, validate=validate.OneOf([*KIND_NAMES, *KIND_NAMES.values()])
    )


@blp.route("/outcomes/upload", methods=["POST"])
@allow(Role.PROVIDER)
@blp.arguments(UploadQuery, location="query")
@blp.doc(
    requestBody={
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
)
@blp.response(201, description="Posted: one line per row (200 when every row was a replay)")
@blp.alt_response(200, description="A dry run's report, or a file of replays only")
def upload_outcomes(query: dict[str, Any]) -> Any:
    """Post outcomes from a CSV or XLSX file (Chinese or English headers), all or nothing."""
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed(
            errors={"file": ["Send the spreadsheet as the multipart field file."]}
        )
    report = import_sheet(current_principal(), upload.stream, dry_run=query["dry_run"])
    status = 200 if query["dry_run"] or report["posted"] == 0 else 201
    return report, status


@blp.route("/outcomes/template.xlsx", methods=["GET"])
@allow(Role.PROVIDER, *STAFF)
@blp.arguments(TemplateQuery, location="query")
@blp.response(200, description="An XLSX template: headers, a note row, an example row")
def outcome_template(query: dict[str, Any]) -> Any:
    """Download an upload template for one outcome kind (``kind`` in English or Chinese)."""
    kind = {zh: en for en, zh in KIND_NAMES.items()}.get(query["kind"], query["kind"])
    return send_file(
        build_template(kind),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"outcomes-{kind}.xlsx",
    )


def import_sheet(
    principal: Principal,
    stream: IO[bytes],
    *,
    dry_run: bool,
    progress: ImportProgress | None = None,
) -> dict[str, Any]:
    """Read, validate and post (or, in a dry run, only check) every row of a spreadsheet."""
    try:
        header, rows = read_sheet(stream, MAX_SHEET_ROWS)
        parsed = parse_sheet(header, rows)
    except SheetError as exc:
        raise ValidationFailed(str(exc), errors={"file": [str(exc)]}) from None
    if dry_run:
        return _dry_run(principal, parsed)
    if parsed.errors:
        count = len({error.row for error in parsed.errors})
        raise ValidationFailed(f"{count} row(s) are not valid", errors=keyed(parsed.errors))
    if not parsed.items:
        raise ValidationFailed("The file has no rows", errors={"file": ["No rows to post."]})
    if progress:
        progress.begin(len(parsed.items))
    advance: Callable[[int], None] | None = progress.advance if progress else None
    try:
        results = outcomes.record_outcomes(principal, parsed.items, batch=True, progress=advance)
    except DomainError as exc:
        if exc.errors:  # keyed items.<i>.<field>: say which row and column instead
            exc.errors = keyed(parsed.row_errors(exc.errors))
        raise
    replayed = sum(1 for result in results if result.replayed)
    return {
        "dry_run": False,
        "rows": parsed.rows,
        "posted": len(results) - replayed,
        "replayed": replayed,
        "items": [
            _line(row, result) for row, result in zip(parsed.row_numbers, results, strict=True)
        ],
    }


def _dry_run(principal: Principal, parsed: ParsedSheet) -> dict[str, Any]:
    errors = list(parsed.errors)
    posted = replayed = 0
    if parsed.items:
        check = outcomes.check_outcomes(principal, parsed.items, batch=True)
        errors.extend(parsed.row_errors(check.errors))
        posted, replayed = check.fresh, check.replays
    if not parsed.rows:
        errors.append(RowError(1, "", "No rows below the header."))
    errors.sort(key=lambda error: error.row)
    return {
        "dry_run": True,
        "rows": parsed.rows,
        "valid": not errors,
        "would_post": posted,
        "would_replay": replayed,
        "errors": [error.as_json() for error in errors],
    }


def _line(row: int, result: outcomes.Posted) -> dict[str, Any]:
    outcome = result.outcome
    return {
        "row": row,
        "external_ref": outcome["external_ref"],
        "outcome_id": outcome["id"],
        "learner_id": outcome["learner_id"],
        "status": outcome["status"],
        "reason": outcome["reason"],
        "credits": outcome["credits"],
        "replayed": result.replayed,
    }
