"""The learner's transfers and reversals folded in seq order, and the two rules that move bank
credits (PROGRAMMES.md § Ledger semantics, rules 1–3).

Deciding folds the journal's entries and asks :meth:`Ledger.debit` or :meth:`Ledger.give_back`;
the audit folds the same entries one by one and asks the same methods what each entry should
have been, so an audit is a replay and not a second implementation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from creditbank.transfer.entries import LedgerEntry, Movement, Reversal, SourceLine, Transfer
from creditbank.transfer.model import Banked, Item
from creditbank.transfer.sources import claim_key, is_line_key, line_members

Totals = tuple[int, dict[str, int]]  # converted, and by source category


@dataclass(frozen=True)
class Exemption:
    """What the caps and the rules need of an item: its programme, course and claim keys."""

    item_id: str
    application_id: str
    programme_id: str
    course_code: str
    course_credits: int
    online: bool
    outcome_ids: tuple[str, ...]
    claim_keys: tuple[str, ...]

    @classmethod
    def of_item(cls, item: Item) -> Exemption:
        return cls(
            item.item_id,
            item.application_id,
            item.programme_id,
            item.course_code,
            item.course_credits,
            item.online,
            item.outcome_ids,
            item.claim_keys,
        )

    @classmethod
    def of_transfer(cls, transfer: Transfer) -> Exemption:
        return cls(
            transfer.item_id,
            transfer.application_id,
            transfer.programme_id,
            transfer.course_code,
            transfer.course_credits,
            transfer.online,
            transfer.outcome_ids,
            transfer.claim_keys,
        )


class Ledger:
    """Approved (not revoked) exemptions, each key's standing debit, and the converted totals."""

    def __init__(self) -> None:
        self.transfers: dict[int, Transfer] = {}  # by seq, every one ever written
        self.live: dict[str, Transfer] = {}  # by item: approved and not revoked
        self.reversed: dict[int, int] = {}  # transfer seq -> the seq of its reversal
        self.debits: dict[tuple[str, str], tuple[SourceLine, ...]] = {}  # (application, key)
        self.converted = 0
        self.converted_by_category: dict[str, int] = {}

    @classmethod
    def of(cls, entries: Iterable[LedgerEntry]) -> Ledger:
        ledger = cls()
        for entry in entries:
            ledger.apply(entry)
        return ledger

    def apply(self, entry: LedgerEntry) -> None:
        """Fold one entry in (entries arrive in ``seq`` order)."""
        sign = 1 if isinstance(entry, Transfer) else -1
        movement = entry.movement
        self.converted += sign * movement.amount
        for line in movement.sources:
            by_category = self.converted_by_category
            by_category[line.category] = by_category.get(line.category, 0) + sign * line.amount
        if isinstance(entry, Transfer):
            self._approve(entry)
        else:
            self._revoke(entry)

    def _approve(self, transfer: Transfer) -> None:
        self.transfers[transfer.seq] = transfer
        self.live[transfer.item_id] = transfer
        for key, lines in _debited(transfer.movement.sources).items():
            self.debits[transfer.application_id, key] = lines

    def _revoke(self, reversal: Reversal) -> None:
        self.reversed.setdefault(reversal.transfer_seq, reversal.seq)
        transfer = self.transfers.get(reversal.transfer_seq)
        if transfer is not None and self.live.get(transfer.item_id) is transfer:
            del self.live[transfer.item_id]
        for key in _debited(reversal.movement.sources):
            self.debits.pop((reversal.application_id, key), None)

    def live_in(self, programme_id: str) -> list[Transfer]:
        return [t for t in self.live.values() if t.programme_id == programme_id]

    def recognised(self, programme_id: str, *, online: bool = False, key: str | None = None) -> int:
        """Course credits of approved items in the programme (only online ones; only those
        naming ``key``)."""
        return sum(
            transfer.course_credits
            for transfer in self.live_in(programme_id)
            if (transfer.online or not online) and (key is None or key in transfer.claim_keys)
        )

    def recognised_courses(self, programme_id: str) -> set[str]:
        return {transfer.course_code for transfer in self.live_in(programme_id)}

    def holder(self, application_id: str, key: str, *, besides: str) -> str | None:
        """The first approved item of the application, other than ``besides``, naming ``key``."""
        holders = (
            t
            for t in sorted(self.live.values(), key=lambda t: t.seq)
            if t.application_id == application_id and t.item_id != besides and key in t.claim_keys
        )
        return next((t.item_id for t in holders), None)

    def debit(self, exemption: Exemption, banked: Mapping[str, Banked]) -> tuple[SourceLine, ...]:
        """Rule 1, debit once per key: for each key the item names, the credits it stands for
        now, unless another approved item of the application holds the key."""
        lines: list[SourceLine] = []
        for key in exemption.claim_keys:
            named = banked[_named(exemption.outcome_ids, key, banked)]
            holder = self.holder(exemption.application_id, key, besides=exemption.item_id)
            if holder is not None:
                lines.append(SourceLine(named.outcome_id, key, named.category, 0, held_by=holder))
            else:
                lines.extend(key_lines(named, banked))
        return tuple(lines)

    def give_back(self, transfer: Transfer) -> tuple[SourceLine, ...]:
        """Rule 2, return once per key: what the key's debit took, unless another approved
        item of the application still names the key (then the debit stays)."""
        lines: list[SourceLine] = []
        named = {line.key: line for line in transfer.movement.sources if line.line_of is None}
        for key, line in named.items():
            holder = self.holder(transfer.application_id, key, besides=transfer.item_id)
            debit = self.debits.get((transfer.application_id, key))
            if holder is not None or debit is None:
                lines.append(SourceLine(line.outcome_id, key, line.category, 0, held_by=holder))
            else:
                lines.extend(debit)
        return tuple(lines)

    def movement(self, sources: Sequence[SourceLine], sign: int) -> Movement:
        """The movement of ``sources`` (+1 a debit, -1 a return) and the totals after it."""
        amount = sum(line.amount for line in sources)
        by_category = dict(self.converted_by_category)
        for line in sources:
            by_category[line.category] = by_category.get(line.category, 0) + sign * line.amount
        return Movement(tuple(sources), amount, self.converted + sign * amount, by_category)

    def debited_elsewhere(self, application_id: str, key: str) -> str | None:
        """Another application whose live transfer holds ``key``'s debit (invariant 7)."""
        return next(
            (
                app
                for (app, held), _ in self.debits.items()
                if held == key and app != application_id
            ),
            None,
        )


def key_lines(named: Banked, banked: Mapping[str, Banked]) -> list[SourceLine]:
    """What naming ``named`` debits for its key now: its own credits and, for a line key, every
    other credited outcome of the line in ``seq`` order, marked ``line_of``."""
    key = claim_key(named.outcome)
    lines = [SourceLine(named.outcome_id, key, named.category, named.credits)]
    if is_line_key(key):
        lines.extend(
            SourceLine(m.outcome_id, key, m.category, m.credits, line_of=named.outcome_id)
            for m in line_members(key, banked)
            if m.outcome_id != named.outcome_id
        )
    return lines


def _named(outcome_ids: Sequence[str], key: str, banked: Mapping[str, Banked]) -> str:
    return next(
        oid for oid in outcome_ids if oid in banked and claim_key(banked[oid].outcome) == key
    )


def _debited(lines: Iterable[SourceLine]) -> dict[str, tuple[SourceLine, ...]]:
    """The lines that moved credits for a key (held ones moved none), grouped by key."""
    grouped: dict[str, list[SourceLine]] = {}
    for line in lines:
        if line.held_by is None:
            grouped.setdefault(line.key, []).append(line)
    return {key: tuple(group) for key, group in grouped.items()}
