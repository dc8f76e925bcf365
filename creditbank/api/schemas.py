"""Request and response schemas: they validate bodies and write the OpenAPI document."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import (
    INCLUDE,
    Schema,
    ValidationError,
    fields,
    post_dump,
    validate,
    validates_schema,
)

from creditbank.conversion import REASON_TEXT, STATUS_TEXT
from creditbank.intake.fields import Amount, Instant, StrictSchema, text

MAX_PAGE = 500


def _described(texts: Mapping[Any, tuple[str, str]]) -> dict[str, Any]:
    """OpenAPI metadata listing each slug with its English sentence."""
    lines = [f"- `{slug}`: {english}" for slug, (_, english) in texts.items()]
    return {"enum": [str(slug) for slug in texts], "description": "\n".join(lines)}


class OpenSchema(Schema):
    """A response whose fields vary (by outcome kind, by entry kind): the declared fields are
    documented, and every other key of the object is passed through as it is."""

    class Meta:
        # Dump-only, so this never lets a request field through; it is what makes the
        # OpenAPI document say ``additionalProperties: true`` for the keys passed through.
        unknown = INCLUDE

    @post_dump(pass_original=True)
    def _keep_undeclared(self, data: dict[str, Any], original: Any, **_: Any) -> dict[str, Any]:
        if isinstance(original, Mapping):
            for key, value in original.items():
                data.setdefault(key, value)
        return data


# --- pagination -------------------------------------------------------------------------------


class PageArgs(StrictSchema):
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))


class PageSchema(Schema):
    next_cursor = fields.String(allow_none=True)


# --- auth ---------------------------------------------------------------------------------------


class TokenRequest(StrictSchema):
    grant_type = fields.String(
        required=True, validate=validate.OneOf(["client_credentials", "password"])
    )
    client_id = text(64, required=False)
    client_secret = text(256, required=False)
    username = text(64, required=False)
    password = text(256, required=False)
    scope = fields.String(load_default=None)  # accepted and ignored, as OAuth clients send it

    @validates_schema
    def _credentials_for_grant(self, data: dict, **_: object) -> None:
        needed = (
            ("client_id", "client_secret")
            if data.get("grant_type") == "client_credentials"
            else ("username", "password")
        )
        missing = {name: ["Required for this grant_type."] for name in needed if not data.get(name)}
        if missing:
            raise ValidationError(missing)


class TokenResponse(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


# --- learners -----------------------------------------------------------------------------------


class LearnerCreate(StrictSchema):
    name = text(100)
    national_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=18)
    )
    password = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=8, max=256)
    )


class LearnerPatch(StrictSchema):
    """A correction: only the fields given change; ``national_id: null`` removes the ID."""

    name = fields.String(validate=validate.Length(min=1, max=100))
    national_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=18))

    @validates_schema
    def _something_to_change(self, data: dict, **_: object) -> None:
        if not data:
            raise ValidationError("Give name, national_id or both.")


class LearnerSchema(Schema):
    learner_id = fields.String()
    name = fields.String(allow_none=True)
    national_id_masked = fields.String(allow_none=True)
    opened_at = Instant()


class LearnerPage(PageSchema):
    items = fields.List(fields.Nested(LearnerSchema))


class LearnerQuery(PageArgs):
    national_id = fields.String(load_default=None, validate=validate.Length(max=18))
    name = fields.String(load_default=None, validate=validate.Length(max=100))


class PasswordChange(StrictSchema):
    old_password = fields.String(load_default=None, validate=validate.Length(max=256))
    new_password = fields.String(required=True, validate=validate.Length(min=8, max=256))


# --- providers and clients ------------------------------------------------------------------------


class ProviderCreate(StrictSchema):
    code = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=32), validate.Regexp(r"^[A-Za-z0-9_-]+$")],
    )
    name = text(200)


class ProviderSchema(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    created_at = Instant()


class ProviderPage(PageSchema):
    items = fields.List(fields.Nested(ProviderSchema))


class ClientCreate(StrictSchema):
    name = text(200, required=False)


class CredentialsSchema(Schema):
    client_id = fields.String()
    client_secret = fields.String()


class ClientSchema(Schema):
    client_id = fields.String()
    disabled = fields.Boolean()


# --- outcomes -----------------------------------------------------------------------------------


class OutcomeSchema(OpenSchema):
    """An outcome as it stands: what was posted, plus status, reason and credits so far."""

    id = fields.String()
    learner_id = fields.String()
    provider_id = fields.String()
    external_ref = fields.String()
    kind = fields.String()
    category = fields.String()
    achieved_on = fields.String()
    seq = fields.Integer()
    recorded_at = fields.String()
    ruleset_id = fields.String(allow_none=True)
    status = fields.String(metadata=_described(STATUS_TEXT))
    reason = fields.String(metadata=_described(REASON_TEXT))
    credits = fields.String(metadata={"example": "0.5"})
    rule = fields.String(allow_none=True)


class CreditSchema(Schema):
    outcome_id = fields.String()
    seq = fields.Integer()
    delta = fields.String(metadata={"example": "0.5"})
    category = fields.String()
    reason = fields.String(metadata=_described(REASON_TEXT))
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
    void = fields.Dict()
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
        validate=[validate.Length(min=1, max=64), validate.Regexp(r"^[A-Za-z0-9_.-]+$")],
    )
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ReviewResponse(Schema):
    review = fields.Dict()
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


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error is rendered."""

    type = fields.String(metadata={"example": "validation_error"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
