"""The pure part of each acceptance scenario of PROGRAMMES.md, with its exact numbers (the
services' part — HTTP, scoping, idempotency, exports — is theirs to test end to end)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from creditbank.domain.amounts import format_tenths
from creditbank.transfer import (
    Eligibility,
    ItemStatus,
    Movement,
    Option,
    Problem,
    Refusal,
    Transfer,
    application_status,
    catalogue_in_force,
    certificate_number,
    eligibility,
)
from tests.unit.transfer_desk import FIVE_ITEMS, Desk, s1
from tests.unit.transfer_factories import C1, c1

DECIDED_AT = datetime(2026, 12, 3, 2, 10, tzinfo=UTC)


def amounts(table: dict[str, int]) -> dict[str, str]:
    return {name: format_tenths(value) for name, value in sorted(table.items())}


def balance(desk: Desk) -> dict[str, Any]:
    """``GET /learners/{id}/balance`` as the services will compute it from these rules."""
    by_category: dict[str, int] = {}
    for source in desk.banked().values():
        if source.credits:
            by_category[source.category] = by_category.get(source.category, 0) + source.credits
    ledger = desk.ledger()
    converted = ledger.converted_by_category
    available = {
        name: by_category.get(name, 0) - converted.get(name, 0)
        for name in {*by_category, *converted}
    }
    return {
        "total": format_tenths(sum(by_category.values())),
        "by_category": amounts(by_category),
        "converted": format_tenths(ledger.converted),
        "converted_by_category": amounts(converted),
        "available": format_tenths(sum(by_category.values()) - ledger.converted),
        "available_by_category": amounts(available),
    }


def scenario_1() -> Desk:
    """Happy path, partial approval: five items, ti_3 refused by its source's cap, rejected."""
    desk = s1(Desk())
    assert desk.file("ta_1", c1(), *FIVE_ITEMS) == ["ti_1", "ti_2", "ti_3", "ti_4", "ti_5"]
    desk.approve("ti_1")
    desk.approve("ti_2")
    refusal = desk.approve("ti_3")
    assert isinstance(refusal, Refusal) and refusal.cap is not None
    assert format_tenths(refusal.cap.recognised) == "7.0"
    desk.reject("ti_3")
    desk.approve("ti_4")
    desk.approve("ti_5")
    return desk


def test_1_happy_path_partial_approval():
    desk = s1(Desk())
    assert balance(desk)["total"] == "14.5"
    assert balance(desk)["by_category"] == {
        "certificate": "8.0",
        "course": "3.0",
        "practice": "3.5",
    }

    desk = scenario_1()

    transfers = [e for e in desk.journal if isinstance(e, Transfer)]
    assert [t.seq for t in transfers] == [11, 12, 13, 14]
    assert desk.seq == 14
    assert [format_tenths(t.movement.amount) for t in transfers] == ["6.0", "0.0", "2.0", "3.5"]
    assert transfers[1].movement.sources[0].held_by == "ti_1"
    assert transfers[0].movement.document() == {
        "sources": [{"outcome_id": "o_CERT", "category": "certificate", "amount": "6.0"}],
        "amount": "6.0",
        "converted_total": "6.0",
        "converted_by_category": {"certificate": "6.0"},
    }
    assert transfers[0].grade == "优秀"
    statuses = [item.status for item in desk.items.values()]
    assert application_status(statuses) == "closed"
    approved = [i for i in desk.items.values() if i.status is ItemStatus.APPROVED]
    assert format_tenths(sum(i.course_credits for i in approved)) == "12.0"
    assert certificate_number("CQ1024", DECIDED_AT, 1) == "CQ1024-2026-00001"
    assert balance(desk) == {
        "total": "14.5",
        "by_category": {"certificate": "8.0", "course": "3.0", "practice": "3.5"},
        "converted": "11.5",
        "converted_by_category": {"certificate": "8.0", "practice": "3.5"},
        "available": "3.0",
        "available_by_category": {"certificate": "0.0", "course": "3.0", "practice": "0.0"},
    }


