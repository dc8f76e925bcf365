"""Ledger semantics (PROGRAMMES.md § Ledger semantics): debit once per key, return once per
key, converted totals, lines, and when an exemption is flagged ``source_changed``."""

from __future__ import annotations

from creditbank.domain.amounts import format_tenths
from creditbank.transfer import (
    Catalogue,
    Movement,
    Problem,
    Refusal,
    Reversal,
    Transfer,
    catalogue_from_document,
    reversal_from_document,
    transfer_from_document,
)
from tests.unit.transfer_desk import FIVE_ITEMS, Desk, s1
from tests.unit.transfer_factories import C1, c1


def moved(result: Movement | Refusal) -> list[dict[str, str]]:
    assert isinstance(result, Movement), result
    return result.document()["sources"]


def lab(min_credits: str = "1.5") -> Catalogue:
    """One course LAB1 (1.0) recognised by practice credits."""
    course = {
        "code": "LAB1",
        "name": "实训",
        "credits": "1.0",
        "equivalences": [{"kind": "credits", "category": "practice", "min_credits": min_credits}],
    }
    return catalogue_from_document("cat_lab", "pg_lab", 1, {**C1, "courses": [course]})


def test_a_key_held_by_an_approved_item_of_the_application_debits_nothing_again():
    desk = s1(Desk())
    desk.file("ta_1", c1(), *FIVE_ITEMS)

    assert moved(desk.approve("ti_1")) == [
        {"outcome_id": "o_CERT", "category": "certificate", "amount": "6.0"}
    ]
    assert moved(desk.approve("ti_2")) == [
        {"outcome_id": "o_CERT", "category": "certificate", "amount": "0.0", "held_by": "ti_1"}
    ]


def test_revoking_the_holder_returns_nothing_while_another_item_names_the_key():
    desk = s1(Desk())
    desk.file("ta_1", c1(), *FIVE_ITEMS)
    desk.approve("ti_1")
    desk.approve("ti_2")

    first = desk.revoke("ti_1")
    assert moved(first) == [
        {"outcome_id": "o_CERT", "category": "certificate", "amount": "0.0", "held_by": "ti_2"}
    ]
    assert isinstance(first, Movement) and first.converted_total == 60  # the debit stays
    last = desk.revoke("ti_2")
    assert moved(last) == [{"outcome_id": "o_CERT", "category": "certificate", "amount": "6.0"}]
    assert isinstance(last, Movement) and last.converted_by_category == {"certificate": 0}
    assert "certificate:1X-WEB-FRONTEND" in desk.claims  # ti_3 is still pending
    assert moved(desk.approve("ti_3")) == [  # debited anew, at what it earns now
        {"outcome_id": "o_CERT", "category": "certificate", "amount": "6.0"}
    ]
    assert desk.replay() == []


def test_a_line_key_debits_every_credited_outcome_of_the_line_named_one_first():
    desk = Desk()
    desk.certificate("o_CJUN", "1X-WEB-FRONTEND", "junior", "WEB-J-0101")  # 2.0
    desk.certificate("o_CSEN", "1X-WEB-FRONTEND", "senior", "WEB-S-0101")  # 4.0 more
    desk.file("ta_1", c1(), ("WEB101", ["o_CSEN"]))

    result = desk.approve("ti_1")

    assert moved(result) == [
        {"outcome_id": "o_CSEN", "category": "certificate", "amount": "4.0"},
        {"outcome_id": "o_CJUN", "category": "certificate", "amount": "2.0", "line_of": "o_CSEN"},
    ]
    assert isinstance(result, Movement) and format_tenths(result.amount) == "6.0"


def test_a_higher_certificate_posted_later_joins_the_held_line_and_cannot_be_named_elsewhere():
    desk = Desk()
    desk.certificate("o_CMID", "1X-WEB-FRONTEND", "intermediate", "WEB-I-1")  # 4.0
    desk.file("ta_1", c1(), ("WEB101", ["o_CMID"]))
    desk.approve("ti_1")

    desk.certificate("o_CSEN", "1X-WEB-FRONTEND", "senior", "WEB-S-1")  # earns 2.0 more

    assert desk.banked()["o_CSEN"].credits == 20  # available in the bank
    refusal = desk.file("ta_2", c1("cat_2", "pg_2"), ("UI103", ["o_CSEN"]))
    assert isinstance(refusal, Refusal) and refusal.problem is Problem.OUTCOME_CLAIMED
    assert refusal.errors == {"items.0.outcome_ids.0": ("o_CSEN is held by application ta_1.",)}
    assert not desk.items["ti_1"].flagged  # earning more changes nothing


