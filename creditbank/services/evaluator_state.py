"""What this process remembers of each learner's conversion, and the ways to bring it up to
the head of the learner's chain without replaying the whole history.

Per process, learner_id → the engine's state after the learner's history up to an entry
(seq, hash), the chain's head when the state was remembered. Appending outcomes never changes
earlier decisions, so a post only has to fold its own outcomes into that state. The journal is
hash-chained and append-only: when the entry at that seq still has that hash, the state is the
state of this very history; when the first entry a post appends links to that hash (its
prev_hash is the locked account's head), the post's own outcomes are all that is new, and
nothing needs to be read back at all. A void or a review can change any later outcome: then
the state is dropped and the whole history replayed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank.conversion import Decision, Evaluator, HistoryEntry, Outcome, Ruleset
from creditbank.db import in_slices
from creditbank.journal import Entry, LockedAccount
from creditbank.models import JournalEntry, NewOutcomeState
from creditbank.services.history import HISTORY_KINDS, JOURNAL, history_entry, rows_by_learner

Folded = tuple[Evaluator, list[HistoryEntry], dict[str, Decision]]


@dataclass(frozen=True)
class Snapshot:
    """The engine's state after a learner's chain up to ``(seq, hash)``, under ``rulesets``."""

    rulesets: frozenset[str]
    seq: int
    hash: str
    evaluator: Evaluator


class EvaluatorStates:
    """The remembered states, least recently used dropped first; a worker's threads share it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._snapshots: OrderedDict[str, Snapshot] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, learner_id: object) -> bool:
        return learner_id in self._snapshots

    def get(self, learner_id: str, rulesets: Mapping[str, Ruleset]) -> Snapshot | None:
        """The state remembered under these very rulesets (a new ruleset starts afresh)."""
        snapshot = self._snapshots.get(learner_id)
        if snapshot is None or snapshot.rulesets != frozenset(rulesets):
            return None
        return snapshot

    def remember(
        self,
        learner_id: str,
        rulesets: Mapping[str, Ruleset],
        seq: int,
        digest: str,
        evaluator: Evaluator,
    ) -> None:
        with self._lock:
            self._snapshots[learner_id] = Snapshot(frozenset(rulesets), seq, digest, evaluator)
            self._snapshots.move_to_end(learner_id)
            while len(self._snapshots) > self.limit:
                self._snapshots.popitem(last=False)

    def put(self, learner_id: str, snapshot: Snapshot) -> None:
        """Put back a state as it was (tests use it to stand for another worker's history)."""
        with self._lock:
            self._snapshots[learner_id] = snapshot

    def forget(self, learner_id: str) -> None:
        with self._lock:
            self._snapshots.pop(learner_id, None)

    def peek(self, learner_id: str) -> Snapshot | None:
        return self._snapshots.get(learner_id)


EVALUATOR_STATES = EvaluatorStates(limit=2048)


def prepare(
    session: Session, accounts: Iterable[LockedAccount], rulesets: Mapping[str, Ruleset]
) -> None:
    """Bring this process's remembered state of each learner up to the head of its chain,
    before a post appends to it, reading what is missing for all of them at once.

    A worker remembers the learners it posted for, but the next post for a learner often
    lands on another worker (every gunicorn worker takes requests): one query per 500
    learners then reads what the others appended since (or, for a learner never seen here,
    the whole history), instead of two queries per learner in ``reconvert``. Call it with
    the accounts locked; learners it cannot bring forward are left to ``reconvert``.
    """
    unseen: list[LockedAccount] = []
    behind: list[tuple[LockedAccount, Snapshot]] = []
    for account in accounts:
        if account.head_seq == 0:
            continue  # a new chain starts from the empty state
        snapshot = EVALUATOR_STATES.get(account.learner_id, rulesets)
        if snapshot is None:
            unseen.append(account)
        elif (snapshot.seq, snapshot.hash) != (account.head_seq, account.head_hash):
            behind.append((account, snapshot))
    for chunk in in_slices(behind):
        unseen.extend(_bring_forward(session, chunk, rulesets))
    for chunk in in_slices(unseen):
        rows = rows_by_learner(
            session, [a.learner_id for a in chunk], JOURNAL.c.kind.in_(HISTORY_KINDS)
        )
        for account in chunk:
            history = [history_entry(row) for row in rows.get(account.learner_id, [])]
            remember_head(account, rulesets, Evaluator(rulesets).apply_all(history))


