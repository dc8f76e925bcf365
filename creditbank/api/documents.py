"""Documents anyone can verify (docs/verification.md): a number's status for machines (public,
no token), revoking a document, and revoking a learner's credential (the workstation)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from creditbank.api import Blueprint
from creditbank.api.access import allow, current_principal
from creditbank.api.docs import problem
from creditbank.domain.roles import Role
from creditbank.intake.fields import StrictSchema
from creditbank.services import credential_status, documents

blp = Blueprint("documents", __name__, description="Verifiable documents and credential status")


class DocumentHolder(Schema):
    name_masked = fields.String(allow_none=True, metadata={"example": "陈*雨"})
    national_id_masked = fields.String(allow_none=True)


class DocumentStatusSchema(Schema):
    number = fields.String(metadata={"example": "YY-T-2026-0000013"})
    status = fields.String(metadata={"description": "valid | revoked | superseded"})
    status_label = fields.String()
    kind = fields.String(metadata={"description": "transcript | certificate"})
    kind_label = fields.String()
    issued_at = fields.String()
    issuer = fields.Dict(metadata={"description": '{"name"}: the issuing office'})
    holder = fields.Nested(DocumentHolder)
    sha256 = fields.String(metadata={"description": "SHA-256 (hex) of the bytes issued"})
    media_type = fields.String()
    superseded_by = fields.String(allow_none=True)
    revoked_at = fields.String(allow_none=True)


class RevokeBody(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class CredentialStatusSchema(Schema):
    learner_id = fields.String()
    status_list = fields.Integer()
    status_index = fields.Integer()
    revoked_at = fields.String(allow_none=True)


@blp.route("/documents/<document_number:number>", methods=["GET"])
@blp.response(200, DocumentStatusSchema)
@blp.doc(security=[], responses=problem(404))
def document_status(number: str) -> Any:
    """Public: what the bank knows of a document number (valid, revoked, superseded), its kind,
    date and the holder as masked on the document; 404 for a number never issued."""
    return documents.public_status(number)


@blp.route("/documents/<document_number:number>/revoke", methods=["POST"])
@allow(Role.WORKSTATION)
@blp.arguments(RevokeBody)
@blp.response(200, DocumentStatusSchema)
@blp.doc(responses={**problem(404), **problem(409, "document_revoked")})
def revoke_document(body: dict[str, Any], number: str) -> Any:
    """Revoke a document: its verify page says so from now on."""
    return documents.describe(documents.revoke(current_principal(), number, body["reason"]))


@blp.route("/learners/<learner_id>/credential/revoke", methods=["POST"])
@allow(Role.WORKSTATION)
@blp.arguments(RevokeBody)
@blp.response(200, CredentialStatusSchema)
@blp.doc(responses={**problem(404), **problem(409, "no_credential")})
def revoke_credential(body: dict[str, Any], learner_id: str) -> Any:
    """Revoke the learner's credential: its bit in the status list is set."""
    row = credential_status.revoke_credential(current_principal(), learner_id, body["reason"])
    return {
        "learner_id": row.learner_id,
        "status_list": row.status_list,
        "status_index": row.status_index,
        "revoked_at": row.revoked_at.isoformat().replace("+00:00", "Z") if row.revoked_at else None,
    }
