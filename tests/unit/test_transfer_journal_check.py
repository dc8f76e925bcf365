"""The transfer checks fed journal documents (PROGRAMMES.md § Audits), as the audit and the
offline verifier read a chain: the same findings as the replay fed the rules' own entries, the
documented finding for a forged amount, and offline (no catalogues, no items, no cache) what
an export alone can show."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from creditbank.conversion import Outcome
from creditbank.domain.chain_checks import Finding
from creditbank.transfer import ItemStatus, Transfer
from creditbank.transfer.journal_check import TransferCheck, outcome_from_document
from creditbank.transfer.offline import verify_export
from tests.unit.test_transfer_audit import entry, happy_path
from tests.unit.transfer_desk import Desk
from tests.unit.transfer_documents import LEARNER, Changes, chain, document, export

NCRE_DEBITS_3 = {
    "sources": [{"outcome_id": "o_NCRE", "category": "certificate", "amount": "3.0"}],
    "amount": "3.0",
    "converted_total": "9.0",
    "converted_by_category": {"certificate": "9.0"},
}
DOCUMENTED = Finding(
    LEARNER, 13, "transfer", "o_NCRE debits 2.0 (its credits at seq 13)", "amount 3.0"
)


def check(desk: Desk, changes: Changes | None = None, *, online: bool = True) -> list[Finding]:
    """The findings of a TransferCheck fed the desk's documents: as the audit runs it (the
    catalogues, the items, the cache the journal adds up to) or as the verifier does."""
    findings: list[Finding] = []
    catalogues = {c.id: c for c in desk.catalogue_of.values()} if online else None
    transfers = TransferCheck(LEARNER, findings, catalogues)
    for doc, _ in chain(desk, changes):
        transfers.feed(doc)
    if online:
        ledger = desk.ledger()
        transfers.finish(
            (ledger.converted, ledger.converted_by_category), list(desk.items.values())
        )
    else:
        transfers.finish()
    return findings


def test_an_outcome_document_reads_back_as_the_engine_input_it_was():
    desk = happy_path()
    desk.skill("o_SKILL", "4-04-05-01", 3, "SK-1")
    desk.competition("o_COMP", "national", 2, "全国职业院校技能大赛")
    outcomes = [e for e in desk.journal if isinstance(e, Outcome)]

    assert len(outcomes) == 7
    for outcome in outcomes:
        doc: dict[str, Any] = {"recorded_at": "2026-12-01T02:01:00.000000Z", **document(outcome)}
        assert outcome_from_document(doc) == replace(
            outcome, recorded_at=outcome_from_document(doc).recorded_at
        )


def test_documents_of_a_clean_journal_give_no_finding_online_or_offline():
    desk = happy_path()
    desk.void("o_NCRE")
    desk.revoke("ti_4")

    assert check(desk) == [] == check(desk, online=False)


def test_a_forged_amount_is_named_as_documented_like_the_replay_of_entries_names_it():
    desk = happy_path()
    forged = check(desk, {13: NCRE_DEBITS_3})

    assert forged[0] == DOCUMENTED
    # seq 14's honest totals no longer follow on; ti_4 debits more than o_NCRE earns, unflagged
    assert [(f.seq, f.check) for f in forged] == [
        (13, "transfer"),
        (14, "balance"),
        (13, "transfer"),
    ]
    assert check(desk, {13: NCRE_DEBITS_3}, online=False) == forged[:2]  # no items: no flags


def test_a_transfer_the_rules_cannot_read_is_a_finding_at_its_seq():
    desk = happy_path()

    found = check(desk, {12: {"amount": "lots"}}, online=False)

    assert found == [
        Finding(
            LEARNER,
            12,
            "transfer",
            "a transfer entry with the fields of PROGRAMMES.md § Ledger semantics",
            "AmountError('must be a decimal such as 2.5')",
        )
    ]
    # online, its item is approved with no transfer the replay could read
    online = check(desk, {12: {"amount": "lots"}})
    assert [(f.seq, f.check) for f in online] == [(12, "transfer")] * 2


def test_offline_the_caps_are_not_checked_but_a_course_recognised_twice_is():
    desk = happy_path()
    ui = replace(entry(desk, 12), seq=15, item_id="ti_3", course_code="UI103", course_credits=20)
    again = replace(entry(desk, 13), seq=16, item_id="ti_9")
    desk.journal.extend([ui, again])
    desk.items["ti_3"] = replace(desk.items["ti_3"], status=ItemStatus.APPROVED, transfer_seq=15)

    online = {(f.seq, f.expected) for f in check(desk)}
    offline = {(f.seq, f.expected) for f in check(desk, online=False)}

    cap = (15, "within the caps of catalogue cat_1")
    twice = (16, "ICT100 recognised once in the programme")
    assert {cap, twice} <= online
    assert twice in offline and cap not in offline
    assert not any("item" in expected for _, expected in offline)


def test_nothing_is_replayed_until_the_first_transfer():
    desk = happy_path()
    findings: list[Finding] = []
    transfers = TransferCheck(LEARNER, findings, None)
    docs = [doc for doc, _ in chain(desk)]
    first = next(i for i, doc in enumerate(docs) if doc["kind"] == "transfer")

    for doc in docs[:first]:
        transfers.feed(doc)
    assert not transfers.converts and transfers.replay.book.outcomes == {}
    for doc in docs[first:]:
        transfers.feed(doc)
    assert transfers.converts and len(transfers.replay.book.outcomes) == 5
    assert isinstance(transfers.replay.ledger.transfers[11], Transfer)


def test_a_cache_without_a_transfer_is_found_at_the_end_of_the_chain():
    desk = happy_path()
    findings: list[Finding] = []
    transfers = TransferCheck(LEARNER, findings, None)
    for doc, _ in chain(desk)[:10]:  # the S1 outcomes and their credits
        transfers.feed(doc)

    transfers.finish((60, {"certificate": 60}), [], last_seq=10)

    assert [(f.seq, f.check, f.found) for f in findings] == [
        (10, "balance", 'cached converted 6.0 {"certificate":"6.0"}')
    ]


def test_the_offline_verifier_replays_transfers_in_an_export():
    desk = happy_path()
    desk.void("o_NCRE")
    desk.revoke("ti_4")
    assert verify_export(export(desk), None).ok

    rehashed = verify_export(export(desk, {13: NCRE_DEBITS_3}), None)

    assert not rehashed.ok
    assert rehashed.findings[0] == DOCUMENTED
    assert {f.check for f in rehashed.findings} == {"transfer", "balance"}  # the chain holds
