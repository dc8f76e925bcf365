"""A learner's transcript (JSON, HTML, PDF) and verifiable credential (VC-JWT): that learner,
the workstation, the auditor. The media type is chosen by ``Accept``; anything else is 406."""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import Schema, fields, validate

from creditbank.api import Blueprint
from creditbank.api.access import allow, current_principal
from creditbank.api.parsing import negotiate
from creditbank.domain.roles import Role
from creditbank.intake.fields import StrictSchema
from creditbank.services import credentials, document_issuing, transcripts

blp = Blueprint("transcripts", __name__, description="Transcripts and verifiable credentials")
READERS = (Role.WORKSTATION, Role.AUDITOR, Role.LEARNER)
JSON = "application/json"
HTML = "text/html"
PDF = "application/pdf"
VC_JWT = "application/vc+jwt"
NATIONAL_ID = "national-id"  # ?include= that adds a hash of the national ID to the credential
_NOT_ACCEPTABLE = {
    "description": "None of the media types in Accept is offered (not_acceptable)",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


class Bilingual(Schema):
    zh = fields.String()
    en = fields.String()


class TranscriptLearner(Schema):
    learner_id = fields.String()
    account_number = fields.String(metadata={"description": "学习账号, 12 digits"})
    name = fields.String(allow_none=True, metadata={"description": "null once erased"})
    national_id_masked = fields.String(
        allow_none=True, metadata={"description": "only the last 4 characters shown"}
    )


class TranscriptLine(Schema):
    outcome_id = fields.String()
    kind = fields.String()
    kind_label = fields.Nested(Bilingual)
    title = fields.String()
    summary = fields.Nested(Bilingual)
    details = fields.Dict(metadata={"description": "the outcome kind's own fields as posted"})
    category = fields.String()
    category_label = fields.Nested(Bilingual)
    provider = fields.Dict(metadata={"description": '{"id", "name"}'})
    achieved_on = fields.String()
    recorded_at = fields.String()
    credited_at = fields.String(metadata={"description": "when its credits last changed"})
    credits = fields.String(metadata={"example": "2.0"})
    rule = fields.String(allow_none=True, metadata={"example": "certificates.1X-WEB.senior"})
    rule_label = fields.Nested(Bilingual)
    ruleset = fields.Dict(allow_none=True, metadata={"description": '{"id", "name", "version"}'})
    reason = fields.String()
    reason_text = fields.Nested(Bilingual)


class RecognisedCourse(Schema):
    college = fields.Dict(metadata={"description": '{"school_code", "name"}'})
    programme = fields.Dict(metadata={"description": '{"code", "name"}'})
    course_code = fields.String()
    course_name = fields.String()
    credits = fields.String(metadata={"example": "4.0", "description": "course credits"})
    grade = fields.String()
    decided_at = fields.String()
    application_id = fields.String()
    certificate_no = fields.String(
        allow_none=True, metadata={"description": "null while the application is pending"}
    )


class TranscriptSchema(Schema):
    learner = fields.Nested(TranscriptLearner)
    issuer = fields.Dict(metadata={"description": '{"name", "url"}'})
    generated_at = fields.String()
    seq = fields.Integer(metadata={"description": "the last journal entry it reflects"})
    total = fields.String(metadata={"example": "12.5"})
    by_category = fields.Dict(keys=fields.String(), values=fields.String())
    category_labels = fields.Dict(keys=fields.String(), values=fields.Nested(Bilingual))
    lines = fields.List(fields.Nested(TranscriptLine))
    recognised_courses = fields.List(
        fields.Nested(RecognisedCourse),
        metadata={"description": "college courses recognised from the credits (not revoked)"},
    )


class CredentialQuery(StrictSchema):
    include = fields.String(
        load_default=None,
        validate=validate.OneOf([NATIONAL_ID]),
        metadata={
            "description": "`national-id`: add a salted SHA-256 hash of the learner's national "
            "ID (an Open Badges IdentityObject). Only the learner itself may ask (403 for "
            "anyone else); 422 when no national ID is on file. A national ID is guessable: "
            "whoever holds the credential can recover the ID from the hash in well under a "
            "second, so give such a credential only to a party that already knows the ID."
        },
    )


class LearnerCredentialSchema(Schema):
    credential = fields.String(
        metadata={"description": "compact JWS (VC-JWT, EdDSA) of a CLR 2.0 ClrCredential"}
    )


@blp.route("/learners/<learner_id>/transcript", methods=["GET"])
@allow(*READERS)
@blp.response(200, TranscriptSchema, description="The transcript (JSON, HTML or PDF by Accept)")
@blp.doc(
    responses={
        200: {
            "content": {
                JSON: {"schema": TranscriptSchema},
                HTML: {"schema": {"type": "string"}},
                PDF: {"schema": {"type": "string", "format": "binary"}},
            }
        },
        406: _NOT_ACCEPTABLE,
    }
)
def transcript(learner_id: str) -> Any:
    """A learner's transcript: JSON, a printable page (text/html) or a PDF (application/pdf)."""
    media = negotiate(JSON, HTML, PDF)
    if media in (HTML, PDF):
        # A page or a PDF is issued: numbered, registered (superseding the learner's previous
        # transcript), its verify URL and QR code printed on it. reportlab loads with the first.
        number, content = document_issuing.issue_transcript(current_principal(), learner_id, media)
        response = Response(content, mimetype=media)
        response.headers["X-Document-Number"] = number
        if media == PDF:
            disposition = f'inline; filename="transcript-{number}.pdf"'
            response.headers["Content-Disposition"] = disposition
        return _private(response)
    return transcripts.transcript(current_principal(), learner_id)


@blp.route("/learners/<learner_id>/credential", methods=["GET"])
@allow(*READERS)
@blp.arguments(CredentialQuery, location="query")
@blp.response(200, LearnerCredentialSchema, description="The credential (JSON, or the bare JWS)")
@blp.doc(
    responses={
        200: {
            "content": {
                JSON: {"schema": LearnerCredentialSchema},
                VC_JWT: {"schema": {"type": "string"}},
            }
        },
        406: _NOT_ACCEPTABLE,
    }
)
def credential(query: dict[str, Any], learner_id: str) -> Any:
    """The learner's record as a signed Open Badges 3.0 / CLR 2.0 credential (VC-JWT)."""
    media = negotiate(JSON, VC_JWT)
    token = credentials.issue_credential(
        current_principal(), learner_id, include_national_id=query["include"] == NATIONAL_ID
    )
    if media == VC_JWT:
        return Response(token, mimetype=VC_JWT)
    return {"credential": token}


def _private(response: Response) -> Response:
    # Personal data: no shared cache, no copy left in the browser's.
    response.headers["Cache-Control"] = "no-store"
    return response
