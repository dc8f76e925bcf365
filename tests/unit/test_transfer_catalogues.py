"""Catalogue documents (PROGRAMMES.md § Domain model, *Catalogues*): every bad path named at
once, defaults filled in, caps rounded down to tenths, and the version in force."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from creditbank.transfer import (
    CatalogueInvalid,
    CourseKind,
    EquivalenceKind,
    cap_of,
    catalogue_from_document,
    catalogue_in_force,
    validate_catalogue_document,
)
from tests.unit.transfer_factories import C1, c1


def errors_of(document: Any) -> dict[str, list[str]]:
    with pytest.raises(CatalogueInvalid) as caught:
        validate_catalogue_document(document)
    return caught.value.errors


def with_course(**fields: Any) -> dict[str, Any]:
    """C1 whose first course has ``fields`` replaced."""
    document = copy.deepcopy(C1)
    document["courses"][0].update(fields)
    return document


def with_equivalence(**fields: Any) -> dict[str, Any]:
    """C1 whose first course has one equivalence, ``fields``."""
    return with_course(equivalences=[fields])


def test_c1_normalises_with_every_default_filled_in():
    normal = validate_catalogue_document(C1)

    assert normal["total_credits"] == "120.0"
    assert normal["caps"] == {"share_percent": 50, "online_share_percent": 25, "per_source": "8.0"}
    assert normal["effective_from"] == "2026-09-01T00:00:00+08:00"
    assert normal["courses"][0]["equivalences"] == [
        {
            "kind": "certificate",
            "certificate_code": "1X-WEB-FRONTEND",
            "min_level": "intermediate",
            "online": False,
            "grade": {"intermediate": "良好", "senior": "优秀"},
        }
    ]
    assert normal["courses"][1]["equivalences"][1] == {
        "kind": "course",
        "course_code": "CS-JS-01",
        "institution": "中国大学MOOC",
        "min_score": 60,
        "online": True,
        "grade": "score",
    }
    assert normal["courses"][5]["equivalences"] == []
    assert validate_catalogue_document(normal) == normal  # normalising is idempotent


def test_keys_left_out_take_the_documented_defaults():
    document = {
        "name": "最小目录",
        "effective_from": "2026-09-01T00:00:00+08:00",
        "total_credits": "100",
        "courses": [{"code": "A1", "name": "课程", "credits": "2"}],
    }
    normal = validate_catalogue_document(document)

    assert normal["caps"] == {"share_percent": 50, "online_share_percent": 25, "per_source": "8.0"}
    assert normal["courses"] == [
        {"code": "A1", "name": "课程", "credits": "2.0", "kind": "theory", "equivalences": []}
    ]


def test_null_caps_take_defaults_but_a_null_per_source_means_no_cap():
    document = {
        **C1,
        "caps": {"share_percent": None, "online_share_percent": None, "per_source": None},
    }

    assert validate_catalogue_document(document)["caps"] == {
        "share_percent": 50,
        "online_share_percent": 25,
        "per_source": None,
    }
    assert c1(caps={"per_source": None}).caps.per_source is None


def test_equivalence_defaults_per_kind():
    equivalences = [
        {"kind": "certificate", "certificate_code": "NCRE-2"},
        {"kind": "skill_level", "occupation_code": "4-04-05-01"},
        {"kind": "competition", "scopes": ["provincial", "national"]},
        {"kind": "course", "course_code": "C-1"},
        {"kind": "credits", "category": "practice", "min_credits": 3},
    ]
    normal = validate_catalogue_document(with_course(equivalences=equivalences))

    common = {"online": False, "grade": "合格"}
    assert normal["courses"][0]["equivalences"] == [
        {"kind": "certificate", "certificate_code": "NCRE-2", "min_level": None, **common},
        {"kind": "skill_level", "occupation_code": "4-04-05-01", "min_level": 5, **common},
        {"kind": "competition", "scopes": ["national", "provincial"], "max_rank": 3, **common},
        {"kind": "course", "course_code": "C-1", "institution": None, "min_score": 60, **common},
        {"kind": "credits", "category": "practice", "min_credits": "3.0", **common},
    ]


def test_every_bad_path_is_named_at_once():
    document = {
        "name": "",
        "effective_from": "2026-09-01 00:00",
        "total_credits": "0",
        "caps": {"share_percent": 101, "online_share_percent": "25", "per_source": "-1", "x": 1},
        "courses": [
            {"code": "WEB.101", "name": "", "credits": "30.1", "kind": "lab"},
            {"code": "A", "name": "n", "credits": "1.25", "equivalences": [{"kind": "diploma"}]},
        ],
        "extra": True,
    }

    assert set(errors_of(document)) == {
        "name",
        "effective_from",
        "total_credits",
        "caps.share_percent",
        "caps.online_share_percent",
        "caps.per_source",
        "caps.x",
        "courses.0.code",
        "courses.0.name",
        "courses.0.credits",
        "courses.0.kind",
        "courses.1.credits",
        "courses.1.equivalences.0.kind",
        "extra",
    }


@pytest.mark.parametrize(
    ("total", "valid"),
    [("300.0", True), ("300.1", False), ("0.1", True), ("-1", False), (Decimal("1.25"), False)],
)
def test_total_credits_above_0_up_to_300(total, valid):
    document = {**C1, "total_credits": total}
    if valid:
        validate_catalogue_document(document)
    else:
        assert list(errors_of(document)) == ["total_credits"]


@pytest.mark.parametrize(("credits", "valid"), [("30.0", True), ("30.1", False), ("0", False)])
def test_course_credits_above_0_up_to_30(credits, valid):
    document = with_course(credits=credits)
    if valid:
        validate_catalogue_document(document)
    else:
        assert list(errors_of(document)) == ["courses.0.credits"]


def test_course_codes_are_unique_and_dotless():
    document = copy.deepcopy(C1)
    document["courses"][3]["code"] = "WEB101"
    document["courses"][4]["code"] = "x" * 33

    errors = errors_of(document)

    assert errors == {
        "courses.3.code": ["given twice (also courses.0)"],
        "courses.4.code": ["must be 1–32 letters, digits, _ or - (no dots)"],
    }


@pytest.mark.parametrize(("count", "valid"), [(0, False), (1, True), (500, True), (501, False)])
def test_one_to_500_courses(count, valid):
    courses = [{"code": f"C{i}", "name": "课", "credits": "1"} for i in range(count)]
    document = {**C1, "courses": courses}
    if valid:
        assert len(validate_catalogue_document(document)["courses"]) == count
    else:
        assert list(errors_of(document)) == ["courses"]


def test_at_most_20_equivalences_per_course():
    one = {"kind": "certificate", "certificate_code": "NCRE-2"}
    validate_catalogue_document(with_course(equivalences=[one] * 20))

    assert list(errors_of(with_course(equivalences=[one] * 21))) == ["courses.0.equivalences"]


@pytest.mark.parametrize(
    ("equivalence", "path"),
    [
        ({"kind": "certificate"}, "certificate_code"),
        ({"kind": "certificate", "certificate_code": "X", "min_level": "expert"}, "min_level"),
        ({"kind": "certificate", "certificate_code": "X", "min_score": 60}, "min_score"),
        ({"kind": "skill_level", "occupation_code": "X", "min_level": 6}, "min_level"),
        ({"kind": "skill_level", "occupation_code": "X", "min_level": True}, "min_level"),
        ({"kind": "competition", "scopes": []}, "scopes"),
        ({"kind": "competition", "scopes": ["national", "national"]}, "scopes"),
        ({"kind": "competition", "scopes": ["world"]}, "scopes"),
        ({"kind": "competition", "scopes": ["county"], "max_rank": 4}, "max_rank"),
        ({"kind": "course", "course_code": "C", "min_score": 59}, "min_score"),
        ({"kind": "course", "course_code": "C", "institution": " "}, "institution"),
        ({"kind": "credits", "category": "prac tice", "min_credits": "1"}, "category"),
        ({"kind": "credits", "category": "practice"}, "min_credits"),
        ({"kind": "credits", "category": "practice", "min_credits": "0"}, "min_credits"),
        (
            {"kind": "credits", "category": "practice", "min_credits": "1", "grade": "score"},
            "grade",
        ),
        (
            {"kind": "credits", "category": "practice", "min_credits": "1", "grade": {"1": "优秀"}},
            "grade",
        ),
        ({"kind": "certificate", "certificate_code": "X", "grade": "score"}, "grade"),
        ({"kind": "certificate", "certificate_code": "X", "grade": "A+"}, "grade"),
        (
            {"kind": "certificate", "certificate_code": "X", "grade": {"expert": "优秀"}},
            "grade.expert",
        ),
        ({"kind": "skill_level", "occupation_code": "X", "grade": {"1": "满分"}}, "grade.1"),
        ({"kind": "certificate", "certificate_code": "X", "online": "yes"}, "online"),
    ],
)
def test_equivalence_fields_are_checked_by_kind(equivalence, path):
    assert list(errors_of(with_equivalence(**equivalence))) == [f"courses.0.equivalences.0.{path}"]


def test_grades_by_level_keep_the_named_levels_only():
    equivalence = {
        "kind": "competition",
        "scopes": ["national"],
        "grade": {"2": "良好", "1": "优秀"},
    }

    normal = validate_catalogue_document(with_equivalence(**equivalence))

    assert normal["courses"][0]["equivalences"][0]["grade"] == {"1": "优秀", "2": "良好"}


def test_required_fields_and_objects_are_named():
    document = {**C1, "total_credits": None}
    document["courses"] = [{**C1["courses"][0], "equivalences": ["certificate"]}]
    document.pop("name")

    assert errors_of(document) == {
        "name": ["required"],
        "total_credits": ["required"],
        "courses.0.equivalences.0": ["must be an object"],
    }


def test_a_course_that_is_not_an_object_is_named_once():
    document = {**C1, "courses": ["WEB101", *C1["courses"][1:]]}

    assert errors_of(document) == {"courses.0": ["must be an object"]}


def test_a_bad_grade_says_what_its_kind_takes():
    errors = errors_of(with_equivalence(kind="course", course_code="C", grade="A"))

    assert errors == {
        "courses.0.equivalences.0.grade": ['must be one of 优秀/良好/中等/合格, or "score"']
    }


def test_not_an_object_is_refused_whole():
    assert errors_of(["not", "a", "catalogue"]) == {"_schema": ["must be an object"]}


def test_the_rules_read_amounts_in_tenths_and_refs_as_dotted_paths():
    catalogue = c1()

    assert (catalogue.total_credits, catalogue.caps.per_source) == (1200, 80)
    assert catalogue.effective_from == datetime(2026, 8, 31, 16, 0, tzinfo=UTC)
    web, js = catalogue.courses[0], catalogue.courses[1]
    assert (web.code, web.credits, web.kind) == ("WEB101", 40, CourseKind.PRACTICE)
    assert [e.ref for e in js.equivalences] == [
        "courses.JS102.equivalences.0",
        "courses.JS102.equivalences.1",
    ]
    assert js.equivalences[1].kind is EquivalenceKind.COURSE and js.equivalences[1].online


def test_a_raw_document_is_validated_again_before_the_rules_read_it():
    with pytest.raises(CatalogueInvalid):
        catalogue_from_document("cat_1", "pg_1", 1, {**C1, "total_credits": "0"})


@pytest.mark.parametrize(
    ("total", "percent", "cap"),
    [(1200, 50, 600), (1200, 25, 300), (1250, 25, 312), (160, 15, 24), (160, 50, 80), (1200, 0, 0)],
)
def test_caps_are_rounded_down_to_tenths(total, percent, cap):
    """120.0 × 50% = 60.0; 120.0 × 25% = 30.0; 125.0 × 25% = 31.25 → 31.2; 16.0 × 15% = 2.4."""
    assert cap_of(total, percent) == cap


def test_the_catalogue_caps_come_from_its_own_totals():
    catalogue = c1(total_credits="16.0", caps={"share_percent": 50, "online_share_percent": 15})

    assert (catalogue.share_cap, catalogue.online_cap) == (80, 24)


def test_in_force_is_the_latest_effective_from_a_tie_to_the_higher_version():
    v1 = c1("cat_1", version=1)
    v2 = c1("cat_2", version=2, effective_from="2026-10-01T00:00:00+08:00")
    v3 = c1("cat_3", version=3, effective_from="2026-10-01T00:00:00+08:00")
    before = datetime(2026, 8, 31, 15, 59, tzinfo=UTC)
    september = datetime(2026, 9, 15, tzinfo=UTC)
    october_first = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)  # 00:00 in Shanghai

    assert catalogue_in_force([v1, v2, v3], before) is None
    assert catalogue_in_force([v1, v2, v3], september) == v1
    assert catalogue_in_force([v3, v1, v2], october_first) == v3
    with pytest.raises(ValueError, match="time zone"):
        catalogue_in_force([v1], datetime(2026, 9, 15))
