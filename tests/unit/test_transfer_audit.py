"""The audit's replay of transfers (PROGRAMMES.md § Audits, check ``transfer`` and the converted
half of ``balance``): a clean journal gives no finding, and each forgery is named by its entry."""

from __future__ import annotations

from dataclasses import replace

from creditbank.domain.chain_checks import Finding
from creditbank.transfer import ItemStatus, Movement, Reversal, SourceLine, Transfer
from tests.unit.transfer_desk import FIVE_ITEMS, Desk, s1
from tests.unit.transfer_factories import c1


def happy_path() -> Desk:
    """Scenario 1: seq 11–14 transfer WEB101, JS102 (held by ti_1), ICT100, PRAC201."""
    desk = s1(Desk())
    desk.file("ta_1", c1(), *FIVE_ITEMS)
    for item_id in ("ti_1", "ti_2", "ti_4", "ti_5"):
        desk.approve(item_id)
    desk.reject("ti_3")
    return desk


def entry(desk: Desk, seq: int) -> Transfer | Reversal:
    found = desk.journal[seq - 1]
    assert isinstance(found, Transfer | Reversal) and found.seq == seq
    return found


def forge(desk: Desk, seq: int, **changes: object) -> None:
    desk.journal[seq - 1] = replace(entry(desk, seq), **changes)  # type: ignore[arg-type]


def checks(findings: list[Finding]) -> list[tuple[int | None, str]]:
    return [(f.seq, f.check) for f in findings]


def test_a_clean_journal_replays_without_a_finding():
    desk = happy_path()
    desk.void("o_NCRE")
    desk.revoke("ti_4")

    assert desk.replay() == []


def test_a_source_debited_more_than_it_earned_is_named_as_documented():
    desk = happy_path()
    ncre = entry(desk, 13)
    line = replace(ncre.movement.sources[0], amount=30)
    forge(desk, 13, movement=Movement((line,), 30, 90, {"certificate": 90}))

    findings = desk.replay()

    assert findings[0] == Finding(
        "L01JZS", 13, "transfer", "o_NCRE debits 2.0 (its credits at seq 13)", "amount 3.0"
    )
    # the honest totals of seq 14 no longer follow on; the debit exceeds what o_NCRE earns
    assert checks(findings) == [
        (13, "transfer"),
        (14, "balance"),
        (14, "balance"),
        (13, "transfer"),
    ]
    assert findings[-1].expected == "item ti_4 flagged source_changed (o_NCRE short)"


def test_a_held_key_debited_again_is_found():
    desk = happy_path()
    js = entry(desk, 12)
    line = replace(js.movement.sources[0], amount=60, held_by=None)
    forge(desk, 12, movement=Movement((line,), 60, 120, {"certificate": 120}))

    findings = desk.replay()

    assert findings[0].expected == "o_CERT debits 0.0 (held by ti_1)"
    assert findings[0].found == "amount 6.0, held_by None"


def test_a_source_voided_before_its_transfer_is_found():
    desk = s1(Desk())
    desk.file("ta_1", c1(), ("ICT100", ["o_NCRE"]))
    desk.void("o_NCRE")
    nothing = SourceLine("o_NCRE", "certificate:NCRE-2", "certificate", 0)
    movement = Movement((nothing,), 0, 0, {"certificate": 0})
    transfer = Transfer(13, "ta_1", "ti_1", "pg_1", "cat_1", "ICT100", 20, False, "合格", movement)
    desk.journal.append(transfer)
    desk.items["ti_1"] = replace(desk.items["ti_1"], status=ItemStatus.APPROVED, transfer_seq=13)

    findings = desk.replay()

    assert [(f.seq, f.expected, f.found) for f in findings] == [
        (13, "sources banked when the transfer was written", "o_NCRE is voided."),
        (13, "item ti_1 flagged source_changed (o_NCRE short)", "not flagged"),
    ]


def test_a_line_member_of_another_line_is_found():
    desk = happy_path()
    web = entry(desk, 11)
    stray = SourceLine("o_NCRE", "certificate:1X-WEB-FRONTEND", "certificate", 0, line_of="o_CERT")
    forge(desk, 11, movement=replace(web.movement, sources=(*web.movement.sources, stray)))

    assert ("o_NCRE on the line of o_CERT", "not on that line") in [
        (f.expected, f.found) for f in desk.replay()
    ]


def test_a_transfer_past_a_cap_and_a_course_recognised_twice_are_found():
    desk = happy_path()
    ui = replace(entry(desk, 12), seq=15, item_id="ti_3", course_code="UI103", course_credits=20)
    again = replace(entry(desk, 13), seq=16, item_id="ti_9")
    desk.journal.extend([ui, again])
    desk.items["ti_3"] = replace(desk.items["ti_3"], status=ItemStatus.APPROVED, transfer_seq=15)

    found = [(f.seq, f.expected, f.found) for f in desk.replay() if f.check == "transfer"]

    assert (
        15,
        "within the caps of catalogue cat_1",
        "certificate:1X-WEB-FRONTEND recognises 7.0 credits already; "
        "2.0 more would pass its cap of 8.0",
    ) in found
    assert (16, "ICT100 recognised once in the programme", "recognised twice") in found
    assert (16, "an item ti_9 of this learner", "no such item") in found


def test_a_second_transfer_for_one_item_is_found():
    desk = happy_path()
    desk.journal.append(replace(entry(desk, 14), seq=15))

    assert (15, "one transfer for item ti_5", "another at seq 14") in [
        (f.seq, f.expected, f.found) for f in desk.replay()
    ]


