"""Schemas of the conversion certificate (PROGRAMMES.md § Conversion certificate)."""

from __future__ import annotations

from marshmallow import Schema, fields


class EntryCitation(Schema):
    seq = fields.Integer()
    hash = fields.String(metadata={"description": "the entry's hash, as the ledger shows it"})


class CertificateIssuer(Schema):
    name = fields.String()
    url = fields.String()


class CertificateCollege(Schema):
    school_code = fields.String()
    name = fields.String()


class CertificateProgramme(Schema):
    code = fields.String()
    name = fields.String()
    level_code = fields.String(metadata={"example": "21"})
    level = fields.String(metadata={"example": "专科"})


class CertificateLearner(Schema):
    learner_id = fields.String()
    name = fields.String(allow_none=True, metadata={"description": "null once erased"})
    national_id_masked = fields.String(
        allow_none=True, metadata={"description": "only the last 4 characters shown"}
    )
    student_no = fields.String(allow_none=True, metadata={"description": "学号; null once erased"})


class CertificateSource(Schema):
    outcome_id = fields.String()
    title = fields.String(allow_none=True)
    achieved_on = fields.String(allow_none=True)


class CertificateCourse(Schema):
    course_code = fields.String()
    course_name = fields.String()
    credits = fields.String(metadata={"example": "4.0"})
    kind = fields.String(metadata={"enum": ["theory", "practice"]})
    grade = fields.String()
    decided_at = fields.String()
    sources = fields.List(fields.Nested(CertificateSource))
    entry = fields.Nested(EntryCitation, metadata={"description": "its `transfer` entry"})


class CertificateRevocation(Schema):
    course_code = fields.String()
    revoked_at = fields.String()
    reason = fields.String(allow_none=True)
    entry = fields.Nested(EntryCitation, metadata={"description": "its `reversal` entry"})


class CertificateSchema(Schema):
    certificate_no = fields.String(metadata={"example": "CQ1024-2026-00001"})
    revision = fields.Integer(metadata={"description": "raised by every revocation"})
    issued_at = fields.String(metadata={"description": "when the application closed"})
    issuer = fields.Nested(CertificateIssuer)
    college = fields.Nested(CertificateCollege)
    programme = fields.Nested(CertificateProgramme)
    learner = fields.Nested(CertificateLearner)
    application_id = fields.String()
    courses = fields.List(fields.Nested(CertificateCourse))
    total_credits = fields.String(metadata={"example": "12.0"})
    revoked = fields.List(fields.Nested(CertificateRevocation))
