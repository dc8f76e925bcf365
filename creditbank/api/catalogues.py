"""Programmes' catalogues (专业学分转换目录): the workstation and the programme's college publish
versions (as JSON or from a spreadsheet), every role reads them; a version is never edited."""

from __future__ import annotations

from typing import Any

from flask import request, send_file
from marshmallow import fields

from creditbank.api import Blueprint
from creditbank.api.access import allow, current_principal
from creditbank.api.catalogue_schemas import (
    SCHEMAS,
    CatalogueDryRun,
    CataloguePage,
    CatalogueSchema,
)
from creditbank.api.docs import BINARY, JSON, problem
from creditbank.api.ledger_schemas import NEW_RULESET
from creditbank.api.parsing import json_body, negotiate
from creditbank.api.schemas import PageArgs
from creditbank.documents.catalogue_sheets import catalogue_workbook, template_workbook
from creditbank.documents.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE
from creditbank.domain.amounts import amount_pattern
from creditbank.domain.document_checks import RFC3339_INSTANT
from creditbank.domain.errors import ValidationFailed
from creditbank.domain.roles import EVERYONE, Role
from creditbank.intake.catalogue_rows import FORM_FIELDS
from creditbank.intake.fields import StrictSchema
from creditbank.intake.text import unkeepable
from creditbank.services import catalogue_uploads, catalogues
from creditbank.transfer.catalogues import MAX_TOTAL_CREDITS

blp = Blueprint("catalogues", __name__, description="Programmes' catalogues (专业学分转换目录)")
PUBLISHERS = (Role.WORKSTATION, Role.COLLEGE)
_FORM_TEXT = {"type": "string", "maxLength": 200}
_PERCENT = {"type": "string", "pattern": "^(?:|100|[1-9]?[0-9])$"}
# A catalogue's CSV has a header row (RFC 4180 § 3's `header` parameter): the columns by name.
CATALOGUE_CSV = f"{CSV_MIMETYPE}; header=present"
UPLOAD_BODY = {
    "type": "object",
    "required": ["file", "name", "effective_from", "total_credits"],
    "additionalProperties": False,
    "properties": {
        "file": {"type": "string", "format": "binary"},
        "name": {
            **NEW_RULESET["properties"]["name"],
            "maxLength": 200,
            "description": "the catalogue's name",
        },
        "effective_from": {
            "type": "string",
            "format": "effective-from",
            "pattern": f"^(?:{RFC3339_INSTANT.pattern}|[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})$",
            "description": "An RFC 3339 instant with its offset, or a date (midnight in China, "
            "UTC+8); either must be a real day.",
        },
        "total_credits": {
            "type": "string",
            "pattern": f"^{amount_pattern(1, MAX_TOTAL_CREDITS)}$",
            "description": "the programme's credits, e.g. 120.0",
        },
        "share_percent": {**_PERCENT, "description": "0–100; empty: 50"},
        "online_share_percent": {**_PERCENT, "description": "0–100; empty: 25"},
        "per_source": {
            "type": "string",
            "pattern": f"^(?:|none|null|无|不限|{amount_pattern(0, MAX_TOTAL_CREDITS)})$",
            "description": "an amount; empty: 8.0; none or 不限: no cap",
        },
    },
}


class UploadQuery(StrictSchema):
    dry_run = fields.Boolean(load_default=False)


@blp.route("/programmes/<programme_id>/catalogues", methods=["POST"])
@allow(*PUBLISHERS)
@blp.doc(
    requestBody={
        "required": True,
        "content": {JSON: {"schema": {"$ref": f"{SCHEMAS}NewCatalogue"}}},
    }
)
@blp.response(201, CatalogueSchema)
def publish_catalogue(programme_id: str) -> Any:
    """Publish the programme's next catalogue version (never edited afterwards)."""
    return catalogues.publish_catalogue(current_principal(), programme_id, json_body())


