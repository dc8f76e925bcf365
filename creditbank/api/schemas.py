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

from creditbank.intake.fields import NATIONAL_ID, FullMatch, Instant, StrictSchema, text

MAX_PAGE = 500


def described(texts: Mapping[Any, tuple[str, str]]) -> dict[str, Any]:
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
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=64),  # base64url of a key: an identifier or a number
        metadata={
            "format": "cursor",
            "description": "The next_cursor of the page before (empty: the first page); "
            "a cursor this API did not issue is a 422.",
        },
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))


class PageSchema(Schema):
    next_cursor = fields.String(allow_none=True)


# --- auth ---------------------------------------------------------------------------------------


class ClientCredentialsGrant(StrictSchema):
    """Providers, workstation and auditor clients."""

    grant_type = fields.String(required=True, validate=validate.OneOf(["client_credentials"]))
    client_id = text(64)
    client_secret = text(256)
    scope = fields.String()  # accepted and ignored, as OAuth clients send it


class PasswordGrant(StrictSchema):
    """Learners: the learner id or the account number (学习账号) as ``username``."""

    grant_type = fields.String(required=True, validate=validate.OneOf(["password"]))
    username = text(64)
    password = text(256)
    scope = fields.String()


GRANTS: dict[str, type[Schema]] = {
    "client_credentials": ClientCredentialsGrant,
    "password": PasswordGrant,
}
_GRANT_LOADERS = {grant: schema() for grant, schema in GRANTS.items()}


class TokenRequest(Schema):
    """Either grant, read by its own schema (the document's oneOf on ``grant_type``)."""

    def load(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, Mapping):
            raise ValidationError({"body": ["Expected an object."]})
        grant = data.get("grant_type")
        loader = _GRANT_LOADERS.get(grant) if isinstance(grant, str) else None
        if loader is None:
            raise ValidationError({"grant_type": [f"Must be one of: {', '.join(GRANTS)}."]})
        return loader.load(data)


class TokenResponse(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


# --- learners -----------------------------------------------------------------------------------


class LearnerCreate(StrictSchema):
    name = text(100)
    national_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=18), metadata=NATIONAL_ID
    )
    password = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=8, max=256)
    )


class LearnerPatch(StrictSchema):
    """A correction: only the fields given change; ``national_id: null`` removes the ID."""

    name = fields.String(validate=validate.Length(min=1, max=100))
    national_id = fields.String(
        allow_none=True, validate=validate.Length(min=1, max=18), metadata=NATIONAL_ID
    )

    @validates_schema
    def _something_to_change(self, data: dict, **_: object) -> None:
        if not data:
            raise ValidationError("Give name, national_id or both.")


class LearnerSchema(Schema):
    learner_id = fields.String()
    account_number = fields.String(
        metadata={
            "description": "学习账号: 12 digits, the last a check digit (ISO 7064 MOD 11-2)",
            "example": "318042775096",
        }
    )
    name = fields.String(allow_none=True)
    national_id_masked = fields.String(allow_none=True)
    opened_at = Instant()


class LearnerPage(PageSchema):
    items = fields.List(fields.Nested(LearnerSchema))


class LearnerQuery(PageArgs):
    account_number = fields.String(
        load_default=None,
        validate=validate.Length(max=20),
        metadata={
            "format": "account-number",
            "description": "12 digits, the last a check digit (ISO 7064 MOD 11-2); blanks and "
            "hyphens between them are ignored; any other is a 422.",
        },
    )
    name = fields.String(load_default=None, validate=validate.Length(max=100))


class LearnerSearch(StrictSchema):
    """A lookup by national ID, which travels in the body: never in a URL, so never in an
    access log or a browser's history."""

    national_id = fields.String(
        required=True, validate=validate.Length(min=1, max=18), metadata=NATIONAL_ID
    )


class PasswordChange(StrictSchema):
    old_password = fields.String(load_default=None, validate=validate.Length(max=256))
    new_password = fields.String(required=True, validate=validate.Length(min=8, max=256))


# --- providers and clients ------------------------------------------------------------------------


class ProviderCreate(StrictSchema):
    code = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=32), FullMatch(r"^[A-Za-z0-9_-]+$")],
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


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error is rendered."""

    type = fields.String(metadata={"example": "validation_error"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