def test_a_key_debited_for_two_applications_is_found():
    desk = s1(Desk())
    desk.file("ta_1", c1(), ("ICT100", ["o_NCRE"]))
    desk.approve("ti_1")
    other = replace(
        entry(desk, 11), seq=12, application_id="ta_2", item_id="ti_2", programme_id="pg_2"
    )
    desk.journal.append(other)

    assert (
        12,
        "certificate:NCRE-2 held by one application's live transfers",
        "also debited for application ta_1",
    ) in [(f.seq, f.expected, f.found) for f in desk.replay()]


def test_reversals_name_an_earlier_unreversed_transfer_and_return_what_rule_2_says():
    desk = happy_path()
    desk.revoke("ti_4")  # seq 15, returns 2.0
    reversal = entry(desk, 15)
    assert isinstance(reversal, Reversal)
    desk.journal.append(replace(reversal, seq=16))
    desk.journal.append(replace(reversal, seq=17, transfer_seq=99))
    line = replace(reversal.movement.sources[0], amount=10)
    forge(desk, 15, movement=Movement((line,), 10, 105, {"certificate": 70, "practice": 35}))

    found = [(f.seq, f.expected, f.found) for f in desk.replay() if f.check == "transfer"]

    assert found == [
        (15, "o_NCRE returns 2.0 (its credits at seq 15)", "amount 1.0"),
        (16, "seq 13 reversed once", "reversed at seq 15 too"),
        (17, "transfer_seq naming an earlier transfer of item ti_4", "transfer_seq 99"),
    ]


def test_converted_totals_follow_on_and_equal_the_cache():
    desk = happy_path()
    forge(desk, 12, movement=replace(entry(desk, 12).movement, converted_total=61))

    findings = desk.replay(cached=None)

    assert [(f.seq, f.check, f.expected, f.found) for f in findings] == [
        (
            12,
            "balance",
            'converted 6.0 {"certificate":"6.0"} (previous ± amount)',
            'converted 6.1 {"certificate":"6.0"}',
        ),
        (
            13,
            "balance",
            'converted 8.1 {"certificate":"8.0"} (previous ± amount)',
            'converted 8.0 {"certificate":"8.0"}',
        ),
    ]


def test_an_amount_that_is_not_the_sum_of_its_sources_is_found():
    desk = happy_path()
    forge(desk, 14, movement=replace(entry(desk, 14).movement, amount=30))

    assert (14, "balance", "amount 3.5 (Σ source amounts)", "amount 3.0") in [
        (f.seq, f.check, f.expected, f.found) for f in desk.replay()
    ]


def test_the_cached_converted_must_equal_the_last_totals():
    desk = happy_path()

    findings = desk.replay(cached=(116, {"certificate": 80, "practice": 35}))

    assert [(f.seq, f.check) for f in findings] == [(14, "balance")]
    assert findings[0].found == 'cached converted 11.6 {"certificate":"8.0","practice":"3.5"}'


def test_the_items_must_project_the_journal():
    desk = happy_path()
    desk.items["ti_4"] = replace(desk.items["ti_4"], grade="优秀")
    desk.items["ti_3"] = replace(desk.items["ti_3"], status=ItemStatus.APPROVED)

    found = [(f.seq, f.expected, f.found) for f in desk.replay()]

    ict100 = "item ti_4 approved, transfer_seq 13, reversal_seq None, ICT100 2.0 credits, grade"
    assert found == [
        (
            None,
            "item ti_3 undecided or rejected (no transfer)",
            "item ti_3 approved, transfer_seq None, reversal_seq None, UI103 2.0 credits, "
            "grade 良好",
        ),
        (13, f"{ict100} 合格", f"{ict100} 优秀"),
    ]


def test_an_approved_item_with_a_short_source_must_be_flagged_or_confirmed():
    desk = happy_path()
    desk.void("o_NCRE")
    assert desk.replay() == []  # flagged by the void
    desk.items["ti_4"] = replace(desk.items["ti_4"], flagged=False)

    assert [(f.seq, f.expected, f.found) for f in desk.replay()] == [
        (13, "item ti_4 flagged source_changed (o_NCRE short)", "not flagged")
    ]


def test_a_transfer_under_an_unknown_catalogue_is_found():
    desk = happy_path()
    forge(desk, 13, catalogue_id="cat_404")

    assert (
        13,
        "course ICT100 of a published catalogue, with its credits",
        "catalogue cat_404, 2.0 credits",
    ) in [(f.seq, f.expected, f.found) for f in desk.replay()]


def test_a_line_member_voided_before_the_transfer_and_a_line_too_many_are_found():
    desk = Desk()
    desk.certificate("o_CJUN", "1X-WEB-FRONTEND", "junior", "WEB-J-1")
    desk.certificate("o_CSEN", "1X-WEB-FRONTEND", "senior", "WEB-S-1")
    desk.file("ta_1", c1(), ("WEB101", ["o_CSEN"]))
    desk.void("o_CJUN")  # the senior earns all 6.0 now
    desk.approve("ti_1")
    transfer = desk.journal[-1]
    assert isinstance(transfer, Transfer)
    stray = SourceLine("o_CJUN", "certificate:1X-WEB-FRONTEND", "certificate", 0, line_of="o_CSEN")
    forge(
        desk,
        transfer.seq,
        movement=replace(transfer.movement, sources=(*transfer.movement.sources, stray)),
    )

    found = [(f.expected, f.found) for f in desk.replay()]

    assert found == [
        (f"o_CJUN not voided at seq {transfer.seq}", "voided"),
        ("no line for o_CJUN", "amount 0.0 in certificate, line_of o_CSEN"),
        ("item ti_1 flagged source_changed (o_CJUN short)", "not flagged"),  # a voided debit
    ]
