"""Schemas of catalogues (PROGRAMMES.md § Domain model, *Catalogues*, *Equivalences*): the
document as ``POST /programmes/{id}/catalogues`` takes it (:data:`NEW_CATALOGUE`, a JSON Schema
of what :func:`creditbank.transfer.validate_catalogue_document` accepts), a published version
as every reader gets it, and an upload's dry-run report."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from creditbank.api.ledger_schemas import _SPACE, NEW_RULESET, RowError
from creditbank.api.schemas import PageSchema
from creditbank.conversion.rulesets import CERTIFICATE_LEVELS, COMPETITION_SCOPES, SKILL_LEVELS
from creditbank.domain.amounts import amount_pattern
from creditbank.transfer.catalogues import (
    MAX_COURSE_CREDITS,
    MAX_COURSE_NAME,
    MAX_COURSES,
    MAX_EQUIVALENCES,
    MAX_TOTAL_CREDITS,
)
from creditbank.transfer.equivalence_documents import GRADE_WORDS, MAX_CODE, MAX_INSTITUTION

SCHEMAS = "#/components/schemas/"
EQUIVALENCE_KINDS = ("certificate", "skill_level", "competition", "course", "credits")
# A character of text that is not space (as str.strip sees it, like a ruleset's name), nor NUL.
_KEPT = _SPACE.replace("[", "[^\\u0000", 1)


def _amount(low: int, high: int, **more: Any) -> dict[str, Any]:
    """An amount of ``low`` to ``high`` tenths, as a decimal string or a number."""
    text = {"type": "string", "pattern": amount_pattern(low, high)}
    number = {
        "type": "number",
        "minimum": low / 10,
        "maximum": high / 10,
        "multipleOf": 0.1,
    }
    return {"anyOf": [text, number], **more}


def _text(longest: int, **more: Any) -> dict[str, Any]:
    """Text of 1 to ``longest`` characters once the spaces around it are stripped (the server
    strips them), no NUL."""
    inner = f"(?:[^\\u0000]{{0,{longest - 2}}}{_KEPT})?"
    return {"type": "string", "pattern": f"^{_SPACE}*{_KEPT}{inner}{_SPACE}*$", **more}


def _whole(low: int, high: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high, "nullable": True}


def _grade(levels: tuple[str, ...] = (), *also: str) -> dict[str, Any]:
    words = {"type": "string", "enum": [*GRADE_WORDS, *also]}
    if not levels:
        return {**words, "nullable": True}
    by_level = {
        "type": "object",
        "additionalProperties": False,
        "properties": {level: {"type": "string", "enum": list(GRADE_WORDS)} for level in levels},
        "description": "Grades by level; a level left out gives 合格.",
    }
    return {"anyOf": [words, by_level], "nullable": True}


def _equivalence(kind: str, required: list[str], **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["kind", *required],
        "properties": {
            "kind": {"type": "string", "enum": [kind]},
            **properties,
            "online": {"type": "boolean", "nullable": True, "description": "Default false."},
        },
    }


EQUIVALENCES: dict[str, dict[str, Any]] = {
    "NewCertificateEquivalence": _equivalence(
        "certificate",
        ["certificate_code"],
        certificate_code=_text(MAX_CODE),
        min_level={"type": "string", "enum": list(CERTIFICATE_LEVELS), "nullable": True},
        grade=_grade(CERTIFICATE_LEVELS),
    ),
    "NewSkillLevelEquivalence": _equivalence(
        "skill_level",
        ["occupation_code"],
        occupation_code=_text(MAX_CODE),
        min_level=_whole(1, 5),
        grade=_grade(SKILL_LEVELS),
    ),
    "NewCompetitionEquivalence": _equivalence(
        "competition",
        ["scopes"],
        scopes={
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"type": "string", "enum": list(COMPETITION_SCOPES)},
        },
        max_rank=_whole(1, 3),
        grade=_grade(("1", "2", "3")),
    ),
    "NewCourseEquivalence": _equivalence(
        "course",
        ["course_code"],
        course_code=_text(MAX_CODE),
        institution=_text(MAX_INSTITUTION, nullable=True),
        min_score=_whole(60, 100),
        grade=_grade((), "score"),
    ),
    "NewCreditsEquivalence": _equivalence(
        "credits",
        ["category", "min_credits"],
        category={"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"},
        min_credits=_amount(1, 10**19 - 1),
        grade=_grade(),
    ),
}
EQUIVALENCE = {
    "oneOf": [{"$ref": f"{SCHEMAS}{name}"} for name in EQUIVALENCES],
    "discriminator": {
        "propertyName": "kind",
        "mapping": {
            kind: f"{SCHEMAS}{name}"
            for kind, name in zip(EQUIVALENCE_KINDS, EQUIVALENCES, strict=True)
        },
    },
}
NEW_COURSE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["code", "name", "credits"],
    "properties": {
        "code": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$"},
        "name": _text(MAX_COURSE_NAME),
        "credits": _amount(1, MAX_COURSE_CREDITS),
        "kind": {"type": "string", "enum": ["theory", "practice"], "nullable": True},
        "equivalences": {
            "type": "array",
            "nullable": True,
            "maxItems": MAX_EQUIVALENCES,
            "items": {"$ref": f"{SCHEMAS}NewEquivalence"},
        },
    },
    "description": "Course codes are unique in a catalogue.",
}
NEW_CATALOGUE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "effective_from", "total_credits", "courses"],
    "properties": {
        "name": NEW_RULESET["properties"]["name"],
        "effective_from": NEW_RULESET["properties"]["effective_from"],
        "total_credits": _amount(1, MAX_TOTAL_CREDITS),
        "caps": {
            "type": "object",
            "nullable": True,
            "additionalProperties": False,
            "properties": {
                "share_percent": _whole(0, 100),
                "online_share_percent": _whole(0, 100),
                "per_source": _amount(
                    0, 10**19 - 1, nullable=True, description="null: no cap; left out: 8.0"
                ),
            },
        },
        "courses": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_COURSES,
            "items": {"$ref": f"{SCHEMAS}NewCourse"},
        },
    },
}
COMPONENTS = {
    **EQUIVALENCES,
    "NewEquivalence": EQUIVALENCE,
    "NewCourse": NEW_COURSE,
    "NewCatalogue": NEW_CATALOGUE,
}


# --- as published ------------------------------------------------------------------------------


class CatalogueEquivalenceSchema(Schema):
    """A normalised equivalence: ``kind``, ``online``, ``grade`` and every field of its kind."""

    kind = fields.String(metadata={"enum": list(EQUIVALENCE_KINDS)})
    certificate_code = fields.String()
    occupation_code = fields.String()
    course_code = fields.String()
    category = fields.String()
    min_level = fields.Raw(
        allow_none=True,
        metadata={"description": "certificate: junior/intermediate/senior or null; skill: 1–5"},
    )
    scopes = fields.List(fields.String(metadata={"enum": list(COMPETITION_SCOPES)}))
    max_rank = fields.Integer()
    institution = fields.String(allow_none=True)
    min_score = fields.Integer()
    min_credits = fields.String(metadata={"example": "3.0"})
    online = fields.Boolean()
    grade = fields.Raw(
        metadata={"description": 'a grade word, "score", or grade words by level or rank'}
    )


class CatalogueCourseSchema(Schema):
    code = fields.String()
    name = fields.String()
    credits = fields.String(metadata={"example": "4.0"})
    kind = fields.String(metadata={"enum": ["theory", "practice"]})
    equivalences = fields.List(fields.Nested(CatalogueEquivalenceSchema))


class CatalogueCaps(Schema):
    share_percent = fields.Integer()
    online_share_percent = fields.Integer()
    per_source = fields.String(allow_none=True, metadata={"example": "8.0"})


class CatalogueSchema(Schema):
    """A published catalogue version: the normalised document, defaults filled in."""

    id = fields.String()
    programme_id = fields.String()
    version = fields.Integer()
    published_at = fields.String()
    published_by = fields.String(allow_none=True)
    name = fields.String()
    effective_from = fields.String()
    total_credits = fields.String(metadata={"example": "120.0"})
    caps = fields.Nested(CatalogueCaps)
    courses = fields.List(fields.Nested(CatalogueCourseSchema))


class CataloguePage(PageSchema):
    items = fields.List(fields.Nested(CatalogueSchema))


class CatalogueDocument(Schema):
    """A normalised catalogue document, as it would be published."""

    name = fields.String()
    effective_from = fields.String()
    total_credits = fields.String()
    caps = fields.Nested(CatalogueCaps)
    courses = fields.List(fields.Nested(CatalogueCourseSchema))


class CatalogueRowError(RowError):
    row = fields.Integer(
        allow_none=True, metadata={"description": "null: a form field (column is its path)"}
    )


class CatalogueDryRun(Schema):
    """A sheet checked, nothing published: what would be, and every error found."""

    dry_run = fields.Boolean(metadata={"enum": [True]})
    valid = fields.Boolean()
    rows = fields.Integer()
    courses = fields.Integer()
    catalogue = fields.Nested(CatalogueDocument, allow_none=True)
    errors = fields.List(fields.Nested(CatalogueRowError))
