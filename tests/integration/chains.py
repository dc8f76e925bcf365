"""Checks of one learner's chain (DESIGN.md invariants 2 and 3), shared by the integration
tests, which read stored rows, and the system tests, which read the ledger over HTTP.

Both hand in entry *views*: the hashed document of an entry plus its ``hash``
(``creditbank.services.outcome_views.entry_view`` of a stored row, or an item of
``GET /learners/<id>/ledger``). The hash is recomputed here from the document alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank.domain.amounts import parse_tenths
from creditbank.domain.canonical import GENESIS_HASH, entry_hash, parse_instant
from creditbank.models import Account, JournalEntry
from creditbank.services.outcome_views import entry_view

EntryView = Mapping[str, Any]


def stored_entries(session: Session, learner_id: str) -> list[JournalEntry]:
    """The learner's journal rows as stored, in ``seq`` order."""
    return list(
        session.scalars(
            select(JournalEntry)
            .where(JournalEntry.learner_id == learner_id)
            .order_by(JournalEntry.seq)
        )
    )


def stored_views(session: Session, learner_id: str) -> list[dict[str, Any]]:
    return [entry_view(row) for row in stored_entries(session, learner_id)]


def assert_chain_intact(entries: Sequence[EntryView]) -> None:
    """``seq`` runs 1..n, each ``prev_hash`` is the previous ``hash`` (zeros first), each
    ``hash`` is SHA-256 of the entry's canonical document, ``recorded_at`` never goes back."""
    assert [entry["seq"] for entry in entries] == list(range(1, len(entries) + 1))
    previous_hash, previous_instant = GENESIS_HASH, None
    for entry in entries:
        seq = entry["seq"]
        assert entry["prev_hash"] == previous_hash, f"seq {seq} does not link to seq {seq - 1}"
        document = {name: value for name, value in entry.items() if name != "hash"}
        assert entry_hash(document) == entry["hash"], f"seq {seq}: hash does not match content"
        instant = parse_instant(entry["recorded_at"])
        assert previous_instant is None or instant >= previous_instant, f"seq {seq} goes back"
        previous_hash, previous_instant = entry["hash"], instant


def assert_head_matches(account: Account, entries: Sequence[EntryView]) -> None:
    """The account caches the head of its chain (seq and hash of the last entry)."""
    last_seq, last_hash = (
        (entries[-1]["seq"], entries[-1]["hash"]) if entries else (0, GENESIS_HASH)
    )
    assert (account.head_seq, account.head_hash) == (last_seq, last_hash)


def assert_running_totals(entries: Sequence[EntryView]) -> tuple[int, dict[str, int]]:
    """Every credit entry's running totals (overall and per category) are the sums of the
    deltas up to it. Returns the final totals, in tenths."""
    total, by_category = 0, {}
    for entry in entries:
        if entry["kind"] != "credit":
            continue
        delta = parse_tenths(entry["delta"])
        total += delta
        by_category[entry["category"]] = by_category.get(entry["category"], 0) + delta
        running = {
            name: parse_tenths(value) for name, value in entry["running_by_category"].items()
        }
        assert parse_tenths(entry["running_total"]) == total, f"seq {entry['seq']}: running total"
        assert running == by_category, f"seq {entry['seq']}: running total per category"
    return total, by_category