def test_2_the_same_decision_again_is_answered_not_written():
    desk = scenario_1()

    refusal = desk.approve("ti_1")

    assert isinstance(refusal, Refusal) and refusal.problem is Problem.ALREADY_DECIDED
    assert desk.seq == 14


def test_3_two_filings_for_one_outcome_one_is_claimed():
    desk = s1(Desk())
    assert desk.file("ta_A", c1(), ("WEB101", ["o_CERT"])) == ["ti_1"]

    refusal = desk.file("ta_B", c1(), ("UI103", ["o_CERT"]))

    assert isinstance(refusal, Refusal) and refusal.problem is Problem.OUTCOME_CLAIMED
    assert list(refusal.errors) == ["items.0.outcome_ids.0"]


def test_4_online_and_share_caps():
    catalogue = c1(
        "cat_4",
        "pg_4",
        total_credits="16.0",
        caps={"share_percent": 50, "online_share_percent": 15},
    )
    assert (format_tenths(catalogue.share_cap), format_tenths(catalogue.online_cap)) == (
        "8.0",
        "2.4",
    )
    desk = s1(Desk())
    items = [("JS102", ["o_MOOC"]), ("WEB101", ["o_CERT"]), ("ICT100", ["o_NCRE"])]
    desk.file("ta_4", catalogue, *items, ("PRAC201", ["o_H1", "o_H2"]))

    online = desk.approve("ti_1")
    assert isinstance(online, Refusal) and online.problem is Problem.ONLINE_CAP_EXCEEDED
    assert online.cap is not None and online.cap.document() == {
        "name": "online", "key": None, "limit": "2.4", "recognised": "0.0", "requested": "3.0"
    }  # fmt: skip
    desk.reject("ti_1")
    assert isinstance(desk.approve("ti_2"), Movement) and isinstance(desk.approve("ti_3"), Movement)
    share = desk.approve("ti_4")
    assert isinstance(share, Refusal) and share.problem is Problem.SHARE_CAP_EXCEEDED
    assert share.cap is not None and share.cap.document() == {
        "name": "share", "key": None, "limit": "8.0", "recognised": "6.0", "requested": "3.0"
    }  # fmt: skip
    desk.reject("ti_4")
    view = balance(desk)
    assert (view["converted"], view["available"]) == ("8.0", "6.5")
    assert view["available_by_category"] == {
        "certificate": "0.0",
        "course": "3.0",
        "practice": "3.5",
    }


def test_5_void_after_approval():
    desk = scenario_1()

    desk.void("o_NCRE")

    view = balance(desk)
    assert (view["total"], view["converted"], view["available"]) == ("12.5", "11.5", "1.0")
    assert view["available_by_category"]["certificate"] == "-2.0"
    assert [i.item_id for i in desk.items.values() if i.flagged] == ["ti_4"]
    not_flagged = desk.confirm("ti_2")
    assert isinstance(not_flagged, Refusal) and not_flagged.problem is Problem.NOT_FLAGGED
    reversal = desk.revoke("ti_4")
    assert isinstance(reversal, Movement) and format_tenths(reversal.amount) == "2.0"
    assert desk.seq == 17
    view = balance(desk)
    assert (view["converted"], view["available"]) == ("9.5", "3.0")
    assert view["available_by_category"]["certificate"] == "0.0"
    approved = [i for i in desk.items.values() if i.status is ItemStatus.APPROVED]
    assert format_tenths(sum(i.course_credits for i in approved)) == "10.0"
    again = desk.revoke("ti_4")
    assert isinstance(again, Refusal) and again.problem is Problem.ALREADY_REVOKED


