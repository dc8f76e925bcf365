"""Schemas of the ledger's resources: outcomes, journal entries, rulesets, reviews, balances."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from creditbank.api.schemas import OpenSchema, PageArgs, PageSchema, described
from creditbank.conversion import REASON_TEXT, STATUS_TEXT
from creditbank.intake.fields import Amount, FullMatch, Instant, StrictSchema, text
from creditbank.intake.outcomes import KINDS

# --- outcomes -----------------------------------------------------------------------------------


class OutcomeSchema(OpenSchema):
    """An outcome as it stands: what was posted, plus status, reason and credits so far."""

    id = fields.String()
    learner_id = fields.String()
    provider_id = fields.String()
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
    kind = fields.String(metadata={"enum": ["outcome", "void", "review", "credit"]})
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
    rows = fields.Integer()
    valid = fields.Boolean()
    would_post = fields.Integer()
    would_replay = fields.Integer()
    errors = fields.List(fields.Nested(RowError))
