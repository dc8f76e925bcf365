"""An outcome loads to the very dict its marshmallow schema gives, and a bad one is refused with
the schema's very errors, although a valid one no longer goes through the schema's machinery."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from marshmallow import Schema, ValidationError, fields, post_load

from creditbank.domain.errors import ValidationFailed
from creditbank.intake.fields import today_in_shanghai
from creditbank.intake.json_documents import flatten_errors
from creditbank.intake.outcomes import OUTCOME_SCHEMAS, fast_loader, parse_outcomes

PAST = (today_in_shanghai() - timedelta(days=30)).isoformat()
COMMON = {"learner_id": "L01", "external_ref": "ref-1", "achieved_on": PAST}
VALID = [
    {**COMMON, "kind": "training_hours", "category": "practice", "hours": "6"},
    {**COMMON, "kind": "training_hours", "category": "practice", "hours": 12, "title": "焊工"},
    {
        **COMMON,
        "kind": "certificate",
        "certificate_code": "C1",
        "certificate_no": "N1",
        "level": None,
        "valid_until": "2030-01-01",
    },
    {**COMMON, "kind": "skill_level", "occupation_code": "6-01", "level": 3, "certificate_no": "1"},
    {**COMMON, "kind": "competition", "scope": "county", "rank": 1, "event": "技能大赛"},
    {
        **COMMON,
        "kind": "course",
        "course_code": "C",
        "credits": "2.5",
        "score": 90,
        "institution": "x",
    },
    {**COMMON, "kind": "informal", "description": "志愿服务", "category": None},
]
TRAINING = VALID[0]
# Well past tomorrow: the list is made at collection, and a run may cross midnight in Shanghai.
FUTURE = (today_in_shanghai() + timedelta(days=30)).isoformat()
INVALID = [
    {k: v for k, v in TRAINING.items() if k != "hours"},  # a missing field
    {k: v for k, v in TRAINING.items() if k != "learner_id"},
    {**TRAINING, "hours": [6]},  # a wrong type
    {**TRAINING, "learner_id": 7},
    {**TRAINING, "achieved_on": "2026-02-30"},  # a bad date
    {**TRAINING, "achieved_on": FUTURE},
    {**TRAINING, "achieved_on": None},
    {**TRAINING, "hours": "6.25"},
    {**TRAINING, "hours": "0"},
    {**TRAINING, "category": "two words"},
    {**TRAINING, "external_ref": ""},
    {**TRAINING, "surplus": 1},  # an unknown field
    {**TRAINING, "kind": "certificate"},  # the fields of another kind
    {**VALID[3], "level": "3"},  # not strictly an integer
    {**VALID[4], "rank": 4},
]


def schema_load(raw: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = OUTCOME_SCHEMAS[raw["kind"]]().load(raw)
    return loaded


@pytest.mark.parametrize("raw", VALID)
def test_a_valid_outcome_loads_as_its_schema_loads_it(raw: dict[str, Any]) -> None:
    expected = schema_load(raw)
    (loaded,), batch = parse_outcomes(raw)
    assert not batch
    assert loaded == expected
    assert list(loaded) == list(expected)  # the same order too
    assert fast_loader(OUTCOME_SCHEMAS[raw["kind"]]())(raw) == expected  # not by the schema


@pytest.mark.parametrize("raw", INVALID)
def test_a_bad_outcome_is_left_to_its_schema(raw: dict[str, Any]) -> None:
    schema = OUTCOME_SCHEMAS.get(raw["kind"]) or OUTCOME_SCHEMAS["training_hours"]
    assert fast_loader(schema())(raw) is None


@pytest.mark.parametrize("raw", INVALID)
def test_a_bad_outcome_has_the_schemas_very_errors(raw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as by_schema:
        schema_load(raw)
    with pytest.raises(ValidationFailed) as answered:
        parse_outcomes(raw)
    assert answered.value.errors == flatten_errors(by_schema.value.messages, "")


@pytest.mark.parametrize("kind", ["", "nonsense", ["informal"], None])
def test_an_unknown_kind_is_named(kind: Any) -> None:
    with pytest.raises(ValidationFailed) as answered:
        parse_outcomes({**TRAINING, "kind": kind})
    assert list(answered.value.errors or {}) == ["kind"]


def test_a_bad_item_of_a_batch_is_keyed_by_its_place() -> None:
    items = [TRAINING, {**TRAINING, "external_ref": "ref-2", "hours": "x"}]
    with pytest.raises(ValidationError) as by_schema:
        schema_load(items[1])
    with pytest.raises(ValidationFailed) as answered:
        parse_outcomes({"items": items})
    assert answered.value.errors == flatten_errors(by_schema.value.messages, "items.1")


def test_a_schema_with_hooks_has_no_fast_loader() -> None:
    class Hooked(Schema):
        name = fields.String()

        @post_load
        def upper(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
            return {"name": data["name"].upper()}

    with pytest.raises(ValueError, match="hooks"):
        fast_loader(Hooked())
