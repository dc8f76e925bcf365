"""A college's decisions (PROGRAMMES.md § Caps and checks at decision time): the checks in
their order, each refusal with its problem and ``cap``, and the refusals of revoke and confirm.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from creditbank.transfer import (
    Exemption,
    ItemStatus,
    Ledger,
    Movement,
    Problem,
    Refusal,
    Transfer,
    approve,
    check_caps,
    check_pending,
    check_rejection,
    decision_grade,
)
from tests.unit.transfer_desk import FIVE_ITEMS, Desk, s1
from tests.unit.transfer_factories import c1


def filed_s1(catalogue=None) -> Desk:
    desk = s1(Desk())
    assert desk.file("ta_1", catalogue or c1(), *FIVE_ITEMS) == [f"ti_{i}" for i in range(1, 6)]
    return desk


def refused(result: object, problem: Problem) -> Refusal:
    assert isinstance(result, Refusal), result
    assert result.problem is problem, result
    return result


@pytest.mark.parametrize(
    ("status", "problem"),
    [
        (ItemStatus.WITHDRAWN, Problem.NOT_PENDING),
        (ItemStatus.APPROVED, Problem.ALREADY_DECIDED),
        (ItemStatus.REJECTED, Problem.ALREADY_DECIDED),
        (ItemStatus.REVOKED, Problem.ALREADY_DECIDED),
    ],
)
def test_check_2_only_a_pending_item_is_decided(status, problem):
    desk = filed_s1()
    item = replace(desk.items["ti_1"], status=status)

    assert refused(check_pending(item), problem)
    assert refused(check_rejection(item), problem)
    assert check_pending(desk.items["ti_2"]) is None


def test_check_3_an_ended_enrolment_refuses_an_approval_but_not_a_rejection():
    desk = filed_s1()

    refused(desk.approve("ti_1", enrolled=False), Problem.NOT_ENROLLED)
    assert desk.reject("ti_1") is None


def test_check_3_comes_before_the_sources_and_check_2_before_both():
    desk = filed_s1()
    desk.void("o_CERT")
    withdrawn = replace(desk.items["ti_1"], status=ItemStatus.WITHDRAWN)
    args = (c1(), desk.ledger(), desk.banked())

    refused(approve(withdrawn, *args, enrolled=False), Problem.NOT_PENDING)
    refused(approve(desk.items["ti_1"], *args, enrolled=False), Problem.NOT_ENROLLED)
    refused(approve(desk.items["ti_1"], *args, enrolled=True), Problem.SOURCE_UNAVAILABLE)


def test_check_4_a_source_voided_while_pending_is_unavailable_and_the_college_rejects():
    desk = filed_s1()
    desk.void("o_NCRE")

    refusal = refused(desk.approve("ti_4"), Problem.SOURCE_UNAVAILABLE)

    assert refusal.detail == "o_NCRE is voided."
    assert desk.reject("ti_4") is None
    assert "certificate:NCRE-2" not in desk.claims  # the claim is released
    assert desk.seq == 12  # nothing written: 10 posts and credits, the void and its credit


def test_checks_5_to_7_run_in_order_per_source_first():
    desk = filed_s1(c1(total_credits="4.0", caps={"per_source": "2.0", "online_share_percent": 0}))

    refusal = refused(desk.approve("ti_2"), Problem.SOURCE_CAP_EXCEEDED)

    assert refusal.cap is not None and refusal.cap.document() == {
        "name": "per_source",
        "key": "certificate:1X-WEB-FRONTEND",
        "limit": "2.0",
        "recognised": "0.0",
        "requested": "3.0",
    }


def test_check_5_the_worked_example_third_course_on_one_certificate():
    desk = filed_s1()
    desk.approve("ti_1")
    desk.approve("ti_2")

    refusal = refused(desk.approve("ti_3"), Problem.SOURCE_CAP_EXCEEDED)

    assert refusal.detail == (
        "certificate:1X-WEB-FRONTEND recognises 7.0 credits already; 2.0 more would pass its "
        "cap of 8.0"
    )
    assert refusal.cap is not None and refusal.cap.document() == {
        "name": "per_source",
        "key": "certificate:1X-WEB-FRONTEND",
        "limit": "8.0",
        "recognised": "7.0",
        "requested": "2.0",
    }


def test_check_5_each_outcome_of_a_credits_equivalence_is_charged_the_full_course():
    desk = filed_s1(c1(caps={"per_source": "2.9"}))

    refusal = refused(desk.approve("ti_5"), Problem.SOURCE_CAP_EXCEEDED)

    assert refusal.cap is not None
    assert (refusal.cap.key, refusal.cap.recognised, refusal.cap.requested) == (
        "outcome:o_H1",
        0,
        30,
    )


def test_check_5_no_per_source_cap_checks_nothing():
    desk = filed_s1(c1(caps={"per_source": None}))

    assert [type(desk.approve(i)) for i in ("ti_1", "ti_2", "ti_3")] == [Movement] * 3


def test_check_6_only_an_online_equivalence_counts_toward_the_online_cap():
    desk = s1(Desk())
    catalogue = c1(caps={"online_share_percent": 0})
    desk.file("ta_1", catalogue, ("JS102", ["o_MOOC"]), ("WEB101", ["o_CERT"]))

    refusal = refused(desk.approve("ti_1"), Problem.ONLINE_CAP_EXCEEDED)

    assert refusal.cap is not None and refusal.cap.document() == {
        "name": "online",
        "key": None,
        "limit": "0.0",
        "recognised": "0.0",
        "requested": "3.0",
    }
    assert isinstance(desk.approve("ti_2"), Movement)  # a cap of 0 governs online courses only


def share_ledger(recognised: int) -> Ledger:
    """A ledger with ``recognised`` tenths approved in pg_1, over two earlier courses."""
    half = Movement((), 0, 0, {})
    first, second = recognised // 2, recognised - recognised // 2
    return Ledger.of(
        [
            Transfer(1, "ta_0", "ti_a", "pg_1", "cat_1", "A", first, False, "合格", half),
            Transfer(2, "ta_0", "ti_b", "pg_1", "cat_1", "B", second, False, "合格", half),
        ]
    )


def exemption(course_code: str, credits: int, key: str) -> Exemption:
    return Exemption("ti_x", "ta_1", "pg_1", course_code, credits, False, ("o_X",), (key,))


def test_check_7_the_share_cap_worked_example():
    """58.0 recognised under a 60.0 cap: WEB101 (4.0) is refused, ICT100 (2.0) fits exactly."""
    ledger = share_ledger(580)

    refusal = check_caps(exemption("WEB101", 40, "certificate:1X"), c1(), ledger)

    assert refusal is not None and refusal.problem is Problem.SHARE_CAP_EXCEEDED
    assert refusal.cap is not None and refusal.cap.document() == {
        "name": "share",
        "key": None,
        "limit": "60.0",
        "recognised": "58.0",
        "requested": "4.0",
    }
    assert check_caps(exemption("ICT100", 20, "certificate:NCRE-2"), c1(), ledger) is None


def test_check_7_recognised_counts_only_the_programme_and_only_unrevoked_items():
    desk = filed_s1(c1(total_credits="14.0"))  # share cap 7.0
    desk.approve("ti_1")  # 4.0
    desk.revoke("ti_1")
    assert isinstance(desk.approve("ti_2"), Movement)  # 3.0: the revoked 4.0 does not count
    desk.withdraw("ta_1")  # releases o_NCRE, which ti_4 held
    other = c1("cat_9", "pg_9", total_credits="4.0")  # share cap 2.0
    assert desk.file("ta_9", other, ("ICT100", ["o_NCRE"])) == ["ti_6"]
    assert isinstance(desk.approve("ti_6"), Movement)  # pg_1's 3.0 does not count in pg_9

    assert desk.ledger().recognised("pg_1") == 30
    assert desk.ledger().recognised("pg_9") == 20


def test_a_share_cap_of_0_refuses_every_approval():
    desk = filed_s1(c1(caps={"share_percent": 0}))

    assert {refused(desk.approve(i), Problem.SHARE_CAP_EXCEEDED).cap.limit for i in desk.items} == {
        0
    }  # type: ignore[union-attr]


def test_revoke_refuses_what_is_not_approved_and_what_is_revoked_already():
    desk = filed_s1()
    desk.reject("ti_3")
    desk.withdraw("ta_1")
    desk.items["ti_1"] = replace(desk.items["ti_1"], status=ItemStatus.PENDING)

    for item_id in ("ti_1", "ti_3", "ti_4"):
        refused(desk.revoke(item_id), Problem.NOT_APPROVED)


def test_revoking_twice_is_already_revoked():
    desk = filed_s1()
    desk.approve("ti_4")
    assert isinstance(desk.revoke("ti_4"), Movement)

    refused(desk.revoke("ti_4"), Problem.ALREADY_REVOKED)


def test_confirm_refuses_an_item_that_is_not_flagged():
    desk = filed_s1()
    desk.approve("ti_4")
    refused(desk.confirm("ti_4"), Problem.NOT_FLAGGED)
    desk.void("o_NCRE")

    assert desk.confirm("ti_4") is None
    assert (desk.items["ti_4"].flagged, desk.items["ti_4"].confirmed) == (False, True)


@pytest.mark.parametrize(
    ("given", "recorded"),
    [(None, "良好"), ("优秀", "优秀"), ("60", "60"), ("100", "100"), ("59", None), ("101", None),
     ("085", None), ("８５", None), ("A", None), ("score", None)],
)  # fmt: skip
def test_an_approval_records_the_colleges_grade_else_the_suggested_one(given, recorded):
    assert decision_grade(given, "良好") == recorded
