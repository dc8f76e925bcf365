"""Filing after the sources (PROGRAMMES.md § Applications and § Edge cases): claims, courses
recognised or pending already, released keys, an application's status and certificate number."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from creditbank.transfer import ItemStatus, Problem, Refusal, application_status, certificate_number
from tests.unit.transfer_desk import FIVE_ITEMS, Desk, s1
from tests.unit.transfer_factories import c1


def refused(result: object, problem: Problem) -> Refusal:
    assert isinstance(result, Refusal), result
    assert result.problem is problem, result
    return result


def test_a_course_approved_already_in_the_programme_is_not_filed_again():
    desk = s1(Desk())
    desk.file("ta_1", c1(), ("JS102", ["o_CERT"]))
    desk.approve("ti_1")

    refusal = refused(
        desk.file("ta_2", c1(), ("ICT100", ["o_NCRE"]), ("JS102", ["o_MOOC"])),
        Problem.COURSE_ALREADY_RECOGNISED,
    )

    assert refusal.error_lists() == {"items.1.course_code": ["JS102 is recognised already."]}


def test_a_revoked_course_can_be_applied_for_again():
    desk = s1(Desk())
    desk.file("ta_1", c1(), ("ICT100", ["o_NCRE"]))
    desk.approve("ti_1")
    desk.revoke("ti_1")

    assert desk.file("ta_2", c1(), ("ICT100", ["o_NCRE"])) == ["ti_2"]


def test_a_course_pending_in_another_application_is_not_filed_twice():
    desk = s1(Desk())
    desk.file("ta_1", c1(), ("PRAC201", ["o_H1", "o_H2"]))

    refusal = refused(
        desk.file("ta_2", c1(), ("PRAC201", ["o_NOPE"])), Problem.INVALID_SOURCE
    )  # sources come before the pending course
    refusal = refused(
        desk.file("ta_2", c1(), ("JS102", ["o_MOOC"]), ("PRAC201", [])), Problem.INVALID_SOURCE
    )
    desk.hours("o_H3", "72", "practice")  # 156 h → 6.5, so 3.0
    refusal = refused(
        desk.file("ta_2", c1(), ("JS102", ["o_MOOC"]), ("PRAC201", ["o_H3"])),
        Problem.COURSE_IN_APPLICATION,
    )

    assert refusal.error_lists() == {
        "items.1.course_code": ["PRAC201 is pending in application ta_1."]
    }


def test_the_claim_comes_before_the_course_checks():
    desk = s1(Desk())
    desk.file("ta_1", c1(), ("ICT100", ["o_NCRE"]))

    refusal = refused(desk.file("ta_2", c1(), ("ICT100", ["o_NCRE"])), Problem.OUTCOME_CLAIMED)

    assert refusal.error_lists() == {
        "items.0.outcome_ids.0": ["o_NCRE is held by application ta_1."]
    }


def test_partial_approval_releases_the_keys_only_rejected_items_named():
    desk = s1(Desk())
    desk.file("ta_1", c1(), *FIVE_ITEMS)
    for item_id in ("ti_1", "ti_2", "ti_5"):
        desk.approve(item_id)
    desk.reject("ti_3")  # its key is held by ti_1 and ti_2 still
    desk.reject("ti_4")

    assert desk.claims == {
        "certificate:1X-WEB-FRONTEND": "ta_1",
        "outcome:o_H1": "ta_1",
        "outcome:o_H2": "ta_1",
    }


def test_withdrawal_after_some_decisions_withdraws_the_pending_items_only():
    desk = s1(Desk())
    desk.file("ta_1", c1(), *FIVE_ITEMS)
    desk.approve("ti_4")
    desk.reject("ti_5")

    desk.withdraw("ta_1")

    assert [item.status.value for item in desk.items.values()] == [
        "withdrawn", "withdrawn", "withdrawn", "approved", "rejected"
    ]  # fmt: skip
    assert application_status(item.status for item in desk.items.values()) == "closed"
    assert desk.claims == {"certificate:NCRE-2": "ta_1"}


@pytest.mark.parametrize(
    ("statuses", "status"),
    [
        ([ItemStatus.PENDING, ItemStatus.APPROVED], "pending"),
        ([ItemStatus.WITHDRAWN, ItemStatus.WITHDRAWN], "withdrawn"),
        ([ItemStatus.WITHDRAWN, ItemStatus.REJECTED], "closed"),
        ([ItemStatus.REJECTED], "closed"),
        ([ItemStatus.REVOKED, ItemStatus.APPROVED], "closed"),
    ],
)
def test_an_application_is_pending_while_any_item_is(statuses, status):
    assert application_status(statuses) == status


def test_the_certificate_number_counts_in_the_shanghai_year():
    new_year_in_shanghai = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)

    assert certificate_number("CQ1024", new_year_in_shanghai, 42) == "CQ1024-2027-00042"
    assert certificate_number("CQ1024", datetime(2026, 12, 3, 2, 10, tzinfo=UTC), 1) == (
        "CQ1024-2026-00001"
    )
