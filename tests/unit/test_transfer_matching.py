"""Which outcomes an item may offer and which equivalence they match (PROGRAMMES.md § Domain
model, *Equivalences* and *Sources*; § Applications, the ``invalid_source`` answers)."""

from __future__ import annotations

from typing import Any

import pytest

from creditbank.conversion import OutcomeKind
from creditbank.transfer import (
    Catalogue,
    FiledItem,
    ItemRequest,
    Problem,
    Refusal,
    catalogue_from_document,
    claim_key,
    file_items,
)
from tests.unit.transfer_desk import Desk, s1
from tests.unit.transfer_factories import C1, c1


def one_course(*equivalences: dict[str, Any]) -> Catalogue:
    """A catalogue with one course X1 (2.0 credits) recognised through ``equivalences``."""
    course = {"code": "X1", "name": "课程", "credits": "2.0", "equivalences": list(equivalences)}
    return catalogue_from_document("cat_x", "pg_x", 1, {**C1, "courses": [course]})


def filed(desk: Desk, catalogue: Catalogue, *outcome_ids: str, course: str = "X1") -> FiledItem:
    result = file_items(catalogue, [ItemRequest(course, outcome_ids)], desk.banked())
    assert not isinstance(result, Refusal), result
    return result[0]


def refusal(desk: Desk, catalogue: Catalogue, *items: tuple[str, tuple[str, ...]]) -> Refusal:
    result = file_items(catalogue, [ItemRequest(code, oids) for code, oids in items], desk.banked())
    assert isinstance(result, Refusal), result
    return result


def test_the_five_items_of_the_worked_example_match_as_documented():
    desk = s1(Desk())
    items = file_items(
        c1(),
        [
            ItemRequest("WEB101", ("o_CERT",)),
            ItemRequest("JS102", ("o_CERT",)),
            ItemRequest("UI103", ("o_CERT",)),
            ItemRequest("ICT100", ("o_NCRE",)),
            ItemRequest("PRAC201", ("o_H1", "o_H2")),
        ],
        desk.banked(),
    )

    assert not isinstance(items, Refusal)
    assert [(i.equivalence, i.suggested_grade, i.online, i.claim_keys) for i in items] == [
        ("courses.WEB101.equivalences.0", "优秀", False, ("certificate:1X-WEB-FRONTEND",)),
        ("courses.JS102.equivalences.0", "优秀", False, ("certificate:1X-WEB-FRONTEND",)),
        ("courses.UI103.equivalences.0", "良好", False, ("certificate:1X-WEB-FRONTEND",)),
        ("courses.ICT100.equivalences.0", "合格", False, ("certificate:NCRE-2",)),
        ("courses.PRAC201.equivalences.0", "合格", False, ("outcome:o_H1", "outcome:o_H2")),
    ]
    assert sum(item.course.credits for item in items) == 140  # requested_credits "14.0"


def test_the_first_matching_equivalence_in_document_order_wins():
    desk = s1(Desk())

    via_mooc = filed(desk, c1(), "o_MOOC", course="JS102")

    assert (via_mooc.equivalence, via_mooc.online, via_mooc.suggested_grade) == (
        "courses.JS102.equivalences.1",
        True,
        "85",  # grade "score": the course's own score
    )


@pytest.mark.parametrize(
    ("min_level", "level", "matches"),
    [(None, None, True), (None, "junior", True), ("intermediate", "junior", False),
     ("intermediate", "intermediate", True), ("intermediate", "senior", True),
     ("junior", None, False)],
)  # fmt: skip
def test_a_certificate_matches_its_code_at_its_minimum_level_or_higher(min_level, level, matches):
    desk = Desk()
    desk.certificate("o_C", "1X-WEB-FRONTEND" if level else "NCRE-2", level, "N1")
    code = "1X-WEB-FRONTEND" if level else "NCRE-2"
    catalogue = one_course(
        {"kind": "certificate", "certificate_code": code, "min_level": min_level}
    )

    result = file_items(catalogue, [ItemRequest("X1", ("o_C",))], desk.banked())

    assert isinstance(result, Refusal) is not matches


