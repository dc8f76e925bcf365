"""Schemas of the ledger's resources: outcomes, journal entries, rulesets, reviews, balances."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from marshmallow import Schema, fields, validate

from creditbank.api.schemas import OpenSchema, PageArgs, PageSchema, described
from creditbank.conversion import REASON_TEXT, STATUS_TEXT
from creditbank.conversion.rulesets import (
    CERTIFICATE_LEVELS,
    COMPETITION_SCOPES,
    MAX_RANKS,
    SKILL_LEVELS,
)
from creditbank.domain.amounts import amount_pattern
from creditbank.domain.document_checks import MAX_KEY, MAX_NAME, RFC3339_INSTANT
from creditbank.intake.fields import Amount, FullMatch, Instant, StrictSchema, text
from creditbank.intake.outcomes import KINDS

# --- outcomes -----------------------------------------------------------------------------------


class OutcomeSchema(OpenSchema):
    """An outcome as it stands: what was posted, plus status, reason and credits so far."""

    id = fields.String()
    learner_id = fields.String()
    provider_id = fields.String(
        allow_none=True, metadata={"description": "null for a learner's deposit"}
    )
    source = fields.String(
        metadata={
            "enum": ["self_declared"],
            "description": "Only on a learner's deposit (POST /learners/{id}/deposits): declared "
            "by the learner, not posted by a provider; it always waits for a review.",
        }
    )
    issuer = fields.String(metadata={"description": "A deposit's issuer, as declared"})
    evidence = fields.List(
        fields.String(),
        metadata={"description": "A deposit's evidence files: their SHA-256 (hex), sorted"},
    )
    external_ref = fields.String()
    kind = fields.String(metadata={"enum": list(KINDS)})
    category = fields.String()
    achieved_on = fields.String()
    seq = fields.Integer()
    recorded_at = fields.String()
    ruleset_id = fields.String(allow_none=True)
    status = fields.String(metadata=described(STATUS_TEXT))
    reason = fields.String(metadata=described(REASON_TEXT))
    credits = fields.String(metadata={"example": "0.5"})
    rule = fields.String(allow_none=True)


class CreditSchema(Schema):
    outcome_id = fields.String()
    seq = fields.Integer()
    delta = fields.String(metadata={"example": "0.5"})
    category = fields.String()
    reason = fields.String(metadata=described(REASON_TEXT))
    ruleset_id = fields.String(allow_none=True)
    running_total = fields.String()
    running_by_category = fields.Dict(keys=fields.String(), values=fields.String())
    rule = fields.String(allow_none=True)


class PostedSchema(Schema):
    outcome = fields.Nested(OutcomeSchema)
    credits = fields.List(fields.Nested(CreditSchema))
    replayed = fields.Boolean()


class PostedBatchSchema(Schema):
    items = fields.List(fields.Nested(PostedSchema))


class OutcomePage(PageSchema):
    items = fields.List(fields.Nested(OutcomeSchema))


class OutcomeQuery(PageArgs):
    learner_id = fields.String(load_default=None, validate=validate.Length(max=40))
    provider_id = fields.String(load_default=None, validate=validate.Length(max=40))
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(["credited", "not_credited", "pending_review", "voided"]),
    )


class VoidRequest(StrictSchema):
    reason = text(500)


class EntrySchema(OpenSchema):
    """A journal entry: its hashed fields plus its hash (fields vary by kind)."""

    learner_id = fields.String()
    seq = fields.Integer()
    kind = fields.String(
        metadata={"enum": ["outcome", "void", "review", "credit", "transfer", "reversal"]}
    )
    recorded_at = fields.String()
    prev_hash = fields.String()
    hash = fields.String()


class VoidResponse(Schema):
    void = fields.Nested(EntrySchema)
    credits = fields.List(fields.Nested(CreditSchema))


# --- rulesets, reviews, balances ----------------------------------------------------------------


class RulesetSchema(OpenSchema):
    id = fields.String()
    version = fields.Integer()
    name = fields.String()
    effective_from = fields.String()
    published_at = fields.String()
    credit_step = fields.String()
    validity_years = fields.Integer()
    hours_per_credit = fields.Dict(keys=fields.String(), values=fields.String())
    certificates = fields.Dict()
    skill_levels = fields.Dict()
    competitions = fields.Dict()
    course_min_score = fields.Integer()
    caps = fields.Dict()


def _amount(*, positive: bool = False, nullable: bool = False) -> dict[str, Any]:
    """A ruleset's amount: a decimal string or number with at most one place, at least 0 (or
    above 0), at most 18 whole digits (conversion.rulesets, domain.amounts)."""
    text: dict[str, Any] = {
        "type": "string",
        "pattern": amount_pattern(1 if positive else 0, 10**19 - 1),
        "nullable": nullable,
    }
    number = {
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": positive,
        "maximum": 1e18,
        "exclusiveMaximum": True,
    }
    return {"anyOf": [text, number | {"multipleOf": 0.1}]}


def _names(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "nullable": True,
        "additionalProperties": values,
        "description": f"Keyed by names of 1–{MAX_KEY} characters, no dot, no surrounding space.",
    }


def _fixed(keys: Iterable[str], values: dict[str, Any], **more: Any) -> dict[str, Any]:
    properties = dict.fromkeys(keys, values)
    return {"type": "object", "additionalProperties": False, "properties": properties, **more}


# What Python's str.strip() strips (str.isspace), which JSON Schema's \s is not quite.
_SPACE = "[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
_TEXT = _SPACE.replace("[", "[^", 1)
# POST /rulesets, as conversion.rulesets.validate_ruleset_document reads it: null is left out;
# a name is 1–200 characters once its surrounding spaces are stripped.
NEW_RULESET: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "effective_from"],
    "properties": {
        "name": {
            "type": "string",
            "pattern": f"^{_SPACE}*{_TEXT}(?:[\\s\\S]{{0,{MAX_NAME - 2}}}{_TEXT})?{_SPACE}*$",
        },
        "effective_from": {
            "type": "string",
            "format": "date-time",
            "pattern": f"^{RFC3339_INSTANT.pattern}$",
        },
        "credit_step": _amount(positive=True, nullable=True),
        "validity_years": {"type": "integer", "minimum": 1, "maximum": 100, "nullable": True},
        "hours_per_credit": _names(_amount(positive=True)),
        "certificates": _names(
            {"anyOf": [_amount(), _fixed(CERTIFICATE_LEVELS, _amount(), minProperties=1)]}
        ),
        "skill_levels": _fixed(SKILL_LEVELS, _amount(), nullable=True),
        "competitions": _fixed(
            COMPETITION_SCOPES,
            {"type": "array", "maxItems": MAX_RANKS, "items": _amount()},
            nullable=True,
        ),
        "course_min_score": {"type": "integer", "minimum": 0, "maximum": 100, "nullable": True},
        "caps": {
            "type": "object",
            "nullable": True,
            "additionalProperties": False,
            "properties": {"per_year": _amount(nullable=True), "per_category": _names(_amount())},
        },
    },
}


class RulesetPage(PageSchema):
    items = fields.List(fields.Nested(RulesetSchema))


class ReviewQuery(PageArgs):
    status = fields.String(load_default="pending", validate=validate.OneOf(["pending", "decided"]))


class ReviewDecision(StrictSchema):
    credits = Amount(required=True, minimum=0, maximum=1000)
    category = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=64), FullMatch(r"^[A-Za-z0-9_.-]+$")],
    )
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ReviewResponse(Schema):
    review = fields.Nested(EntrySchema)
    credits = fields.List(fields.Nested(CreditSchema))


class BalanceQuery(StrictSchema):
    as_of = Instant(load_default=None)


class BalanceSchema(Schema):
    learner_id = fields.String()
    total = fields.String(metadata={"example": "12.5"})
    by_category = fields.Dict(keys=fields.String(), values=fields.String())
    converted = fields.String(
        metadata={"description": "Spent on college courses: Σ transfers − Σ reversals."}
    )
    converted_by_category = fields.Dict(keys=fields.String(), values=fields.String())
    available = fields.String(
        metadata={"description": "total − converted; negative when a spent source was voided."}
    )
    available_by_category = fields.Dict(keys=fields.String(), values=fields.String())
    as_of = fields.String()
    seq = fields.Integer()


class LedgerPage(PageSchema):
    items = fields.List(fields.Nested(EntrySchema))


# --- spreadsheet uploads --------------------------------------------------------------------------


class UploadLine(Schema):
    row = fields.Integer(metadata={"description": "the row's number in the file"})
    external_ref = fields.String()
    outcome_id = fields.String()
    learner_id = fields.String()
    status = fields.String(metadata=described(STATUS_TEXT))
    reason = fields.String(metadata=described(REASON_TEXT))
    credits = fields.String(metadata={"example": "0.5"})
    replayed = fields.Boolean()


class UploadReport(Schema):
    """A file posted: one line per row."""

    dry_run = fields.Boolean(metadata={"enum": [False]})
    rows = fields.Integer()
    posted = fields.Integer()
    replayed = fields.Integer()
    items = fields.List(fields.Nested(UploadLine))


class RowError(Schema):
    row = fields.Integer()
    column = fields.String(metadata={"description": "the header as the file spells it"})
    message = fields.String()


class DryRunReport(Schema):
    """A file checked, nothing posted: what would be, and every error found."""

    dry_run = fields.Boolean(metadata={"enum": [True]})
    encoding = fields.String(
        metadata={"description": "how the file was read: utf-8, utf-8-sig, gb18030 or xlsx"}
    )
    rows = fields.Integer()
    valid = fields.Boolean()
    would_post = fields.Integer()
    would_replay = fields.Integer()
    errors = fields.List(fields.Nested(RowError))
