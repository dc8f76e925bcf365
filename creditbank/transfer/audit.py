"""The audit's replay of a learner's transfers (PROGRAMMES.md § Audits, check ``transfer``, and
the converted half of check ``balance``).

Fed the learner's entries in seq order — outcomes, voids and credits (what each outcome had
earned at every seq), transfers and reversals — it asks the same :class:`Ledger` and the same
checks that deciding uses what each transfer and reversal should have been, and records every
difference as a :class:`Finding`. It never stops at the first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from creditbank.conversion import Outcome, Void
from creditbank.domain.amounts import format_tenths
from creditbank.domain.chain_checks import Finding, format_totals
from creditbank.transfer.decisions import cap_breach, check_sources
from creditbank.transfer.entries import Credit, Movement, Reversal, SourceLine, Transfer
from creditbank.transfer.flags import short_items
from creditbank.transfer.ledger import Exemption, Ledger
from creditbank.transfer.model import Banked, Catalogue, Item
from creditbank.transfer.projection import check_projection
from creditbank.transfer.sources import OutcomeBook, claim_key

TRANSFER = "transfer"
BALANCE = "balance"
Totals = tuple[int, Mapping[str, int]]


class TransferReplay:
    """One learner's transfers and reversals, replayed next to the engine's credits."""

    def __init__(
        self,
        learner_id: str,
        findings: list[Finding],
        catalogues: Mapping[str, Catalogue] | None,
    ) -> None:
        """``catalogues`` by id (the audit's: every published one); ``None`` where there are
        none to read (the offline verifier): check 4 then checks only that no course is
        recognised twice."""
        self.learner_id = learner_id
        self.findings = findings
        self.catalogues = catalogues
        self.book = OutcomeBook()
        self.ledger = Ledger()
        self.recorded: Totals = (0, {})  # the last transfer's or reversal's converted totals
        self.last_seq: int | None = None

    def add_outcome(self, outcome: Outcome) -> None:
        self.book.add_outcome(outcome)

    def add_void(self, void: Void) -> None:
        self.book.add_void(void)

    def add_credit(self, credit: Credit) -> None:
        self.book.add_credit(credit.outcome_id, credit.delta, credit.category)

    def add_transfer(self, transfer: Transfer) -> None:
        banked = self.book.banked()
        exemption = Exemption.of_transfer(transfer)
        if self._sources_known(transfer, banked):
            expected = self.ledger.debit(exemption, banked)
            self._compare(transfer.seq, expected, transfer.movement.sources, "debits")
            self._spent_once(transfer)
        earlier = [t.seq for t in self.ledger.transfers.values() if t.item_id == transfer.item_id]
        if earlier:
            self._add(
                transfer.seq,
                f"one transfer for item {transfer.item_id}",
                f"another at seq {earlier[0]}",
            )
        self._under_catalogue(transfer, exemption)
        self._totals(transfer.seq, transfer.movement, +1)
        self.ledger.apply(transfer)

    def add_reversal(self, reversal: Reversal) -> None:
        transfer = self.ledger.transfers.get(reversal.transfer_seq)
        if transfer is None or transfer.item_id != reversal.item_id:
            expected = f"transfer_seq naming an earlier transfer of item {reversal.item_id}"
            self._add(reversal.seq, expected, f"transfer_seq {reversal.transfer_seq}")
        elif reversal.transfer_seq in self.ledger.reversed:
            earlier = self.ledger.reversed[reversal.transfer_seq]
            self._add(
                reversal.seq,
                f"seq {reversal.transfer_seq} reversed once",
                f"reversed at seq {earlier} too",
            )
        else:
            returned = self.ledger.give_back(transfer)
            self._compare(reversal.seq, returned, reversal.movement.sources, "returns")
        self._totals(reversal.seq, reversal.movement, -1)
        self.ledger.apply(reversal)

    def finish(self, cached: Totals | None = None, items: Sequence[Item] | None = None) -> None:
        """The last converted totals (which, entry by entry, are Σ transfers − Σ reversals) =
        the account's cache; then, given the learner's items, the projection and the flags
        (checks 5 and 6)."""
        if cached is not None and not _same(cached, self.recorded):
            expected = f"cached converted = last converted_total {_spell(self.recorded)}"
            self._add(self.last_seq, expected, f"cached converted {_spell(cached)}", BALANCE)
        if items is None:
            return
        for seq, expected, found in check_projection(self.ledger, items):
            self._add(seq, expected, found)
        by_id = {item.item_id: item for item in items}
        for item_id, outcomes in short_items(self.ledger, self.book.banked()).items():
            item = by_id.get(item_id)
            if item is not None and not (item.flagged or item.confirmed):
                expected = f"item {item_id} flagged source_changed ({', '.join(outcomes)} short)"
                self._add(self.ledger.live[item_id].seq, expected, "not flagged")

    def _sources_known(self, transfer: Transfer, banked: Mapping[str, Banked]) -> bool:
        """Check 1: the named outcomes are this learner's, recorded before and not voided then
        (and banked: check 4 of a decision); a line member is on its named outcome's line."""
        seq, known = transfer.seq, True
        refusal = check_sources(Exemption.of_transfer(transfer), banked)
        if refusal is not None:
            self._add(seq, "sources banked when the transfer was written", refusal.detail)
            known = all(oid in banked for oid in transfer.outcome_ids)
        for line in transfer.movement.sources:
            if line.line_of is None:
                continue
            member, named = banked.get(line.outcome_id), banked.get(line.line_of)
            if not _same_line(member, named):
                expected = f"{line.outcome_id} on the line of {line.line_of}"
                self._add(seq, expected, "not on that line")
                known = False
            elif member is not None and member.voided:
                self._add(seq, f"{line.outcome_id} not voided at seq {seq}", "voided")
        return known

    def _spent_once(self, transfer: Transfer) -> None:
        """Invariant 7: no key this transfer debits is debited for another application."""
        debited = dict.fromkeys(line.key for line in transfer.movement.sources if not line.held_by)
        for key in debited:
            other = self.ledger.debited_elsewhere(transfer.application_id, key)
            if other is not None:
                expected = f"{key} held by one application's live transfers"
                self._add(transfer.seq, expected, f"also debited for application {other}")

    def _under_catalogue(self, transfer: Transfer, exemption: Exemption) -> None:
        """Check 4: the course of the catalogue it names, the caps held, not recognised twice
        (without catalogues, only the last)."""
        seq = transfer.seq
        if self.catalogues is not None:
            catalogue = self.catalogues.get(transfer.catalogue_id)
            course = catalogue.course(transfer.course_code) if catalogue is not None else None
            if catalogue is None or course is None or course.credits != transfer.course_credits:
                code, credits = transfer.course_code, format_tenths(transfer.course_credits)
                expected = f"course {code} of a published catalogue, with its credits"
                self._add(seq, expected, f"catalogue {transfer.catalogue_id}, {credits} credits")
            if catalogue is not None:
                breach = cap_breach(exemption, catalogue, self.ledger)
                if breach is not None:
                    self._add(seq, f"within the caps of catalogue {catalogue.id}", breach.detail())
        if transfer.course_code in self.ledger.recognised_courses(transfer.programme_id):
            self._add(
                seq, f"{transfer.course_code} recognised once in the programme", "recognised twice"
            )

    def _compare(
        self, seq: int, expected: Sequence[SourceLine], found: Sequence[SourceLine], verb: str
    ) -> None:
        """Line by line: what rule 1 (``debits``) or rule 2 (``returns``) says of each outcome."""
        written = {line.outcome_id: line for line in found}
        for line in expected:
            other = written.pop(line.outcome_id, None)
            if other is None or other != line:
                because = f"held by {line.held_by}" if line.held_by else f"its credits at seq {seq}"
                expected_text = f"{line.outcome_id} {verb} {format_tenths(line.amount)} ({because})"
                self._add(seq, expected_text, "not listed" if other is None else _as(other, line))
        for line in written.values():
            self._add(seq, f"no line for {line.outcome_id}", _as(line, None))

    def _totals(self, seq: int, movement: Movement, sign: int) -> None:
        """``amount`` = Σ source amounts; the converted totals follow on from the last ones."""
        lines_sum = sum(line.amount for line in movement.sources)
        if movement.amount != lines_sum:
            expected = f"amount {format_tenths(lines_sum)} (Σ source amounts)"
            self._add(seq, expected, f"amount {format_tenths(movement.amount)}", BALANCE)
        total, by_category = self.recorded
        expected_by = dict(by_category)
        for line in movement.sources:
            expected_by[line.category] = expected_by.get(line.category, 0) + sign * line.amount
        following = (total + sign * movement.amount, expected_by)
        found = (movement.converted_total, movement.converted_by_category)
        if not _same(following, found):
            expected = f"converted {_spell(following)} (previous ± amount)"
            self._add(seq, expected, f"converted {_spell(found)}", BALANCE)
        self.recorded, self.last_seq = found, seq

    def _add(self, seq: int | None, expected: str, found: str, check: str = TRANSFER) -> None:
        self.findings.append(Finding(self.learner_id, seq, check, expected, found))


def _as(line: SourceLine, expected: SourceLine | None) -> str:
    """How a written line reads: its amount, and whatever else differs from ``expected``."""
    text = f"amount {format_tenths(line.amount)}"
    if expected is None or line.category != expected.category:
        text += f" in {line.category}"
    if line.line_of and (expected is None or line.line_of != expected.line_of):
        text += f", line_of {line.line_of}"
    if line.held_by != (expected.held_by if expected else None):
        text += f", held_by {line.held_by}"
    return text


def _same_line(member: Banked | None, named: Banked | None) -> bool:
    if member is None or named is None:
        return False
    return claim_key(member.outcome) == claim_key(named.outcome)


def _same(left: Totals, right: Totals) -> bool:
    return left[0] == right[0] and dict(left[1]) == dict(right[1])


def _spell(totals: Totals) -> str:
    return f"{format_tenths(totals[0])} {format_totals(totals[1])}"
