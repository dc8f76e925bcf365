"""Request and response schemas of colleges, programmes and enrolments (PROGRAMMES.md
§ Endpoints, "Colleges and their clients", "Programmes and enrolments")."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from creditbank.api.schemas import PageArgs, PageSchema
from creditbank.intake.fields import (
    LEARNER_ID,
    NATIONAL_ID,
    FullMatch,
    Instant,
    PastDate,
    StrictSchema,
    text,
)
from creditbank.labels import PROGRAMME_CATEGORY_NAMES, PROGRAMME_LEVEL_NAMES


def _codes(names: dict[str, str], what: str) -> dict[str, str]:
    listed = ", ".join(f"`{code}` {name}" for code, name in names.items())
    return {"description": f"{what}: {listed}."}


LEVEL = _codes(PROGRAMME_LEVEL_NAMES, "教育层次代码, the national record's level code")
CATEGORY = _codes(PROGRAMME_CATEGORY_NAMES, "教育类别代码, the national record's category code")

# --- colleges -------------------------------------------------------------------------------------


class CollegeCreate(StrictSchema):
    school_code = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=16), FullMatch(r"^[A-Z0-9-]+$")],
        metadata={
            "description": "转换学校代码, the code the bank gives the college",
            "example": "CQ1024",
        },
    )
    name = text(200)


class CollegePatch(StrictSchema):
    name = text(200)


class CollegeSchema(Schema):
    id = fields.String()
    school_code = fields.String()
    name = fields.String()
    created_at = Instant()
    disabled_at = Instant(allow_none=True)


class CollegePage(PageSchema):
    items = fields.List(fields.Nested(CollegeSchema))


# --- programmes -----------------------------------------------------------------------------------


class ProgrammeCreate(StrictSchema):
    code = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=16), FullMatch(r"^[A-Za-z0-9]+$")],
        metadata={"description": "The national programme code", "example": "510203"},
    )
    name = text(100)
    level_code = fields.String(
        required=True, validate=validate.OneOf(list(PROGRAMME_LEVEL_NAMES)), metadata=LEVEL
    )
    category_code = fields.String(
        required=True, validate=validate.OneOf(list(PROGRAMME_CATEGORY_NAMES)), metadata=CATEGORY
    )


class ProgrammePatch(StrictSchema):
    name = text(100)


class ProgrammeQuery(PageArgs):
    college_id = fields.String(load_default=None, validate=validate.Length(max=40))


class CatalogueInForce(Schema):
    """The catalogue version in force now: its credits and caps."""

    id = fields.String()
    version = fields.Integer()
    total_credits = fields.String(metadata={"example": "120.0"})
    share_cap = fields.String(metadata={"example": "60.0"})
    online_cap = fields.String(metadata={"example": "30.0"})
    per_source = fields.String(allow_none=True, metadata={"example": "8.0"})


class ProgrammeSchema(Schema):
    id = fields.String()
    college_id = fields.String()
    school_code = fields.String()
    code = fields.String()
    name = fields.String()
    level_code = fields.String(metadata=LEVEL)
    level = fields.String()
    category_code = fields.String(metadata=CATEGORY)
    category = fields.String()
    created_at = Instant()
    disabled_at = Instant(allow_none=True)
    catalogue = fields.Nested(CatalogueInForce, allow_none=True)


class ProgrammePage(PageSchema):
    items = fields.List(fields.Nested(ProgrammeSchema))


# --- enrolments -----------------------------------------------------------------------------------


class EnrolmentCreate(StrictSchema):
    learner_id = fields.String(
        required=True, validate=validate.Length(min=1, max=40), metadata=LEARNER_ID
    )
    national_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=18),
        metadata=NATIONAL_ID,
    )
    student_no = text(32)
    enrolled_on = PastDate(required=True)


class EnrolmentEnd(StrictSchema):
    ended_on = PastDate(required=True)
    reason = text(200)


class EnrolmentSchema(Schema):
    learner_id = fields.String()
    programme_id = fields.String()
    student_no = fields.String(allow_none=True)
    enrolled_on = fields.Date()
    ended_on = fields.Date(allow_none=True)
    end_reason = fields.String(allow_none=True)
    created_at = Instant()


class EnrolmentPage(PageSchema):
    items = fields.List(fields.Nested(EnrolmentSchema))
