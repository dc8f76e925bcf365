"""Checks of one learner's chain and balances, fed entry by entry (DESIGN.md invariants 2, 3).

Pure: the audit feeds them documents rebuilt from stored rows (``journal.entry_document``), the
offline verifier feeds them the documents of an export file. Neither stops at the first
finding: every check records what it expected and what it found, and goes on.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from creditbank.domain.amounts import AmountError, format_tenths, parse_tenths
from creditbank.domain.canonical import GENESIS_HASH, entry_hash

# The audit's checks; ``transfer`` is the college half's (PROGRAMMES.md § Audits), whose
# replay lives in creditbank.transfer and extends ``balance`` with the converted totals.
CHECKS = ("seq_gap", "chain_link", "entry_hash", "balance", "replay", "transfer", "checkpoint")
Totals = tuple[int, Mapping[str, int]]  # a balance and its split by category, in tenths


@dataclass(frozen=True)
class Finding:
    """One thing found wrong: where (learner, seq), which check, expected and found."""

    learner_id: str | None
    seq: int | None
    check: str
    expected: str
    found: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "learner_id": self.learner_id,
            "seq": self.seq,
            "check": self.check,
            "expected": self.expected,
            "found": self.found,
        }


@functools.lru_cache(maxsize=4096)
def _tenths(text: object) -> int:
    """``parse_tenths`` of an amount as documents spell it; the same few strings recur on
    every credit entry's running totals, so they are parsed once each."""
    return parse_tenths(text)


def format_totals(totals: Mapping[str, int]) -> str:
    """``{"theory": 15}`` → ``{"theory":"1.5"}`` (sorted, as the documents spell amounts)."""
    return json.dumps(
        {name: format_tenths(value) for name, value in sorted(totals.items())},
        ensure_ascii=False,
        separators=(",", ":"),
    )


class ChainCheck:
    """``seq`` 1..n, ``prev_hash`` links and recomputed hashes of one learner's chain."""

    def __init__(self, learner_id: str, findings: list[Finding]) -> None:
        self.learner_id = learner_id
        self.findings = findings
        self.last_seq = 0
        self.last_hash = GENESIS_HASH
        self.entries = 0

    def feed(self, document: dict[str, Any], stored_hash: str, *, hashed: bool = True) -> None:
        """One entry, in seq order: its hashed document and the hash stored with it
        (``hashed=False``: only its seq and link, for an entry that cannot be rebuilt)."""
        seq = document.get("seq")
        self.entries += 1
        if seq != self.last_seq + 1:
            self._add(self.last_seq + 1, "seq_gap", f"seq {self.last_seq + 1}", f"seq {seq}")
        prev_hash = document.get("prev_hash")
        if prev_hash != self.last_hash:
            where = (
                "64 zeros (first entry)" if self.last_seq == 0 else f"hash of seq {self.last_seq}"
            )
            self._add(seq, "chain_link", f"prev_hash {self.last_hash} ({where})", f"{prev_hash}")
        if hashed:
            self._check_hash(seq, document, stored_hash)
        if isinstance(seq, int):
            self.last_seq = seq
        self.last_hash = str(stored_hash)

    def _check_hash(self, seq: Any, document: dict[str, Any], stored_hash: str) -> None:
        try:
            computed = entry_hash(document)
        except (TypeError, ValueError) as error:
            computed = f"(cannot be hashed: {error})"
        if computed != stored_hash:
            expected = f"hash {computed} (SHA-256 of the entry's content)"
            self._add(seq, "entry_hash", expected, f"hash {stored_hash}")

    def finish(self, head_seq: int, head_hash: str) -> None:
        """Compare the chain's end with the head the account caches (deleted or forged tail)."""
        if (head_seq, head_hash) == (self.last_seq, self.last_hash):
            return
        chain_end = f"chain ends at seq {self.last_seq} hash {self.last_hash}"
        if head_seq > self.last_seq:
            expected = f"entries up to the cached head, seq {head_seq} hash {head_hash}"
            self._add(self.last_seq + 1, "seq_gap", expected, chain_end)
        elif head_seq < self.last_seq:
            expected = f"chain ends at the cached head, seq {head_seq} hash {head_hash}"
            self._add(head_seq + 1, "chain_link", expected, chain_end)
        else:
            self._add(head_seq, "chain_link", f"cached head hash {head_hash}", chain_end)

    def _add(self, seq: Any, check: str, expected: str, found: str) -> None:
        seq = seq if isinstance(seq, int) else None
        self.findings.append(Finding(self.learner_id, seq, check, expected, found))


