"""One learner's credit bank in memory, run through the pure transfer rules as the services
will run them: posts and voids go through the real conversion engine (credit entries with
their seqs), filings, decisions and revocations through :mod:`creditbank.transfer`, and every
entry lands in one seq-ordered journal the audit's replay can read back.

Also the S1 outcomes of PROGRAMMES.md, so tests read like its scenarios.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from creditbank.conversion import (
    Decision,
    HistoryEntry,
    Outcome,
    OutcomeKind,
    Void,
    credit_changes,
    evaluate,
)
from creditbank.domain.amounts import parse_tenths
from creditbank.domain.chain_checks import Finding
from creditbank.transfer import (
    Banked,
    Catalogue,
    Credit,
    Item,
    ItemRequest,
    ItemStatus,
    Ledger,
    Movement,
    Refusal,
    Reversal,
    Transfer,
    TransferReplay,
    approve,
    banked_outcomes,
    check_claims,
    check_confirmation,
    check_rejection,
    file_items,
    held_keys,
    items_to_flag,
    revoke,
)
from tests.unit.transfer_factories import YUNYANG

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
Totals = tuple[int, Mapping[str, int]]


class Desk:
    """One learner's journal, items and claims; each method is one service's use of the rules."""

    def __init__(self) -> None:
        self.history: list[HistoryEntry] = []  # the conversion engine's input
        self.decisions: dict[str, Decision] = {}
        self.journal: list[Outcome | Void | Credit | Transfer | Reversal] = []
        self.items: dict[str, Item] = {}
        self.catalogue_of: dict[str, Catalogue] = {}  # application -> its filing catalogue
        self.claims: dict[str, str] = {}  # claim key -> application
        self.clock = T0

    @property
    def seq(self) -> int:
        return len(self.journal)

    # posting and voiding (services/posting, services/voiding through conversion.reconvert)

    def post(self, outcome_id: str, kind: OutcomeKind, achieved_on: date, **fields: Any) -> str:
        self.clock += timedelta(minutes=1)
        category = fields.pop("category", kind.value)
        outcome = Outcome(
            outcome_id, self.seq + 1, self.clock, kind, category, achieved_on, YUNYANG.id, **fields
        )
        self._record(outcome)
        return outcome_id

    def certificate(
        self, oid: str, code: str, level: str | None, no: str, on: date = date(2026, 6, 1)
    ) -> str:
        return self.post(
            oid, OutcomeKind.CERTIFICATE, on, certificate_code=code, level=level, certificate_no=no
        )

    def skill(self, oid: str, occupation: str, level: int, no: str) -> str:
        return self.post(
            oid, OutcomeKind.SKILL_LEVEL, date(2026, 6, 1),
            occupation_code=occupation, level=level, certificate_no=no,
        )  # fmt: skip

    def competition(self, oid: str, scope: str, rank: int, event: str) -> str:
        return self.post(
            oid, OutcomeKind.COMPETITION, date(2026, 6, 1), scope=scope, rank=rank, event=event
        )

    def hours(self, oid: str, hours: str, category: str, on: date = date(2026, 6, 1)) -> str:
        return self.post(
            oid, OutcomeKind.TRAINING_HOURS, on, hours=parse_tenths(hours), category=category
        )

    def course(
        self, oid: str, code: str, credits: str, score: int, institution: str, on: date
    ) -> str:
        return self.post(
            oid, OutcomeKind.COURSE, on,
            course_code=code, credits=parse_tenths(credits), score=score, institution=institution,
        )  # fmt: skip

    def void(self, outcome_id: str) -> None:
        self._record(Void(outcome_id, self.seq + 1))

    def _record(self, entry: Outcome | Void) -> None:
        before = self.banked()
        self.history.append(entry)
        self.journal.append(entry)
        after = evaluate(self.history, {YUNYANG.id: YUNYANG})
        for decision in credit_changes(self.decisions, after):
            earlier = self.decisions.get(decision.outcome_id)
            delta = decision.credits - (earlier.credits if earlier else 0)
            self.journal.append(Credit(decision.outcome_id, self.seq + 1, delta, decision.category))
        self.decisions = after
        for item_id in items_to_flag(self.ledger(), before, self.banked()):
            self.items[item_id] = replace(self.items[item_id], flagged=True, confirmed=False)

    # reading

    def banked(self) -> dict[str, Banked]:
        return banked_outcomes(self.history, self.decisions)

    def ledger(self) -> Ledger:
        return Ledger.of(e for e in self.journal if isinstance(e, Transfer | Reversal))

    def pending_courses(self, programme_id: str) -> dict[str, str]:
        return {
            item.course_code: item.application_id
            for item in self.items.values()
            if item.programme_id == programme_id and item.status is ItemStatus.PENDING
        }

    # filing and deciding (services/applications, services/transfers)

    def file(
        self, application_id: str, catalogue: Catalogue, *items: tuple[str, list[str]]
    ) -> list[str] | Refusal:
        """Items ``(course_code, outcome_ids)``; their ids (``ti_1``, ``ti_2``, … across the
        learner's applications), or why not."""
        requests = [ItemRequest(code, tuple(oids)) for code, oids in items]
        filed = file_items(catalogue, requests, self.banked())
        if isinstance(filed, Refusal):
            return filed
        programme = catalogue.programme_id
        pending = self.pending_courses(programme)
        refusal = check_claims(filed, self.claims, self.ledger(), programme, pending)
        if refusal is not None:
            return refusal
        self.catalogue_of[application_id] = catalogue
        ids = []
        for one in filed:
            item_id = f"ti_{len(self.items) + 1}"
            self.items[item_id] = Item(
                item_id,
                application_id,
                programme,
                one.course.code,
                one.course.credits,
                one.outcome_ids,
                one.claim_keys,
                online=one.online,
                grade=one.suggested_grade,
            )
            self.claims.update(dict.fromkeys(one.claim_keys, application_id))
            ids.append(item_id)
        return ids

    def approve(self, item_id: str, *, enrolled: bool = True) -> Movement | Refusal:
        item = self.items[item_id]
        catalogue = self.catalogue_of[item.application_id]
        result = approve(item, catalogue, self.ledger(), self.banked(), enrolled=enrolled)
        if isinstance(result, Movement):
            seq = self.seq + 1
            self.journal.append(
                Transfer(
                    seq,
                    item.application_id,
                    item_id,
                    item.programme_id,
                    catalogue.id,
                    item.course_code,
                    item.course_credits,
                    item.online,
                    item.grade or "",
                    result,
                )
            )
            self.items[item_id] = replace(item, status=ItemStatus.APPROVED, transfer_seq=seq)
        return result

    def reject(self, item_id: str) -> Refusal | None:
        refusal = check_rejection(self.items[item_id])
        if refusal is None:
            self._close(item_id, ItemStatus.REJECTED)
        return refusal

    def revoke(self, item_id: str) -> Movement | Refusal:
        item = self.items[item_id]
        result = revoke(item, self.ledger())
        if isinstance(result, Movement):
            seq = self.seq + 1
            transfer_seq = item.transfer_seq or 0
            self.journal.append(
                Reversal(seq, transfer_seq, item.application_id, item_id, item.course_code, result)
            )
            self.items[item_id] = replace(item, reversal_seq=seq, flagged=False)
            self._close(item_id, ItemStatus.REVOKED)
        return result

    def confirm(self, item_id: str) -> Refusal | None:
        refusal = check_confirmation(self.items[item_id])
        if refusal is None:
            self.items[item_id] = replace(self.items[item_id], flagged=False, confirmed=True)
        return refusal

    def withdraw(self, application_id: str) -> None:
        for item in list(self.items.values()):
            if item.application_id == application_id and item.status is ItemStatus.PENDING:
                self._close(item.item_id, ItemStatus.WITHDRAWN)

    def _close(self, item_id: str, status: ItemStatus) -> None:
        item = self.items[item_id] = replace(self.items[item_id], status=status)
        application = item.application_id
        held = held_keys(i for i in self.items.values() if i.application_id == application)
        for key in item.claim_keys:
            if key not in held and self.claims.get(key) == application:
                del self.claims[key]

    # auditing (services/audit_scan)

    def replay(self, *, cached: Totals | Literal["journal"] | None = "journal") -> list[Finding]:
        """The audit's findings; the account's cached converted totals are by default those
        the journal's entries add up to (``None``: no cache to compare)."""
        findings: list[Finding] = []
        catalogues = {c.id: c for c in self.catalogue_of.values()}
        replay = TransferReplay("L01JZS", findings, catalogues)
        for entry in self.journal:
            if isinstance(entry, Outcome):
                replay.add_outcome(entry)
            elif isinstance(entry, Void):
                replay.add_void(entry)
            elif isinstance(entry, Credit):
                replay.add_credit(entry)
            elif isinstance(entry, Transfer):
                replay.add_transfer(entry)
            else:
                replay.add_reversal(entry)
        if cached == "journal":
            ledger = self.ledger()
            cached = (ledger.converted, ledger.converted_by_category)
        replay.finish(cached, list(self.items.values()))
        return findings


def s1(desk: Desk) -> Desk:
    """The S1 outcomes of PROGRAMMES.md § Acceptance scenarios, posted by YYZJ (seq 1–10)."""
    desk.certificate("o_CERT", "1X-WEB-FRONTEND", "senior", "WEB-S-0001", date(2026, 6, 1))
    desk.certificate("o_NCRE", "NCRE-2", None, "NCRE-0001", date(2026, 3, 20))
    desk.hours("o_H1", "48", "practice", date(2026, 5, 15))
    desk.hours("o_H2", "36", "practice", date(2026, 7, 10))
    desk.course("o_MOOC", "CS-JS-01", "3.0", 85, "中国大学MOOC", date(2026, 4, 30))
    return desk


FIVE_ITEMS = (
    ("WEB101", ["o_CERT"]),
    ("JS102", ["o_CERT"]),
    ("UI103", ["o_CERT"]),
    ("ICT100", ["o_NCRE"]),
    ("PRAC201", ["o_H1", "o_H2"]),
)