def test_a_certificate_of_another_code_does_not_match():
    desk = s1(Desk())
    catalogue = one_course({"kind": "certificate", "certificate_code": "1X-WEB-FRONTEND"})

    assert refusal(desk, catalogue, ("X1", ("o_NCRE",))).errors == {
        "items.0": ("Matches no equivalence of X1: needs one certificate 1X-WEB-FRONTEND.",)
    }


@pytest.mark.parametrize(("level", "matches"), [(5, False), (4, True), (1, True)])
def test_a_skill_level_matches_at_its_level_number_or_lower(level, matches):
    desk = Desk()
    desk.skill("o_S", "4-04-05-01", level, "S1")
    catalogue = one_course(
        {"kind": "skill_level", "occupation_code": "4-04-05-01", "min_level": 4,
         "grade": {"1": "优秀", "4": "中等"}}
    )  # fmt: skip

    result = file_items(catalogue, [ItemRequest("X1", ("o_S",))], desk.banked())

    assert isinstance(result, Refusal) is not matches
    if matches:
        assert result[0].suggested_grade == {1: "优秀", 4: "中等"}[level]


@pytest.mark.parametrize(
    ("scope", "rank", "grade"),
    [
        ("national", 1, "优秀"),
        ("provincial", 3, "合格"),
        ("municipal", 1, None),
        ("national", 3, "合格"),
    ],
)
def test_a_competition_matches_a_listed_scope_and_rank(scope, rank, grade):
    desk = Desk()
    desk.competition("o_K", scope, rank, "技能大赛")
    catalogue = one_course(
        {"kind": "competition", "scopes": ["national", "provincial"], "grade": {"1": "优秀"}}
    )

    result = file_items(catalogue, [ItemRequest("X1", ("o_K",))], desk.banked())

    assert (None if isinstance(result, Refusal) else result[0].suggested_grade) == grade


def test_a_competition_past_its_max_rank_does_not_match():
    desk = Desk()
    desk.competition("o_K", "national", 3, "技能大赛")
    catalogue = one_course({"kind": "competition", "scopes": ["national"], "max_rank": 2})

    assert refusal(desk, catalogue, ("X1", ("o_K",))).problem is Problem.INVALID_SOURCE


@pytest.mark.parametrize(
    ("institution", "score", "matches"),
    [(" 中国大学MOOC ", 85, True), ("学堂在线", 85, False), ("中国大学MOOC", 69, False)],
)
def test_a_course_matches_its_code_institution_trimmed_and_score(institution, score, matches):
    desk = Desk()
    desk.course("o_M", "CS-JS-01", "3.0", score, institution, on=desk.clock.date())
    catalogue = one_course(
        {
            "kind": "course",
            "course_code": "CS-JS-01",
            "institution": "中国大学MOOC",
            "min_score": 70,
        }
    )

    result = file_items(catalogue, [ItemRequest("X1", ("o_M",))], desk.banked())

    assert isinstance(result, Refusal) is not matches


def test_credits_add_up_to_the_minimum_with_none_superfluous():
    desk = s1(Desk())  # practice: o_H1 2.0, o_H2 1.5
    desk.hours("o_H3", "24", "practice")  # 108 h → 4.5, so it earns 1.0
    catalogue = one_course({"kind": "credits", "category": "practice", "min_credits": "3.0"})

    assert filed(desk, catalogue, "o_H1", "o_H2").claim_keys == ("outcome:o_H1", "outcome:o_H2")
    assert filed(desk, catalogue, "o_H1", "o_H3").claim_keys == ("outcome:o_H1", "outcome:o_H3")
    too_many = refusal(desk, catalogue, ("X1", ("o_H1", "o_H2", "o_H3")))
    too_few = refusal(desk, catalogue, ("X1", ("o_H2",)))
    other_category = refusal(desk, catalogue, ("X1", ("o_H1", "o_MOOC")))
    message = (
        "Matches no equivalence of X1: needs credits of category practice adding up to 3.0, "
        "none superfluous."
    )
    for refused in (too_many, too_few, other_category):
        assert refused.errors == {"items.0": (message,)}