def test_one_outcome_offered_to_two_programmes_is_claimed_by_the_first():
    desk = s1(Desk())
    assert desk.file("ta_1", c1(), ("ICT100", ["o_NCRE"])) == ["ti_1"]

    refusal = desk.file("ta_2", c1("cat_2", "pg_2"), ("ICT100", ["o_NCRE"]))

    assert isinstance(refusal, Refusal) and refusal.problem is Problem.OUTCOME_CLAIMED


def test_converted_by_category_keeps_every_category_converted_from_with_zeros():
    desk = s1(Desk())
    desk.file("ta_1", c1(), ("ICT100", ["o_NCRE"]), ("PRAC201", ["o_H1", "o_H2"]))
    desk.approve("ti_1")
    desk.approve("ti_2")

    result = desk.revoke("ti_1")

    assert isinstance(result, Movement)
    assert result.document()["converted_by_category"] == {"certificate": "0.0", "practice": "3.5"}
    assert result.document()["converted_total"] == "3.5"


def test_a_voided_source_flags_every_approved_item_naming_its_key():
    desk = s1(Desk())
    desk.file("ta_1", c1(), *FIVE_ITEMS)
    desk.approve("ti_1")
    desk.approve("ti_2")

    desk.void("o_CERT")

    assert [i.item_id for i in desk.items.values() if i.flagged] == ["ti_1", "ti_2"]


def test_a_source_earning_less_than_was_debited_is_flagged_and_again_after_a_confirmation():
    desk = Desk()
    desk.hours("o_HA", "10", "practice")  # accumulating: 0.0
    desk.hours("o_HB", "38", "practice")  # 48 h → 2.0
    desk.hours("o_HC", "20", "practice")  # 68 h → 2.5, so 0.5
    desk.file("ta_1", lab(), ("LAB1", ["o_HB"]))
    desk.approve("ti_1")  # debits 2.0

    desk.void("o_HA")  # o_HB alone: 38 h → 1.5, still > 0
    assert desk.banked()["o_HB"].credits == 15
    assert desk.items["ti_1"].flagged
    desk.confirm("ti_1")
    desk.void("o_HC")  # o_HB unchanged: nothing flags
    assert not desk.items["ti_1"].flagged
    assert desk.replay() == []  # confirmed: the audit accepts the overdraft


def test_a_source_earning_more_changes_nothing():
    desk = Desk()
    desk.hours("o_HA", "216", "practice")  # 9.0
    desk.hours("o_HB", "48", "practice")  # 2.0, capped to 1.0 by practice's 10.0 a year
    desk.file("ta_1", lab("1.0"), ("LAB1", ["o_HB"]))
    desk.approve("ti_1")

    desk.void("o_HA")  # o_HB earns 2.0 now

    assert desk.banked()["o_HB"].credits == 20
    assert not desk.items["ti_1"].flagged
    assert desk.replay() == []


def test_entries_read_back_as_they_were_written():
    desk = s1(Desk())
    desk.file("ta_1", c1(), *FIVE_ITEMS)
    desk.approve("ti_1")
    desk.approve("ti_2")
    desk.revoke("ti_1")
    outcomes = {oid: b.outcome for oid, b in desk.banked().items()}

    for entry in desk.journal:
        if isinstance(entry, Transfer):
            document = {
                "seq": entry.seq, "application_id": entry.application_id,
                "item_id": entry.item_id, "programme_id": entry.programme_id,
                "catalogue_id": entry.catalogue_id, "course_code": entry.course_code,
                "course_credits": format_tenths(entry.course_credits), "online": entry.online,
                "grade": entry.grade, **entry.movement.document(),
            }  # fmt: skip
            assert transfer_from_document(document, outcomes) == entry
        elif isinstance(entry, Reversal):
            document = {
                "seq": entry.seq, "transfer_seq": entry.transfer_seq,
                "application_id": entry.application_id, "item_id": entry.item_id,
                "course_code": entry.course_code, **entry.movement.document(),
            }  # fmt: skip
            assert reversal_from_document(document, outcomes) == entry
