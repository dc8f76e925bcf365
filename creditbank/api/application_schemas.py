"""Schemas of applications and decisions (PROGRAMMES.md § Applications, § Decisions)."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from creditbank.api.ledger_schemas import EntrySchema
from creditbank.api.schemas import OpenSchema, PageArgs, PageSchema
from creditbank.intake.fields import StrictSchema, text

_COURSE_CODE = validate.Regexp(r"^[A-Za-z0-9_-]{1,32}$", error="1–32 of A–Z a–z 0–9 _ -.")
_ID = validate.Length(min=1, max=40)
APPLICATION_STATUSES = ["pending", "closed", "withdrawn"]


class ItemRequest(StrictSchema):
    course_code = fields.String(required=True, validate=_COURSE_CODE)
    outcome_ids = fields.List(
        fields.String(validate=_ID), required=True, validate=validate.Length(min=1, max=20)
    )

    @validates_schema
    def _each_once(self, data: dict[str, Any], **_: Any) -> None:
        ids = data.get("outcome_ids") or []
        repeated = [j for j, oid in enumerate(ids) if oid in ids[:j]]
        if repeated:
            raise ValidationError(
                {f"outcome_ids.{j}": ["Named twice in this item."] for j in repeated}
            )


class ApplicationCreate(StrictSchema):
    learner_id = fields.String(load_default=None, validate=_ID)
    programme_id = fields.String(required=True, validate=_ID)
    external_ref = text(128, required=True)
    note = fields.String(load_default=None, validate=validate.Length(max=500))
    items = fields.List(
        fields.Nested(ItemRequest), required=True, validate=validate.Length(min=1, max=50)
    )

    @validates_schema
    def _courses_once(self, data: dict[str, Any], **_: Any) -> None:
        codes = [item["course_code"] for item in data.get("items") or []]
        repeated = [i for i, code in enumerate(codes) if code in codes[:i]]
        if repeated:
            raise ValidationError(
                {f"items.{i}.course_code": ["This course is named twice."] for i in repeated}
            )


class SourceSchema(OpenSchema):
    """One outcome an item names, as it stands now (fields vary by the outcome's kind)."""

    outcome_id = fields.String()
    kind = fields.String()
    title = fields.String()
    achieved_on = fields.String()
    provider = fields.String(allow_none=True)
    credits = fields.String(metadata={"example": "6.0"})
    status = fields.String()


class TransferItemSchema(OpenSchema):
    id = fields.String()
    application_id = fields.String()
    course_code = fields.String()
    course_name = fields.String()
    course_credits = fields.String()
    kind = fields.String(metadata={"enum": ["theory", "practice"]})
    outcome_ids = fields.List(fields.String())
    equivalence = fields.String()
    online = fields.Boolean()
    suggested_grade = fields.String()
    status = fields.String(
        metadata={"enum": ["pending", "approved", "rejected", "withdrawn", "revoked"]}
    )
    grade = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    transfer_seq = fields.Integer(allow_none=True)
    reversal_seq = fields.Integer(allow_none=True)
    flag = fields.String(allow_none=True)
    flagged_at = fields.String(allow_none=True)
    confirmed_at = fields.String(allow_none=True)
    sources = fields.List(fields.Nested(SourceSchema))


class FiledBy(OpenSchema):
    role = fields.String()
    id = fields.String()


class ApplicationSchema(OpenSchema):
    id = fields.String()
    learner_id = fields.String()
    programme_id = fields.String()
    college_id = fields.String()
    school_code = fields.String()
    catalogue_id = fields.String()
    catalogue_version = fields.Integer()
    external_ref = fields.String()
    note = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": APPLICATION_STATUSES})
    filed_at = fields.String()
    filed_by = fields.Nested(FiledBy)
    closed_at = fields.String(allow_none=True)
    requested_credits = fields.String()
    approved_credits = fields.String()
    certificate_no = fields.String(allow_none=True)
    certificate_revision = fields.Integer()
    items = fields.List(fields.Nested(TransferItemSchema))


class ApplicationPage(PageSchema):
    items = fields.List(fields.Nested(ApplicationSchema))


class ApplicationQuery(PageArgs):
    learner_id = fields.String(load_default=None, validate=_ID)
    programme_id = fields.String(load_default=None, validate=_ID)
    college_id = fields.String(load_default=None, validate=_ID)
    status = fields.String(load_default=None, validate=validate.OneOf(APPLICATION_STATUSES))
    flagged = fields.Boolean(load_default=None)


class WithdrawRequest(StrictSchema):
    reason = fields.String(load_default=None, validate=validate.Length(min=1, max=500))


class DecisionRequest(StrictSchema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    grade = fields.String(load_default=None, validate=validate.Length(min=1, max=16))
    reason = fields.String(load_default=None, validate=validate.Length(min=1, max=500))
    note = fields.String(load_default=None, validate=validate.Length(max=500))


class RevokeRequest(StrictSchema):
    reason = text(500, required=True)


class ConfirmRequest(StrictSchema):
    note = fields.String(load_default=None, validate=validate.Length(max=500))


class ApplicationSummary(OpenSchema):
    id = fields.String()
    status = fields.String(metadata={"enum": APPLICATION_STATUSES})
    approved_credits = fields.String()
    certificate_no = fields.String(allow_none=True)
    certificate_revision = fields.Integer()


class DecisionResponse(OpenSchema):
    item = fields.Nested(TransferItemSchema)
    transfer = fields.Nested(EntrySchema, allow_none=True)
    application = fields.Nested(ApplicationSummary)


class RevokeResponse(OpenSchema):
    item = fields.Nested(TransferItemSchema)
    reversal = fields.Nested(EntrySchema)
    application = fields.Nested(ApplicationSummary)


class ConfirmResponse(OpenSchema):
    item = fields.Nested(TransferItemSchema)


class EligibilityQuery(StrictSchema):
    learner_id = fields.String(load_default=None, validate=_ID)


class OptionSchema(OpenSchema):
    equivalence = fields.String(metadata={"example": "courses.WEB101.equivalences.0"})
    outcome_ids = fields.List(fields.String())
    claim_keys = fields.List(fields.String())
    bank_credits = fields.String()
    grade = fields.String()
    online = fields.Boolean()


class CourseEligibilitySchema(OpenSchema):
    course_code = fields.String()
    course_name = fields.String()
    course_credits = fields.String()
    kind = fields.String()
    status = fields.String(
        metadata={
            "enum": ["eligible", "recognised", "in_application", "not_eligible", "no_equivalence"]
        }
    )
    application_id = fields.String(metadata={"description": "in_application: where"})
    options = fields.List(fields.Nested(OptionSchema))


class CapsSchema(OpenSchema):
    total_credits = fields.String()
    share_cap = fields.String()
    online_cap = fields.String()
    per_source = fields.String(allow_none=True)


class EligibilitySchema(OpenSchema):
    learner_id = fields.String()
    programme_id = fields.String()
    catalogue_id = fields.String()
    catalogue_version = fields.Integer()
    enrolled = fields.Boolean()
    caps = fields.Nested(CapsSchema)
    recognised = fields.String()
    recognised_online = fields.String()
    remaining = fields.String()
    remaining_online = fields.String()
    courses = fields.List(fields.Nested(CourseEligibilitySchema))
