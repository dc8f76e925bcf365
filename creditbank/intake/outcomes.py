"""Outcomes as providers send them (API.md § Outcomes): one schema per kind, and the reading
of one outcome or a batch into validated, normalised commands for the posting service.

A JSON body, a spreadsheet row and a CLI import all go through :func:`load_outcome`, so an
outcome follows exactly the same rules whichever way it comes in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, missing, validate

from creditbank.domain.errors import ValidationFailed
from creditbank.intake.fields import LEARNER_ID, Amount, FullMatch, PastDate, StrictSchema, text
from creditbank.intake.json_documents import flatten_errors

MAX_BATCH = 1000
KINDS = ("training_hours", "certificate", "skill_level", "competition", "course", "informal")


def kind_field(*kinds: str) -> fields.String:
    """``kind``: one of ``kinds``; each kind's schema names only its own, so the OpenAPI
    document's discriminator on ``kind`` selects the schema the server reads it with."""
    return fields.String(required=True, validate=validate.OneOf(kinds))


_CATEGORY_NAME = FullMatch(r"^[A-Za-z0-9_.-]+$")


class OutcomeCommon(StrictSchema):
    learner_id = fields.String(
        required=True, validate=validate.Length(min=1, max=40), metadata=LEARNER_ID
    )
    external_ref = fields.String(
        required=True,
        validate=validate.Length(min=1, max=128),
        metadata={
            "format": "external-ref",
            "description": "The provider's idempotency key: once per batch; posted again with "
            "the same body, the original result; with another body, 409.",
        },
    )
    kind = kind_field(*KINDS)
    achieved_on = PastDate(
        required=True, metadata={"description": "Not after today (Asia/Shanghai)."}
    )
    title = text(200, required=False)
    category = fields.String(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(min=1, max=64), _CATEGORY_NAME],
    )


class TrainingHoursOutcome(OutcomeCommon):
    kind = kind_field("training_hours")
    hours = Amount(required=True, minimum=1, maximum=20000)
    category = fields.String(
        required=True,
        # As every category is named; the document says the stronger rule (a key of the
        # ruleset in force) with its format, not with this pattern beside it.
        validate=[validate.Length(min=1, max=64), lambda name: _CATEGORY_NAME(name)],
        metadata={
            "format": "hours-category",
            "description": "A key of hours_per_credit in the ruleset in force; another is a 422.",
        },
    )


class CertificateOutcome(OutcomeCommon):
    kind = kind_field("certificate")
    certificate_code = text(64)
    level = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["junior", "intermediate", "senior"]),
    )
    certificate_no = text(64)
    valid_until = fields.Date(load_default=None, allow_none=True)


class SkillLevelOutcome(OutcomeCommon):
    kind = kind_field("skill_level")
    occupation_code = text(64)
    level = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    certificate_no = text(64)


class CompetitionOutcome(OutcomeCommon):
    kind = kind_field("competition")
    scope = fields.String(
        required=True, validate=validate.OneOf(["national", "provincial", "municipal", "county"])
    )
    rank = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=3))
    event = text(200)


class CourseOutcome(OutcomeCommon):
    kind = kind_field("course")
    course_code = text(64)
    credits = Amount(required=True, minimum=0, maximum=1000)
    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100))
    institution = text(200)


class InformalOutcome(OutcomeCommon):
    kind = kind_field("informal")
    description = text(2000)


OUTCOME_SCHEMAS: dict[str, type[OutcomeCommon]] = dict(
    zip(
        KINDS,
        (
            TrainingHoursOutcome,
            CertificateOutcome,
            SkillLevelOutcome,
            CompetitionOutcome,
            CourseOutcome,
            InformalOutcome,
        ),
        strict=True,
    )
)

# One instance per kind serves every request, as flask-smorest does with its own schemas: a
# schema keeps no state between loads, and building one costs more than a load does.
_LOADERS = {kind: schema() for kind, schema in OUTCOME_SCHEMAS.items()}