@blp.route("/programmes/<programme_id>/catalogues", methods=["GET"])
@allow(*EVERYONE)
@blp.arguments(PageArgs, location="query")
@blp.page(CataloguePage)
def list_catalogues(query: dict[str, Any], programme_id: str) -> Any:
    """The programme's catalogue versions, by version."""
    return catalogues.list_catalogues(programme_id, query["cursor"], query["limit"])


@blp.route("/programmes/<programme_id>/catalogues/active", methods=["GET"])
@allow(*EVERYONE)
@blp.response(200, CatalogueSchema)
def active_catalogue(programme_id: str) -> Any:
    """The programme's catalogue in force now (404 when none is yet)."""
    return catalogues.active_catalogue(programme_id)


@blp.route("/programmes/<programme_id>/catalogues/upload", methods=["POST"])
@allow(*PUBLISHERS)
@blp.arguments(UploadQuery, location="query")
@blp.doc(
    requestBody={
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": UPLOAD_BODY,
                "encoding": {"file": {"contentType": f"{CATALOGUE_CSV}, {XLSX_MIMETYPE}"}},
            }
        },
    },
    responses={
        201: {"content": {JSON: {"schema": CatalogueSchema}}},
        200: {"content": {JSON: {"schema": CatalogueDryRun}}},
    },
)
# Both answers are written by the service as they are (one view, two shapes): documented here.
@blp.response(201, description="Published: the catalogue")
@blp.alt_response(200, description="A dry run's report: what would be published, every error")
def upload_catalogue(query: dict[str, Any], programme_id: str) -> Any:
    """Publish the next version from a CSV or XLSX sheet and the form's fields.

    One row per course and equivalence (headers in Chinese or as field names, any order);
    ``dry_run=true`` checks every row and answers what would be published, writing nothing.
    """
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed(
            errors={"file": ["Send the spreadsheet as the multipart field file."]}
        )
    result = catalogue_uploads.upload_catalogue(
        current_principal(), programme_id, upload.stream, _form(), dry_run=query["dry_run"]
    )
    return result, 200 if query["dry_run"] else 201


@blp.route("/catalogues/template.xlsx", methods=["GET"])
@allow(*EVERYONE)
@blp.response(
    200,
    BINARY,
    content_type=XLSX_MIMETYPE,
    description="An XLSX template: headers, a note row, catalogue C1 as the example",
)
def download_catalogue_template() -> Any:
    """Download the catalogue upload template."""
    return send_file(
        template_workbook(),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name="catalogue-template.xlsx",
    )


@blp.route("/catalogues/<catalogue_id>", methods=["GET"])
@allow(*EVERYONE)
@blp.response(200, CatalogueSchema, description="The catalogue (JSON, or XLSX by Accept)")
@blp.doc(
    responses={
        200: {
            "content": {
                JSON: {"schema": CatalogueSchema},
                XLSX_MIMETYPE: {"schema": BINARY},
            }
        },
        **problem(406, "not_acceptable"),
    }
)
def get_catalogue(catalogue_id: str) -> Any:
    """One catalogue version: JSON, or the sheet an upload reads (to edit into the next)."""
    media = negotiate(JSON, XLSX_MIMETYPE)
    catalogue = catalogues.get_catalogue(catalogue_id)
    if media == XLSX_MIMETYPE:
        return send_file(
            catalogue_workbook(catalogue),
            mimetype=XLSX_MIMETYPE,
            as_attachment=True,
            download_name=f"catalogue-{catalogue_id}-v{catalogue['version']}.xlsx",
        )
    return catalogue


def _form() -> dict[str, str]:
    """The upload's form fields: only those of the document, each once, text the bank keeps."""
    errors: dict[str, list[str]] = {}
    for key in request.form:
        values = request.form.getlist(key)
        if key not in FORM_FIELDS:
            errors[key] = ["Unknown field."]
        elif len(values) > 1:
            errors[key] = ["Given more than once."]
        elif (problem := unkeepable(values[0])) is not None:
            errors[key] = [problem]
    for key in request.files:
        if key != "file" or len(request.files.getlist(key)) > 1:
            errors[key] = ["Only one file, as the field file."]
    if errors:
        raise ValidationFailed(errors=errors)
    return {key: request.form[key] for key in request.form}
