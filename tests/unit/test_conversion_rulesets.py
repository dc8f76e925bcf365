"""Ruleset documents: every problem is named by its field; defaults and amounts normalised."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from creditbank.conversion import (
    Caps,
    RulesetInvalid,
    ruleset_from_document,
    ruleset_in_force,
    validate_ruleset_document,
)
from tests.unit.conversion_factories import make_ruleset

YUNYANG = Path(__file__).resolve().parents[2] / "config" / "rulesets" / "yunyang-2026.json"
MINIMAL = {"name": "云阳县学分转换规则（2026）", "effective_from": "2026-01-01T00:00:00+08:00"}


def errors_of(**fields: Any) -> dict[str, list[str]]:
    """The errors of MINIMAL with ``fields`` added (a value of ... removes the field)."""
    document = {**MINIMAL, **fields}
    document = {k: v for k, v in document.items() if v is not ...}
    with pytest.raises(RulesetInvalid) as caught:
        validate_ruleset_document(document)
    return caught.value.errors


def test_left_out_keys_get_the_documented_defaults() -> None:
    assert validate_ruleset_document(MINIMAL) == {
        **MINIMAL,
        "credit_step": "0.5",
        "validity_years": 5,
        "hours_per_credit": {},
        "certificates": {},
        "skill_levels": {},
        "competitions": {},
        "course_min_score": 60,
        "caps": {"per_year": None, "per_category": {}},
    }


def test_null_means_left_out() -> None:
    normal = validate_ruleset_document({**MINIMAL, "credit_step": None, "caps": None})
    assert (normal["credit_step"], normal["caps"]["per_year"]) == ("0.5", None)


def test_amounts_are_normalised_to_one_decimal_place() -> None:
    normal = validate_ruleset_document(
        {
            **MINIMAL,
            "credit_step": Decimal("1"),
            "hours_per_credit": {"theory": 16, "practice": "24.5"},
            "certificates": {"NCRE-2": Decimal("2"), "1X-BIM": {"senior": "6"}},
            "skill_levels": {5: "2", "1": Decimal("6.0")},
            "competitions": {"national": [4, "3.0", Decimal("2.5")]},
            "caps": {"per_year": "30", "per_category": {"theory": 10}},
        }
    )
    assert normal["credit_step"] == "1.0"
    assert normal["hours_per_credit"] == {"theory": "16.0", "practice": "24.5"}
    assert normal["certificates"] == {"NCRE-2": "2.0", "1X-BIM": {"senior": "6.0"}}
    assert normal["skill_levels"] == {"5": "2.0", "1": "6.0"}
    assert normal["competitions"] == {"national": ["4.0", "3.0", "2.5"]}
    assert normal["caps"] == {"per_year": "30.0", "per_category": {"theory": "10.0"}}


def test_normalising_twice_changes_nothing() -> None:
    document = json.loads(YUNYANG.read_text(encoding="utf-8"), parse_float=Decimal)
    once = validate_ruleset_document(document)
    assert validate_ruleset_document(once) == once


def test_the_yunyang_default_ruleset_is_valid() -> None:
    document = json.loads(YUNYANG.read_text(encoding="utf-8"), parse_float=Decimal)
    normal = validate_ruleset_document(document)
    assert normal["name"] == "云阳县学分银行学分转换规则（2026）"
    ruleset = ruleset_from_document("rs_yunyang", 1, document)
    assert ruleset.hours_per_credit == {"theory": 160, "practice": 240}
    assert ruleset.effective_from == datetime(2025, 12, 31, 16, tzinfo=UTC)
    assert set(ruleset.skill_levels) == {1, 2, 3, 4, 5}
    assert ruleset.caps.per_year == 300
    assert all(
        set(levels) == {"junior", "intermediate", "senior"} or set(levels) == {None}
        for levels in ruleset.certificates.values()
    )


@pytest.mark.parametrize("field", ["name", "effective_from"])
def test_name_and_effective_from_are_required(field: str) -> None:
    assert errors_of(**{field: ...}) == {field: ["required"]}


@pytest.mark.parametrize("name", ["", "   ", "规" * 201, 42])
def test_name_must_be_short_non_empty_text(name: object) -> None:
    assert list(errors_of(name=name)) == ["name"]


@pytest.mark.parametrize(
    "instant",
    [
        "2026-01-01T00:00:00",
        "2026-01-01",
        "2026-01-01 00:00:00+08:00",
        "20260101T000000Z",
        "2026-02-30T00:00:00+08:00",
        20260101,
    ],
)
def test_effective_from_must_be_rfc3339_with_offset(instant: object) -> None:
    assert list(errors_of(effective_from=instant)) == ["effective_from"]


def test_effective_from_accepts_z_and_keeps_the_instant() -> None:
    normal = validate_ruleset_document({**MINIMAL, "effective_from": "2025-12-31T16:00:00Z"})
    assert normal["effective_from"] == "2025-12-31T16:00:00+00:00"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3.25", "at most one digit"),
        ("3.10", "at most one digit"),
        (Decimal("3.25"), "at most one digit"),
        (3.5, "float"),
        (True, "float or boolean"),
        ("-1", "negative"),
        ("abc", "decimal"),
    ],
)
def test_bad_amounts_are_refused_never_rounded(value: object, message: str) -> None:
    errors = errors_of(certificates={"1X-WEB": {"senior": value}})
    assert list(errors) == ["certificates.1X-WEB.senior"]
    assert message in errors["certificates.1X-WEB.senior"][0]


@pytest.mark.parametrize("value", ["0", "-0.5", 0])
def test_credit_step_and_hours_per_credit_must_be_positive(value: object) -> None:
    errors = errors_of(credit_step=value, hours_per_credit={"theory": value})
    assert errors == {
        "credit_step": ["must be greater than 0"],
        "hours_per_credit.theory": ["must be greater than 0"],
    }


def test_unknown_keys_are_named_at_every_level() -> None:
    errors = errors_of(
        unknown_key=1,
        caps={"per_year": "30.0", "per_month": "3.0"},
        certificates={"1X-WEB": {"expert": "8.0", "junior": "2.0"}},
    )
    assert errors == {
        "unknown_key": ["unknown field"],
        "caps.per_month": ["unknown field"],
        "certificates.1X-WEB.expert": ["must be junior, intermediate or senior"],
    }


@pytest.mark.parametrize("key", ["0", "6", "01", "one", 7, True])
def test_skill_levels_run_from_1_to_5(key: object) -> None:
    assert list(errors_of(skill_levels={key: "2.0"})) == [f"skill_levels.{key}"]


def test_competition_scopes_and_ranks() -> None:
    errors = errors_of(
        competitions={
            "international": ["5.0"],
            "national": ["4.0", "3.0", "2.0", "1.0"],
            "provincial": "3.0",
            "municipal": ["2.0", "1.55"],
        }
    )
    assert set(errors) == {
        "competitions.international",
        "competitions.national",
        "competitions.provincial",
        "competitions.municipal.2",
    }


def test_a_certificate_code_with_no_levels_given_is_refused() -> None:
    assert list(errors_of(certificates={"1X-WEB": {}})) == ["certificates.1X-WEB"]


@pytest.mark.parametrize("key", ["", " theory", "a.b", "x" * 65])
def test_table_keys_are_plain_names(key: str) -> None:
    assert list(errors_of(hours_per_credit={key: "16"})) == [f"hours_per_credit.{key}"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("validity_years", 0),
        ("validity_years", 101),
        ("validity_years", "5"),
        ("validity_years", Decimal("5.5")),
        ("course_min_score", -1),
        ("course_min_score", 101),
        ("course_min_score", True),
    ],
)
def test_whole_number_fields_have_ranges(field: str, value: object) -> None:
    assert list(errors_of(**{field: value})) == [field]


def test_whole_numbers_may_arrive_as_decimals() -> None:
    normal = validate_ruleset_document({**MINIMAL, "validity_years": Decimal("10")})
    assert normal["validity_years"] == 10


def test_caps_are_checked_field_by_field() -> None:
    errors = errors_of(caps={"per_year": "-1", "per_category": {"theory": "1.25"}})
    assert set(errors) == {"caps.per_year", "caps.per_category.theory"}


def test_every_problem_is_reported_at_once() -> None:
    errors = errors_of(
        name=...,
        credit_step="0",
        validity_years=0,
        skill_levels={"9": "1.0"},
        caps={"per_year": 1.5},
    )
    assert set(errors) == {
        "name",
        "credit_step",
        "validity_years",
        "skill_levels.9",
        "caps.per_year",
    }


def test_a_document_must_be_an_object() -> None:
    with pytest.raises(RulesetInvalid) as caught:
        validate_ruleset_document(["not", "an", "object"])  # type: ignore[arg-type]
    assert caught.value.errors == {"_schema": ["must be an object"]}


def test_ruleset_from_document_converts_to_tenths() -> None:
    ruleset = ruleset_from_document(
        "rs_1",
        3,
        {
            **MINIMAL,
            "certificates": {"NCRE-2": "2.0", "1X-WEB": {"junior": "2.5"}},
            "competitions": {"national": ["4.0", "3.0"]},
            "caps": {"per_category": {"theory": "10.0"}},
        },
    )
    assert (ruleset.id, ruleset.version, ruleset.credit_step) == ("rs_1", 3, 5)
    assert ruleset.certificates == {"NCRE-2": {None: 20}, "1X-WEB": {"junior": 25}}
    assert ruleset.competitions == {"national": (40, 30)}
    assert ruleset.caps == Caps(per_year=None, per_category={"theory": 100})


def test_ruleset_from_document_refuses_an_invalid_one() -> None:
    with pytest.raises(RulesetInvalid):
        ruleset_from_document("rs_1", 1, {"name": "x"})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_ruleset_in_force_is_the_latest_effective_one() -> None:
    early = make_ruleset("rs_early", effective_from=at("2026-01-01T00:00:00+08:00"))
    later = make_ruleset("rs_later", effective_from=at("2026-07-01T00:00:00+08:00"))
    rulesets = [later, early]
    assert ruleset_in_force(rulesets, at("2025-12-31T23:59:59+08:00")) is None
    assert ruleset_in_force(rulesets, at("2026-01-01T00:00:00+08:00")) is early
    assert ruleset_in_force(rulesets, at("2026-06-30T16:00:00+00:00")) is later
    assert ruleset_in_force(rulesets, at("2026-06-30T15:59:59+00:00")) is early


def test_ruleset_in_force_tie_goes_to_the_higher_version() -> None:
    instant = at("2026-01-01T00:00:00+08:00")
    v1 = make_ruleset("rs_a", version=1, effective_from=instant)
    v2 = make_ruleset("rs_b", version=2, effective_from=instant)
    assert ruleset_in_force([v2, v1], instant) is v2
    assert ruleset_in_force([v1, v2], instant) is v2


def test_ruleset_in_force_needs_an_aware_instant() -> None:
    with pytest.raises(ValueError, match="time zone"):
        ruleset_in_force([make_ruleset()], datetime(2026, 1, 1))  # a naive instant