FastLoad = Callable[[Mapping[str, Any]], dict[str, Any] | None]


def fast_loader(schema: Schema) -> FastLoad:
    """``schema.load`` of a valid outcome in half the time, or ``None`` for any other.

    Each field still reads its value itself (``Field.deserialize``: its type, its validators,
    ``null``), so a valid outcome loads to the very dict the schema gives; what is skipped is
    the schema's own machinery (hooks, error collection, unknown-field bookkeeping), which
    outcome schemas do not use: a schema that has hooks or renamed fields is refused here.
    Errors never come from this path: on ``None`` the caller loads with the schema, whose
    messages are the ones answered.
    """
    loaded = list(schema.load_fields.items())
    if any(hooks for hooks in schema._hooks.values()) or any(
        field.data_key not in (None, name) or field.attribute not in (None, name)
        for name, field in loaded
    ):
        raise ValueError(f"{type(schema).__name__} has hooks or renamed fields")
    names = frozenset(name for name, _ in loaded)

    def load(raw: Mapping[str, Any]) -> dict[str, Any] | None:
        if not raw.keys() <= names:
            return None  # an unknown field
        result: dict[str, Any] = {}
        for name, field in loaded:
            if name in raw:
                try:
                    result[name] = field.deserialize(raw[name])
                except ValidationError:
                    return None
            elif field.required:
                return None
            elif field.load_default is not missing:
                default = field.load_default
                result[name] = default() if callable(default) else default
        return result

    return load


_FAST_LOADERS = {kind: fast_loader(schema) for kind, schema in _LOADERS.items()}


def parse_outcomes(payload: Any) -> tuple[list[dict[str, Any]], bool]:
    """One outcome or ``{"items": [...]}``, each validated by its kind's schema."""
    if not isinstance(payload, dict):
        raise ValidationFailed(errors={"body": ["Expected a JSON object."]})
    batch = "items" in payload and "kind" not in payload
    if not batch:
        return [load_outcome(payload, "")], False
    if set(payload) != {"items"}:
        extra = sorted(set(payload) - {"items"})
        raise ValidationFailed(errors={name: ["Unknown field."] for name in extra})
    raw_items = payload["items"]
    if not isinstance(raw_items, list) or not 1 <= len(raw_items) <= MAX_BATCH:
        raise ValidationFailed(errors={"items": [f"Expected a list of 1 to {MAX_BATCH} outcomes."]})
    errors: dict[str, list[str]] = {}
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_items):
        try:
            item = load_outcome(raw, f"items.{index}")
        except ValidationFailed as exc:
            errors.update(exc.errors or {})
            continue
        if item["external_ref"] in seen:
            errors[f"items.{index}.external_ref"] = ["Repeats an earlier item of this batch."]
        seen.add(item["external_ref"])
        items.append(item)
    if errors:
        raise ValidationFailed(errors=errors)
    return items, True


def load_outcome(raw: Any, path: str) -> dict[str, Any]:
    """One outcome validated by its kind's schema; errors keyed under ``path`` (spreadsheet
    uploads validate each row with this too, so both follow exactly the same rules)."""
    prefix = f"{path}." if path else ""
    if not isinstance(raw, dict):
        raise ValidationFailed(errors={path or "body": ["Expected a JSON object."]})
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in _LOADERS:  # (a list is unhashable)
        kinds = ", ".join(OUTCOME_SCHEMAS)
        raise ValidationFailed(errors={f"{prefix}kind": [f"Must be one of: {kinds}."]})
    fast = _FAST_LOADERS[kind](raw)
    if fast is not None:
        return fast
    try:
        loaded: dict[str, Any] = _LOADERS[kind].load(raw)  # marshmallow types load() as Any
    except ValidationError as exc:
        raise ValidationFailed(errors=flatten_errors(exc.messages, path)) from exc
    return loaded
