"""The journal's `transfer` and `reversal` entries as the rules read them, and the credits an
approval or a revocation moves (PROGRAMMES.md § Ledger semantics), with their documents.

A source line's claim key is not written to the journal (an outcome's key follows from its kind
and code), so reading an entry back takes the learner's outcomes to derive it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from creditbank.conversion import Outcome
from creditbank.domain.amounts import format_tenths, parse_tenths
from creditbank.transfer.sources import claim_key


@dataclass(frozen=True)
class SourceLine:
    """One outcome of a transfer or a reversal and the bank credits it moves."""

    outcome_id: str
    key: str  # the claim key it counts under
    category: str
    amount: int  # tenths
    line_of: str | None = None  # a line member debited with the named outcome
    held_by: str | None = None  # the approved item of the application that holds the key

    def document(self) -> dict[str, Any]:
        line: dict[str, Any] = {
            "outcome_id": self.outcome_id,
            "category": self.category,
            "amount": format_tenths(self.amount),
        }
        if self.line_of is not None:
            line["line_of"] = self.line_of
        if self.held_by is not None:
            line["held_by"] = self.held_by
        return line


@dataclass(frozen=True)
class Movement:
    """What an approval debits or a revocation returns, and the converted totals after it."""

    sources: tuple[SourceLine, ...]
    amount: int
    converted_total: int
    converted_by_category: Mapping[str, int] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        """The entry's fields for these credits, amounts as the journal spells them."""
        return {
            "sources": [line.document() for line in self.sources],
            "amount": format_tenths(self.amount),
            "converted_total": format_tenths(self.converted_total),
            "converted_by_category": {
                name: format_tenths(value) for name, value in self.converted_by_category.items()
            },
        }


@dataclass(frozen=True)
class Transfer:
    """A `transfer` entry: an approved item and the bank credits it debited."""

    seq: int
    application_id: str
    item_id: str
    programme_id: str
    catalogue_id: str
    course_code: str
    course_credits: int
    online: bool
    grade: str
    movement: Movement

    @property
    def outcome_ids(self) -> tuple[str, ...]:
        """The outcomes the item named (line members debited with them left out)."""
        return tuple(line.outcome_id for line in self.movement.sources if line.line_of is None)

    @property
    def claim_keys(self) -> tuple[str, ...]:
        named = (line.key for line in self.movement.sources if line.line_of is None)
        return tuple(dict.fromkeys(named))


@dataclass(frozen=True)
class Reversal:
    """A `reversal` entry: a revoked item and the bank credits it returned."""

    seq: int
    transfer_seq: int
    application_id: str
    item_id: str
    course_code: str
    movement: Movement


@dataclass(frozen=True)
class Credit:
    """A `credit` entry as the audit's replay reads it: what an outcome's earnings changed by."""

    outcome_id: str
    seq: int
    delta: int  # tenths
    category: str


LedgerEntry = Transfer | Reversal


def transfer_from_document(
    document: Mapping[str, Any], outcomes: Mapping[str, Outcome]
) -> Transfer:
    """A stored `transfer` document as the rules read it (KeyError, TypeError or AmountError
    when it is not one)."""
    return Transfer(
        seq=int(document["seq"]),
        application_id=str(document["application_id"]),
        item_id=str(document["item_id"]),
        programme_id=str(document["programme_id"]),
        catalogue_id=str(document["catalogue_id"]),
        course_code=str(document["course_code"]),
        course_credits=parse_tenths(document["course_credits"]),
        online=bool(document["online"]),
        grade=str(document["grade"]),
        movement=movement_from_document(document, outcomes),
    )


def reversal_from_document(
    document: Mapping[str, Any], outcomes: Mapping[str, Outcome]
) -> Reversal:
    """A stored `reversal` document as the rules read it."""
    return Reversal(
        seq=int(document["seq"]),
        transfer_seq=int(document["transfer_seq"]),
        application_id=str(document["application_id"]),
        item_id=str(document["item_id"]),
        course_code=str(document["course_code"]),
        movement=movement_from_document(document, outcomes),
    )


def movement_from_document(
    document: Mapping[str, Any], outcomes: Mapping[str, Outcome]
) -> Movement:
    return Movement(
        sources=lines_from_document(document["sources"], outcomes),
        amount=parse_tenths(document["amount"]),
        converted_total=parse_tenths(document["converted_total"]),
        converted_by_category={
            str(name): parse_tenths(value)
            for name, value in document["converted_by_category"].items()
        },
    )


def lines_from_document(
    lines: Sequence[Mapping[str, Any]], outcomes: Mapping[str, Outcome]
) -> tuple[SourceLine, ...]:
    """Source lines, each with the claim key of its outcome (a line member: of its line; an
    outcome the learner does not have: its own ``outcome:`` key, for the audit to report)."""
    return tuple(
        SourceLine(
            outcome_id=str(line["outcome_id"]),
            key=key_of(str(line.get("line_of") or line["outcome_id"]), outcomes),
            category=str(line["category"]),
            amount=parse_tenths(line["amount"]),
            line_of=None if line.get("line_of") is None else str(line["line_of"]),
            held_by=None if line.get("held_by") is None else str(line["held_by"]),
        )
        for line in lines
    )


def key_of(outcome_id: str, outcomes: Mapping[str, Outcome]) -> str:
    outcome = outcomes.get(outcome_id)
    return claim_key(outcome) if outcome is not None else f"outcome:{outcome_id}"