def _bring_forward(
    session: Session,
    behind: Sequence[tuple[LockedAccount, Snapshot]],
    rulesets: Mapping[str, Ruleset],
) -> list[LockedAccount]:
    """Fold what others appended since each snapshot; the accounts that need a full replay
    (the anchor is gone, or a void or a review came since) are returned."""
    since = min(snapshot.seq for _, snapshot in behind)  # the anchors and everything after
    rows = rows_by_learner(session, [a.learner_id for a, _ in behind], JOURNAL.c.seq >= since)
    replay: list[LockedAccount] = []
    for account, snapshot in behind:
        mine = rows.get(account.learner_id, [])
        anchor = next((row for row in mine if row.seq == snapshot.seq), None)
        newer = [
            history_entry(row)
            for row in mine
            if row.seq > snapshot.seq and row.kind in HISTORY_KINDS
        ]
        if anchor is None or anchor.hash != snapshot.hash or not _only_outcomes(newer):
            replay.append(account)
            continue
        remember_head(account, rulesets, snapshot.evaluator.copy().apply_all(newer))
    return replay


def from_appended(
    account: LockedAccount,
    rulesets: Mapping[str, Ruleset],
    appended: Sequence[tuple[Entry, NewOutcomeState]],
) -> Folded | None:
    """Fold ``appended`` into the remembered state (or, for a new chain, the empty one) when
    they follow it directly: no query, since the chain links prove what came before."""
    if not appended:
        return None
    first = appended[0][0]
    if first.seq == 1:
        start = Evaluator(rulesets)
    else:
        snapshot = EVALUATOR_STATES.get(account.learner_id, rulesets)
        if snapshot is None or (snapshot.seq, snapshot.hash) != (first.seq - 1, first.prev_hash):
            return None
        start = snapshot.evaluator.copy()
    return _fold(start, [history_entry(entry) for entry, _ in appended])


def incremental(
    session: Session, learner_id: str, rulesets: Mapping[str, Ruleset]
) -> Folded | None:
    """Fold only what follows the remembered state, when that is only new outcomes."""
    snapshot = EVALUATOR_STATES.get(learner_id, rulesets)
    if snapshot is None:
        return None
    anchor = session.get(JournalEntry, (learner_id, snapshot.seq))
    if anchor is None or anchor.hash != snapshot.hash:
        return None
    newer = [
        history_entry(entry)
        for entry in session.scalars(
            select(JournalEntry)
            .where(
                JournalEntry.learner_id == learner_id,
                JournalEntry.seq > snapshot.seq,
                JournalEntry.kind.in_(HISTORY_KINDS),
            )
            .order_by(JournalEntry.seq)
        )
    ]
    if not _only_outcomes(newer):
        return None
    return _fold(snapshot.evaluator.copy(), newer)


def _only_outcomes(newer: Sequence[HistoryEntry]) -> bool:
    """A void or a review can change any later outcome: then replay everything."""
    return all(isinstance(entry, Outcome) for entry in newer)


def _fold(start: Evaluator, newer: list[HistoryEntry]) -> Folded:
    evaluator = start.apply_all(newer)
    decisions = evaluator.decisions()
    return evaluator, newer, {entry.outcome_id: decisions[entry.outcome_id] for entry in newer}


def remember_head(
    account: LockedAccount, rulesets: Mapping[str, Ruleset], evaluator: Evaluator
) -> None:
    EVALUATOR_STATES.remember(
        account.learner_id, rulesets, account.head_seq, account.head_hash, evaluator
    )
