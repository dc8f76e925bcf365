"""A certificate number already credited on another learner's account (DESIGN.md § Conversion).

Issuers do reuse numbers, so such an outcome is not refused: it goes to review (reason
``certificate_no_reused``) and is never credited automatically. One learner's history cannot
tell, so posting finds it — under the learners' locks, in its own transaction — and records
it in the outcome's journal entry (``"certificate_no_reused": true``), where the engine reads
it: replay and audit decide the same without looking across accounts.

A number is held by the outcomes (projection rows) credited under its key: kind, code and
number, indexed (``outcomes.certificate_key``), found with one query per 500 numbers of a
batch. Within a batch, the first learner in journal order (``learner_id`` order) keeps it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from creditbank.conversion import Status
from creditbank.db import in_slices
from creditbank.models import NewOutcomeState, OutcomeState

# The kinds whose certificate_no is unique per code, and the field that holds the code.
CODE_FIELDS = {"certificate": "certificate_code", "skill_level": "occupation_code"}
REUSED = "certificate_no_reused"  # the field of the outcome entry's data
_CREDITED = Status.CREDITED.value
# PostgreSQL: one transaction-scoped advisory lock per number, taken in one statement in the
# order of the array (sorted), so that two batches posting the same number for different
# learners (whose row locks do not meet) take turns and the second sees the first's credit.
_LOCK_NUMBERS = text("SELECT pg_advisory_xact_lock(n) FROM unnest(CAST(:numbers AS bigint[])) n")


def certificate_key(kind: str, code: str | None, number: str | None) -> str | None:
    """``kind:<length of code>:code:number`` for a certificate or skill level with a number,
    else None. The length keeps a code that holds a colon from running into the number;
    migration 0005 wrote the keys of earlier outcomes the same way."""
    if kind not in CODE_FIELDS or code is None or not number:
        return None
    return f"{kind}:{len(code)}:{code}:{number}"


def item_key(item: Mapping[str, Any]) -> str | None:
    """The key of a validated outcome as posted."""
    kind = item["kind"]
    return certificate_key(kind, item.get(CODE_FIELDS.get(kind, "")), item.get("certificate_no"))


class CreditedNumbers:
    """Who holds each number of a batch: the learners on whose accounts it is credited, from
    the database and from the learners of the batch posted so far."""

    def __init__(self, holders: dict[str, set[str]]) -> None:
        self._holders = holders

    def reused(self, learner_id: str, key: str | None) -> bool:
        """True when ``key`` is credited on an account other than ``learner_id``'s."""
        return key is not None and bool(self._holders.get(key, set()) - {learner_id})

    def note(self, state: NewOutcomeState) -> None:
        """An outcome of this batch, once converted: credited, it holds its number."""
        if state.certificate_key is not None and state.status == _CREDITED:
            self._holders.setdefault(state.certificate_key, set()).add(state.learner_id)


def credited_numbers(session: Session, keys: Iterable[str | None]) -> CreditedNumbers:
    """The holders of ``keys`` (``None`` skipped), locked against concurrent posts of them."""
    wanted = sorted({key for key in keys if key is not None})
    holders: dict[str, set[str]] = {}
    if not wanted:
        return CreditedNumbers(holders)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK_NUMBERS, {"numbers": sorted(map(_lock_number, wanted))}).all()
    # On SQLite, BEGIN IMMEDIATE already serialises every writer.
    query = select(OutcomeState.certificate_key, OutcomeState.learner_id).where(
        OutcomeState.status == _CREDITED
    )
    for chunk in in_slices(wanted):
        rows = session.execute(query.where(OutcomeState.certificate_key.in_(chunk)))
        for key, learner_id in rows:  # key is never None here: it matched the IN list
            holders.setdefault(key or "", set()).add(learner_id)
    return CreditedNumbers(holders)


def _lock_number(key: str) -> int:
    """A stable signed 64-bit number for ``key`` (an advisory lock's id)."""
    digest = hashlib.sha256(f"creditbank:certificate:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
