"""The transfer checks fed journal documents (PROGRAMMES.md § Audits: check ``transfer`` and
the converted half of ``balance``), as the audit and the offline verifier both read a chain.

:class:`TransferCheck` takes one learner's entries as their hashed documents, in seq order —
the audit rebuilds them from stored rows (``journal.entry_document``), the verifier reads them
from an export — and hands :class:`TransferReplay` the outcomes, voids, credits, transfers and
reversals it needs. Until a learner's first ``transfer`` or ``reversal`` the documents only
wait (most learners never convert, and then nothing is parsed twice); the first one replays
them. Findings name the entry, like every other check's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import date
from typing import Any

from creditbank.conversion import Outcome, OutcomeKind, Void
from creditbank.domain.amounts import parse_tenths
from creditbank.domain.canonical import parse_instant
from creditbank.domain.chain_checks import Finding
from creditbank.transfer.audit import TRANSFER, TransferReplay
from creditbank.transfer.entries import (
    Credit,
    Reversal,
    Transfer,
    reversal_from_document,
    transfer_from_document,
)
from creditbank.transfer.model import Catalogue, Item

Totals = tuple[int, Mapping[str, int]]
BOOK_KINDS = frozenset({"outcome", "void", "credit"})
LEDGER_KINDS = frozenset({"transfer", "reversal"})
_HEADER = frozenset(
    {"outcome_id", "seq", "recorded_at", "kind", "category", "achieved_on", "ruleset_id"}
)
_OUTCOME_FIELDS = tuple(f.name for f in fields(Outcome) if f.name not in _HEADER)
_AMOUNT_FIELDS = frozenset({"hours", "credits"})
_DATE_FIELDS = frozenset({"valid_until"})
_UNREADABLE = (KeyError, TypeError, ValueError, AttributeError)


class TransferCheck:
    """One learner's chain, document by document, through the transfer replay.

    ``catalogues``: every published catalogue by id (the audit); ``None`` where there are none
    (the offline verifier: check 4 is then only "no course recognised twice").
    """

    def __init__(
        self,
        learner_id: str,
        findings: list[Finding],
        catalogues: Mapping[str, Catalogue] | None,
    ) -> None:
        self.replay = TransferReplay(learner_id, findings, catalogues)
        self.outcomes: dict[str, Outcome] = {}
        self.waiting: list[Mapping[str, Any]] | None = []  # None once a transfer was seen

    @property
    def converts(self) -> bool:
        """Whether the chain holds a transfer or a reversal so far."""
        return self.waiting is None

    def feed(self, document: Mapping[str, Any]) -> None:
        """One entry's hashed document, in seq order (kinds the replay needs nothing of pass)."""
        kind = document.get("kind")
        if kind in LEDGER_KINDS:
            if self.waiting is not None:
                waiting, self.waiting = self.waiting, None
                for earlier in waiting:
                    self._book(earlier)
            self._ledger(document)
        elif kind in BOOK_KINDS:
            if self.waiting is not None:
                self.waiting.append(document)
            else:
                self._book(document)

    def finish(
        self,
        cached: Totals | None = None,
        items: Sequence[Item] | None = None,
        last_seq: int | None = None,
    ) -> None:
        """The end of the chain: the cached converted totals (the account's; ``None`` offline)
        and the learner's items (``None`` offline), checks 5 and 6. A cache that disagrees is
        found at the last transfer or reversal, else at ``last_seq`` (the chain's end)."""
        if self.replay.last_seq is None:
            self.replay.last_seq = last_seq
        self.replay.finish(cached, items)

    def _book(self, document: Mapping[str, Any]) -> None:
        """An outcome, void or credit. One the replay cannot read is left out: the chain checks,
        the balance check and the engine's replay report it, and a transfer naming it then
        names no outcome of this learner."""
        try:
            kind, seq, outcome_id = document["kind"], int(document["seq"]), document["outcome_id"]
            if kind == "outcome":
                outcome = outcome_from_document(document)
                self.outcomes[outcome.outcome_id] = outcome
                self.replay.add_outcome(outcome)
            elif kind == "void":
                self.replay.add_void(Void(str(outcome_id), seq))
            else:
                delta, category = parse_tenths(document["delta"]), str(document["category"])
                self.replay.add_credit(Credit(str(outcome_id), seq, delta, category))
        except _UNREADABLE:
            return

    def _ledger(self, document: Mapping[str, Any]) -> None:
        kind = document["kind"]
        entry: Transfer | Reversal
        try:
            if kind == "transfer":
                entry = transfer_from_document(document, self.outcomes)
            else:
                entry = reversal_from_document(document, self.outcomes)
        except _UNREADABLE as error:
            seq = document.get("seq")
            expected = f"a {kind} entry with the fields of PROGRAMMES.md § Ledger semantics"
            where = seq if isinstance(seq, int) else None
            self.replay.findings.append(
                Finding(self.replay.learner_id, where, TRANSFER, expected, repr(error))
            )
            return
        if isinstance(entry, Transfer):
            self.replay.add_transfer(entry)
        else:
            self.replay.add_reversal(entry)


def outcome_from_document(document: Mapping[str, Any]) -> Outcome:
    """An ``outcome`` entry's hashed document as the engine's input (what
    ``services.history.history_entry`` makes of the stored row)."""
    values: dict[str, Any] = {}
    for name in _OUTCOME_FIELDS:
        value = document.get(name)
        if value is None:
            continue
        if name in _AMOUNT_FIELDS:
            value = parse_tenths(value)
        elif name in _DATE_FIELDS:
            value = date.fromisoformat(value)
        values[name] = value
    kind = OutcomeKind(document["outcome_kind"])
    return Outcome(
        outcome_id=str(document["outcome_id"]),
        seq=int(document["seq"]),
        recorded_at=parse_instant(str(document["recorded_at"])),
        kind=kind,
        category=str(document.get("category") or kind.value),
        achieved_on=date.fromisoformat(document["achieved_on"]),
        ruleset_id=document.get("ruleset_id"),
        **values,
    )