def test_8_a_new_catalogue_version_changes_no_filed_application():
    desk = s1(Desk())
    version_1 = c1()
    desk.file("ta_1", version_1, ("UI103", ["o_CERT"]))
    without_ui103 = [course for course in C1["courses"] if course["code"] != "UI103"]
    effective = "2026-10-01T00:00:00+08:00"
    version_2 = c1("cat_2", version=2, effective_from=effective, courses=without_ui103)

    assert isinstance(desk.approve("ti_1"), Movement)
    transfer = desk.journal[-1]
    assert isinstance(transfer, Transfer) and transfer.catalogue_id == "cat_1"
    assert catalogue_in_force([version_1, version_2], DECIDED_AT) == version_2
    refusal = desk.file("ta_2", version_2, ("UI103", ["o_CERT"]))
    assert isinstance(refusal, Refusal) and refusal.problem is Problem.VALIDATION_ERROR
    assert list(refusal.errors) == ["items.0.course_code"]


def test_9_withdraw_and_re_apply():
    desk = s1(Desk())
    desk.file("ta_A", c1(), ("UI103", ["o_CERT"]))
    desk.withdraw("ta_A")
    assert application_status(i.status for i in desk.items.values()) == "withdrawn"
    assert desk.claims == {}

    assert desk.file("ta_B", c1(), ("WEB101", ["o_CERT"])) == ["ti_2"]
    desk.reject("ti_2")
    b_statuses = [desk.items["ti_2"].status]
    assert application_status(b_statuses) == "closed"
    assert ItemStatus.APPROVED not in b_statuses  # closed with nothing approved: no certificate
    assert desk.file("ta_C", c1(), ("WEB101", ["o_CERT"])) == ["ti_3"]


def test_10_lines():
    desk = Desk()
    desk.certificate("o_CJUN", "1X-WEB-FRONTEND", "junior", "WEB-J-0101")
    desk.certificate("o_CSEN", "1X-WEB-FRONTEND", "senior", "WEB-S-0101")
    assert [format_tenths(b.credits) for b in desk.banked().values()] == ["2.0", "4.0"]

    junior = desk.file("ta_1", c1(), ("WEB101", ["o_CJUN"]))
    assert isinstance(junior, Refusal) and junior.problem is Problem.INVALID_SOURCE
    assert "superseded" in junior.errors["items.0.outcome_ids.0"][0]
    assert desk.file("ta_2", c1(), ("WEB101", ["o_CSEN"])) == ["ti_1"]
    transfer = desk.approve("ti_1")

    assert isinstance(transfer, Movement)
    assert transfer.document()["sources"] == [
        {"outcome_id": "o_CSEN", "category": "certificate", "amount": "4.0"},
        {"outcome_id": "o_CJUN", "category": "certificate", "amount": "2.0", "line_of": "o_CSEN"},
    ]
    assert transfer.document()["amount"] == "6.0"
    assert (balance(desk)["converted"], balance(desk)["available"]) == ("6.0", "0.0")


def preview(view: Eligibility) -> dict[str, Any]:
    """The preview as § Eligibility preview spells it (names and ids aside)."""
    catalogue = view.catalogue
    per_source = catalogue.caps.per_source
    return {
        "caps": {
            "total_credits": format_tenths(catalogue.total_credits),
            "share_cap": format_tenths(catalogue.share_cap),
            "online_cap": format_tenths(catalogue.online_cap),
            "per_source": None if per_source is None else format_tenths(per_source),
        },
        "recognised": format_tenths(view.recognised),
        "recognised_online": format_tenths(view.recognised_online),
        "remaining": format_tenths(view.remaining),
        "remaining_online": format_tenths(view.remaining_online),
        "courses": [
            {
                "course_code": course.course.code,
                "status": course.status.value,
                "options": [_option(option) for option in course.options],
            }
            for course in view.courses
        ],
    }


def _option(option: Option) -> dict[str, Any]:
    return {
        "equivalence": option.equivalence,
        "outcome_ids": list(option.outcome_ids),
        "claim_keys": list(option.claim_keys),
        "bank_credits": format_tenths(option.bank_credits),
        "grade": option.grade,
        "online": option.online,
    }