def test_single_outcome_kinds_match_exactly_one_outcome():
    desk = s1(Desk())

    refused = refusal(desk, c1(), ("ICT100", ("o_NCRE", "o_MOOC")))

    assert list(refused.errors) == ["items.0"]


def test_a_course_not_in_the_catalogue_is_a_validation_error_before_any_source():
    desk = s1(Desk())

    refused = refusal(desk, c1(), ("WEB101", ("o_NOPE",)), ("ART999", ("o_CERT",)))

    assert refused.problem is Problem.VALIDATION_ERROR
    assert list(refused.errors) == ["items.1.course_code"]


def test_every_source_answers_with_its_first_failure():
    desk = s1(Desk())
    desk.post("o_INF", OutcomeKind.INFORMAL, desk.clock.date(), description="社区志愿服务")
    desk.void("o_NCRE")

    refused = refusal(desk, c1(), ("PRAC201", ("o_ELSE", "o_NCRE", "o_INF", "o_H1")))

    assert refused.problem is Problem.INVALID_SOURCE
    assert refused.errors == {
        "items.0.outcome_ids.0": ("o_ELSE is not an outcome of this learner.",),
        "items.0.outcome_ids.1": ("o_NCRE is voided.",),
        "items.0.outcome_ids.2": (
            "o_INF has banked no credits (pending_review); only banked credits can be spent.",
        ),
    }


def test_a_superseded_certificate_and_each_unmatched_item_are_named_at_once():
    """The § Applications example: a superseded junior certificate, a too-small practice set."""
    desk = Desk()
    desk.certificate("o_CJUN", "1X-WEB-FRONTEND", "junior", "WEB-J-0101")
    desk.certificate("o_CSEN", "1X-WEB-FRONTEND", "senior", "WEB-S-0101")
    desk.hours("o_HP", "36", "practice")  # 1.5

    refused = refusal(
        desk, c1(), ("ICT100", ("o_CSEN",)), ("MATH101", ()), ("WEB101", ("o_CJUN",)),
        ("UI103", ("o_CSEN",)), ("PRAC201", ("o_HP",)),
    )  # fmt: skip

    assert refused.errors == {
        "items.0": ("Matches no equivalence of ICT100: needs one certificate NCRE-2.",),
        "items.1": ("MATH101 has no equivalence: a later catalogue version must add one.",),
        "items.2.outcome_ids.0": (
            "o_CJUN is superseded by o_CSEN (senior) on line certificate:1X-WEB-FRONTEND; "
            "name that one.",
        ),
        "items.4": (
            "Matches no equivalence of PRAC201: needs credits of category practice adding up "
            "to 3.0, none superfluous.",
        ),
    }


def test_a_lower_skill_level_is_superseded_by_the_higher_one():
    desk = Desk()
    desk.skill("o_S4", "4-04-05-01", 4, "S4")
    desk.skill("o_S2", "4-04-05-01", 2, "S2")
    catalogue = one_course({"kind": "skill_level", "occupation_code": "4-04-05-01"})

    assert refusal(desk, catalogue, ("X1", ("o_S4",))).errors == {
        "items.0.outcome_ids.0": (
            "o_S4 is superseded by o_S2 (level 2) on line skill_level:4-04-05-01; name that one.",
        )
    }
    assert filed(desk, catalogue, "o_S2").claim_keys == ("skill_level:4-04-05-01",)


def test_an_outcome_named_twice_in_an_item_is_refused():
    desk = s1(Desk())
    catalogue = one_course({"kind": "credits", "category": "practice", "min_credits": "3.0"})

    refused = refusal(desk, catalogue, ("X1", ("o_H1", "o_H1")))

    assert list(refused.errors) == ["items.0.outcome_ids.1"]


def test_claim_keys_are_the_line_for_certificates_and_skill_levels_else_the_outcome():
    desk = s1(Desk())
    desk.skill("o_S", "4-04-05-01", 3, "S3")
    banked = desk.banked()

    assert [claim_key(banked[oid].outcome) for oid in ("o_CERT", "o_S", "o_H1", "o_MOOC")] == [
        "certificate:1X-WEB-FRONTEND",
        "skill_level:4-04-05-01",
        "outcome:o_H1",
        "outcome:o_MOOC",
    ]
