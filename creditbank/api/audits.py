"""Audits of the journal: run one, read it (JSON, CSV or a printable report), page its findings.

Workstation and auditor only. A scope of more than ``CREDITBANK_AUDIT_INLINE_MAX_ENTRIES``
journal entries is audited by a background thread of the serving process (202); the client
polls ``GET /audits/{id}`` until ``status`` is no longer ``running``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, stream_with_context
from marshmallow import Schema, fields, validate

from creditbank.api import Blueprint
from creditbank.api.access import allow, current_principal
from creditbank.api.background import in_background
from creditbank.api.parsing import negotiate
from creditbank.api.schemas import PageArgs, PageSchema, StrictSchema
from creditbank.domain.chain_checks import CHECKS
from creditbank.domain.roles import STAFF
from creditbank.intake.fields import LEARNER_ID
from creditbank.services import audit_reports, audits

blp = Blueprint("audits", __name__, description="Audits of the journal (workstation, auditor)")
JSON, CSV, HTML = "application/json", "text/csv", "text/html"
_NOT_ACCEPTABLE = {
    "description": "None of the media types in Accept is offered (not_acceptable)",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


class AuditRequest(StrictSchema):
    learner_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=40),
        metadata=LEARNER_ID,
    )


class FindingSchema(Schema):
    learner_id = fields.String(allow_none=True)
    seq = fields.Integer(allow_none=True)
    check = fields.String(metadata={"enum": list(CHECKS)})
    expected = fields.String()
    found = fields.String()


class AuditSchema(Schema):
    id = fields.String()
    status = fields.String(metadata={"enum": ["running", "passed", "failed", "error"]})
    learner_id = fields.String(allow_none=True, metadata={"description": "null: whole bank"})
    requested_by = fields.String(allow_none=True)
    started_at = fields.String()
    finished_at = fields.String(allow_none=True)
    entries_checked = fields.Integer()
    learners_checked = fields.Integer()
    findings_total = fields.Integer()
    findings = fields.List(fields.Nested(FindingSchema), metadata={"description": "≤ 1,000"})
    findings_next_cursor = fields.String(
        allow_none=True, metadata={"description": "cursor for /audits/{id}/findings"}
    )
    checkpoint = fields.Dict(
        allow_none=True, metadata={"description": "the latest checkpoint, with verified"}
    )
    error = fields.String(allow_none=True)


class FindingPage(PageSchema):
    items = fields.List(fields.Nested(FindingSchema))


@blp.route("/audits", methods=["POST"])
@allow(*STAFF)
@blp.arguments(AuditRequest, required=False)  # no body: the whole bank
@blp.response(201, AuditSchema, description="Finished within the request")
@blp.alt_response(202, schema=AuditSchema, description="Running in the background: poll it")
def start_audit(body: dict[str, Any]) -> Any:
    """Audit the whole bank, or one learner (``learner_id``)."""
    audit_id, finished = audits.request_audit(
        current_principal(), body["learner_id"], in_background=in_background
    )
    return audit_reports.audit_document(audit_id), 201 if finished else 202


@blp.route("/audits/<audit_id>", methods=["GET"])
@allow(*STAFF)
@blp.response(200, AuditSchema, description="The audit (JSON, CSV or HTML by Accept)")
@blp.doc(
    responses={
        200: {
            "content": {
                JSON: {"schema": AuditSchema},
                CSV: {"schema": {"type": "string"}},
                HTML: {"schema": {"type": "string"}},
            }
        },
        406: _NOT_ACCEPTABLE,
    }
)
def get_audit(audit_id: str) -> Any:
    """One audit: JSON, every finding as CSV (text/csv), or a printable report (text/html)."""
    media = negotiate(JSON, CSV, HTML)
    audit_reports.get_audit(audit_id)  # a 404 before any streaming starts
    if media == CSV:
        lines = stream_with_context(audit_reports.csv_lines(audit_id))
        response = Response(lines, mimetype=CSV)
        response.headers["Content-Disposition"] = f'attachment; filename="audit-{audit_id}.csv"'
        return response
    if media == HTML:
        return Response(audit_reports.html_report(audit_id), mimetype=HTML)
    return audit_reports.audit_document(audit_id)


@blp.route("/audits/<audit_id>/findings", methods=["GET"])
@allow(*STAFF)
@blp.arguments(PageArgs, location="query")
@blp.page(FindingPage)
def list_findings(query: dict[str, Any], audit_id: str) -> Any:
    """Every finding of an audit, in order, by keyset pages."""
    audit_reports.get_audit(audit_id)
    return audit_reports.findings_page(audit_id, query["cursor"], query["limit"])