class BalanceCheck:
    """Running totals of credit entries, and the account's cached balance (invariant 3).

    Each credit's running totals must be the previous ones plus its delta. After a mismatch
    the next entry may follow on from either the recorded or the recomputed totals, so that a
    changed delta and a changed running total are each one finding, not one per later entry.
    """

    def __init__(self, learner_id: str, findings: list[Finding]) -> None:
        self.learner_id = learner_id
        self.findings = findings
        self.recorded: Totals = (0, {})  # the last credit's running totals, tenths
        self.recomputed: Totals | None = None  # the other way to go on, after a mismatch
        self.sums: Totals = (0, {})  # of the deltas
        self.last_credit_seq: int | None = None
        self.broken_entries = 0

    def feed(self, document: Mapping[str, Any]) -> None:
        """One ``credit`` entry's document, in seq order."""
        seq = document.get("seq")
        try:
            delta = _tenths(document["delta"])
            category = str(document["category"])
            found: Totals = (
                _tenths(document["running_total"]),
                {str(k): _tenths(v) for k, v in document["running_by_category"].items()},
            )
        except (KeyError, TypeError, AttributeError, AmountError) as error:
            self._add(seq, "a credit entry with delta, category and running totals", repr(error))
            self.broken_entries += 1
            return
        self.sums = _plus(self.sums, category, delta)
        expected = _plus(self.recorded, category, delta)
        alternative = self.recomputed and _plus(self.recomputed, category, delta)
        self.recomputed = None
        if found not in (expected, alternative):
            self._mismatch(seq, expected, found)
            self.recomputed = expected
        self.recorded = found
        self.last_credit_seq = seq if isinstance(seq, int) else self.last_credit_seq

    def _mismatch(self, seq: Any, expected: Totals, found: Totals) -> None:
        self.broken_entries += 1
        if found[0] != expected[0]:
            self._add(
                seq,
                f"running_total {format_tenths(expected[0])} (previous + delta)",
                f"running_total {format_tenths(found[0])}",
            )
        if found[1] != expected[1]:
            self._add(
                seq,
                f"running_by_category {format_totals(expected[1])}",
                f"running_by_category {format_totals(found[1])}",
            )

    def finish(self, fallback_seq: int, cached: Totals | None = None) -> None:
        """Sum of deltas = last running total (= the cached balance, when there is a cache).

        Findings name the last credit entry, whose running totals the cache must equal.
        """
        seq = self.last_credit_seq if self.last_credit_seq is not None else fallback_seq
        if not self.broken_entries and self.sums != self.recorded:
            expected = f"sum of deltas {_balance(*self.sums)}"
            self._add(seq, expected, f"last running total {_balance(*self.recorded)}")
        if cached is not None and (cached[0], dict(cached[1])) != self.recorded:
            expected = f"cached balance = last running total {_balance(*self.recorded)}"
            self._add(seq, expected, f"cached balance {_balance(*cached)}")

    def _add(self, seq: Any, expected: str, found: str) -> None:
        seq = seq if isinstance(seq, int) else None
        self.findings.append(Finding(self.learner_id, seq, "balance", expected, found))


def _plus(totals: Totals, category: str, delta: int) -> Totals:
    by_category = dict(totals[1])
    by_category[category] = by_category.get(category, 0) + delta
    return totals[0] + delta, by_category


def _balance(total: int, by_category: Mapping[str, int]) -> str:
    return f"{format_tenths(total)} {format_totals(by_category)}"