def option(ref: str, outcome_ids: list[str], keys: list[str], credits: str, grade: str) -> dict:
    online = ref == "courses.JS102.equivalences.1"
    return {
        "equivalence": ref,
        "outcome_ids": outcome_ids,
        "claim_keys": keys,
        "bank_credits": credits,
        "grade": grade,
        "online": online,
    }


def test_11_eligibility_before_filing_is_the_documented_preview():
    desk = s1(Desk())

    view = preview(eligibility(c1(), desk.banked(), desk.ledger(), desk.claims, {}))

    cert = ["certificate:1X-WEB-FRONTEND"]
    web = option("courses.WEB101.equivalences.0", ["o_CERT"], cert, "6.0", "优秀")
    js_cert = option("courses.JS102.equivalences.0", ["o_CERT"], cert, "6.0", "优秀")
    js_mooc = option("courses.JS102.equivalences.1", ["o_MOOC"], ["outcome:o_MOOC"], "3.0", "85")
    ui = option("courses.UI103.equivalences.0", ["o_CERT"], cert, "6.0", "良好")
    ncre = ["certificate:NCRE-2"]
    ict = option("courses.ICT100.equivalences.0", ["o_NCRE"], ncre, "2.0", "合格")
    hours = ["o_H1", "o_H2"]
    prac = option(
        "courses.PRAC201.equivalences.0", hours, [f"outcome:{h}" for h in hours], "3.5", "合格"
    )
    assert view == {
        "caps": {
            "total_credits": "120.0",
            "share_cap": "60.0",
            "online_cap": "30.0",
            "per_source": "8.0",
        },
        "recognised": "0.0",
        "recognised_online": "0.0",
        "remaining": "60.0",
        "remaining_online": "30.0",
        "courses": [
            {"course_code": "WEB101", "status": "eligible", "options": [web]},
            {"course_code": "JS102", "status": "eligible", "options": [js_cert, js_mooc]},
            {"course_code": "UI103", "status": "eligible", "options": [ui]},
            {"course_code": "ICT100", "status": "eligible", "options": [ict]},
            {"course_code": "PRAC201", "status": "eligible", "options": [prac]},
            {"course_code": "MATH101", "status": "no_equivalence", "options": []},
        ],
    }


def test_11_eligibility_after_the_happy_path():
    desk = scenario_1()

    view = eligibility(
        c1(), desk.banked(), desk.ledger(), desk.claims, desk.pending_courses("pg_1")
    )

    assert {c.course.code: c.status.value for c in view.courses} == {
        "WEB101": "recognised",
        "JS102": "recognised",
        "UI103": "not_eligible",  # its only source's key is held
        "ICT100": "recognised",
        "PRAC201": "recognised",
        "MATH101": "no_equivalence",
    }
    assert (format_tenths(view.recognised), format_tenths(view.remaining)) == ("12.0", "48.0")


def test_11_a_pending_course_is_in_application():
    desk = s1(Desk())
    desk.file("ta_1", c1(), ("ICT100", ["o_NCRE"]))

    view = eligibility(
        c1(), desk.banked(), desk.ledger(), desk.claims, desk.pending_courses("pg_1")
    )

    ict = next(c for c in view.courses if c.course.code == "ICT100")
    assert (ict.status.value, ict.application_id, ict.options) == ("in_application", "ta_1", ())


def test_12_withdrawing_on_erasure_releases_the_claim():
    desk = s1(Desk())
    desk.file("ta_1", c1(), ("WEB101", ["o_CERT"]))

    desk.withdraw("ta_1")  # the erasure's (or the college's disabling) pending items

    assert desk.items["ti_1"].status is ItemStatus.WITHDRAWN
    assert desk.claims == {}


def test_13_the_audit_replay_passes_after_1_5_and_10():
    desk = scenario_1()
    assert desk.replay() == []
    desk.void("o_NCRE")
    desk.revoke("ti_4")
    assert desk.replay() == []
    desk.certificate("o_CJUN", "1X-WEB-FRONTEND", "junior", "WEB-J-0101")  # joins the held line
    assert desk.replay() == []
