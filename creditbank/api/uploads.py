"""Spreadsheet uploads of outcomes (CSV or XLSX) and their templates, for training providers."""

from __future__ import annotations

from typing import Any

from flask import request, send_file
from marshmallow import fields, validate

from creditbank.api import Blueprint
from creditbank.api.access import allow, current_principal
from creditbank.api.docs import BINARY, JSON, problem
from creditbank.api.ledger_schemas import DryRunReport, UploadReport
from creditbank.documents.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE
from creditbank.domain.errors import ValidationFailed
from creditbank.domain.roles import STAFF, Role
from creditbank.intake.fields import StrictSchema
from creditbank.intake.outcome_template import build_template
from creditbank.labels import SHEET_KIND_NAMES as KIND_NAMES
from creditbank.services.rulesets import ruleset_in_force_now
from creditbank.services.uploads import import_sheet

blp = Blueprint("uploads", __name__, description="Outcomes from spreadsheets (CSV, XLSX)")


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
                    "additionalProperties": False,
                },
                "encoding": {"file": {"contentType": f"{CSV_MIMETYPE}, {XLSX_MIMETYPE}"}},
            }
        },
    },
    responses={
        201: {"content": {JSON: {"schema": UploadReport}}},
        200: {"content": {JSON: {"schema": {"oneOf": [DryRunReport, UploadReport]}}}},
        **problem(409),
    },
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
@blp.response(
    200,
    BINARY,
    content_type=XLSX_MIMETYPE,
    description="An XLSX template: headers, a note row, an example row",
)
def outcome_template(query: dict[str, Any]) -> Any:
    """Download an upload template for one outcome kind (``kind`` in English or Chinese)."""
    kind = {zh: en for en, zh in KIND_NAMES.items()}.get(query["kind"], query["kind"])
    return send_file(
        build_template(kind, ruleset_in_force_now()),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"outcomes-{kind}.xlsx",
    )
