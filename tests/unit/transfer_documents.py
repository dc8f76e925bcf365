"""A :class:`~tests.unit.transfer_desk.Desk`'s journal as the journal stores it: each entry's
hashed document (the fields PROGRAMMES.md § Ledger semantics and DESIGN.md give it), chained
and hashed, and as the lines of a ``creditbank export``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import date, timedelta
from typing import Any

from creditbank.conversion import Outcome, Void
from creditbank.domain.amounts import format_tenths
from creditbank.domain.canonical import GENESIS_HASH, canonical_bytes, entry_hash, format_instant
from creditbank.transfer import Credit, Reversal, Transfer
from tests.unit.transfer_desk import T0, Desk

LEARNER = "L01JZS"
Changes = Mapping[int, Mapping[str, Any]]
_AMOUNTS = ("hours", "credits")


def document(entry: Outcome | Void | Credit | Transfer | Reversal) -> dict[str, Any]:
    """The entry's document without its header (``learner_id``, ``recorded_at``, ``prev_hash``)."""
    if isinstance(entry, Outcome):
        return _outcome(entry)
    if isinstance(entry, Void):
        return {"kind": "void", "seq": entry.seq, "outcome_id": entry.outcome_id, "reason": "错"}
    if isinstance(entry, Credit):
        return {
            "kind": "credit",
            "seq": entry.seq,
            "outcome_id": entry.outcome_id,
            "category": entry.category,
            "delta": format_tenths(entry.delta),
        }
    if isinstance(entry, Transfer):
        return {
            "kind": "transfer",
            "seq": entry.seq,
            "application_id": entry.application_id,
            "item_id": entry.item_id,
            "programme_id": entry.programme_id,
            "catalogue_id": entry.catalogue_id,
            "catalogue_version": 1,
            "course_code": entry.course_code,
            "course_credits": format_tenths(entry.course_credits),
            "online": entry.online,
            "grade": entry.grade,
            **entry.movement.document(),
            "decided_by": "c_LI",
        }
    return {
        "kind": "reversal",
        "seq": entry.seq,
        "transfer_seq": entry.transfer_seq,
        "application_id": entry.application_id,
        "item_id": entry.item_id,
        "course_code": entry.course_code,
        **entry.movement.document(),
        "reason": "来源证书已被撤销",
        "revoked_by": "c_LI",
    }


def _outcome(outcome: Outcome) -> dict[str, Any]:
    doc: dict[str, Any] = {"kind": "outcome", "outcome_kind": outcome.kind.value}
    for field in fields(Outcome):
        value = getattr(outcome, field.name)
        if field.name in ("kind", "recorded_at") or value is None or value is False:
            continue
        if field.name in _AMOUNTS:
            value = format_tenths(value)
        elif isinstance(value, date):
            value = value.isoformat()
        doc[field.name] = value
    doc["provider_id"] = "p_YYZJ"
    return doc


def chain(desk: Desk, changes: Changes | None = None) -> list[tuple[dict[str, Any], str]]:
    """The desk's journal as ``(hashed document, hash)`` pairs; ``changes`` (by seq) alter an
    entry's document before it is hashed, as a forger who re-hashes the chain would."""
    previous, pairs = GENESIS_HASH, []
    total = 0  # the credits' running totals so far
    by_category: dict[str, int] = {}
    for entry in desk.journal:
        doc = {
            "learner_id": LEARNER,
            "recorded_at": format_instant(T0 + timedelta(minutes=entry.seq)),
            "prev_hash": previous,
            **document(entry),
        }
        if isinstance(entry, Credit):
            total += entry.delta
            by_category[entry.category] = by_category.get(entry.category, 0) + entry.delta
            doc["running_total"] = format_tenths(total)
            doc["running_by_category"] = {k: format_tenths(v) for k, v in by_category.items()}
        doc.update((changes or {}).get(entry.seq, {}))
        previous = entry_hash(doc)
        pairs.append((doc, previous))
    return pairs


def export(desk: Desk, changes: Changes | None = None) -> list[str]:
    """The lines of a one-learner export with no checkpoint."""
    header = {"format": "creditbank-export", "version": 1, "learner_id": LEARNER}
    lines = [header] + [{"entry": doc, "hash": hashed} for doc, hashed in chain(desk, changes)]
    return [canonical_bytes(line).decode("utf-8") + "\n" for line in lines]
