"""The bridge between the journal and the pure conversion engine.

After every post, void or review, the learner's history is re-evaluated and one ``credit``
entry is appended per outcome whose earned credits changed; the outcome projection and the
cached balance move in the same transaction (DESIGN.md § Conversion, invariant 3).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank.conversion import (
    Decision,
    Evaluator,
    HistoryEntry,
    Outcome,
    OutcomeKind,
    Reason,
    Review,
    Ruleset,
    Void,
    ruleset_from_document,
)
from creditbank.db import in_slices
from creditbank.domain.amounts import format_tenths, parse_tenths
from creditbank.domain.canonical import canonical_bytes
from creditbank.journal import Entry, LockedAccount, append
from creditbank.models import JournalEntry, NewOutcomeState, OutcomeState
from creditbank.models import Ruleset as RulesetRow

HISTORY_KINDS = ("outcome", "void", "review")
_JOURNAL = JournalEntry.__table__
_AMOUNT_FIELDS = ("hours", "credits")
_DATE_FIELDS = ("valid_until",)


# Published rulesets never change, so each process parses each one once.
_PARSED_RULESETS: dict[str, Ruleset] = {}
_RULESET_IDS = select(RulesetRow.id).order_by(RulesetRow.version)
# Per process: learner_id -> the engine's state after the learner's history up to an entry
# (seq, hash), the chain's head when the state was remembered. Appending outcomes never changes
# earlier decisions, so a post only has to fold its own outcomes into that state. The journal
# is hash-chained and append-only: when the entry at that seq still has that hash, the state is
# the state of this very history; when the first entry a post appends links to that hash (its
# prev_hash is the locked account's head), the post's own outcomes are all that is new, and
# nothing needs to be read back at all.
_SNAPSHOTS: OrderedDict[str, tuple[frozenset[str], int, str, Evaluator]] = OrderedDict()
SNAPSHOT_LIMIT = 2048
_SNAPSHOTS_LOCK = threading.Lock()


def load_rulesets(session: Session) -> dict[str, Ruleset]:
    """Every published ruleset, by id (a handful of rows; they never change once written)."""
    rulesets = {}
    # Ids only, on every post; a document is read (and parsed) once per process.
    ids = session.scalars(_RULESET_IDS).all()
    missing = [row_id for row_id in ids if row_id not in _PARSED_RULESETS]
    if missing:
        query = select(RulesetRow.id, RulesetRow.version, RulesetRow.document)
        for row_id, version, document in session.execute(query.where(RulesetRow.id.in_(missing))):
            _PARSED_RULESETS[row_id] = ruleset_from_document(row_id, version, json.loads(document))
    for row_id in ids:
        rulesets[row_id] = _PARSED_RULESETS[row_id]
    return rulesets


def history_of(session: Session, learner_id: str) -> list[HistoryEntry]:
    """The learner's outcomes, voids and reviews in journal order, as the engine reads them."""
    entries = session.scalars(
        select(JournalEntry)
        .where(JournalEntry.learner_id == learner_id, JournalEntry.kind.in_(HISTORY_KINDS))
        .order_by(JournalEntry.seq)
    )
    return [history_entry(entry) for entry in entries]


def history_entry(entry: JournalEntry | Entry) -> HistoryEntry:
    """One journal entry as the engine's input."""
    data = json.loads(entry.data)
    if entry.kind == "void":
        return Void(outcome_id=entry.outcome_id or "", seq=entry.seq)
    if entry.kind == "review":
        return Review(
            outcome_id=entry.outcome_id or "",
            seq=entry.seq,
            credits=parse_tenths(data["credits"]),
            category=entry.category or "",
        )
    return outcome_from_data(entry, data)


def outcome_from_data(entry: JournalEntry | Entry, data: Mapping[str, Any]) -> Outcome:
    fields: dict[str, Any] = {}
    for name, value in data.items():
        if name in ("outcome_kind", "external_ref", "achieved_on", "title") or value is None:
            continue
        if name in _AMOUNT_FIELDS:
            value = parse_tenths(value)
        elif name in _DATE_FIELDS:
            value = date.fromisoformat(value)
        fields[name] = value
    return Outcome(
        outcome_id=entry.outcome_id or "",
        seq=entry.seq,
        recorded_at=entry.recorded_at,
        kind=OutcomeKind(data["outcome_kind"]),
        category=entry.category or data["outcome_kind"],
        achieved_on=date.fromisoformat(data["achieved_on"]),
        ruleset_id=entry.ruleset_id,
        **fields,
    )


def prepare(
    session: Session, accounts: Iterable[LockedAccount], rulesets: Mapping[str, Ruleset]
) -> None:
    """Bring this process's remembered state of each learner up to the head of its chain,
    before a post appends to it, reading what is missing for all of them at once.

    A worker remembers the learners it posted for, but the next post for a learner often
    lands on another worker (every gunicorn worker takes requests): one query per 500
    learners then reads what the others appended since (or, for a learner never seen here,
    the whole history), instead of two queries per learner in :func:`reconvert`. Call it with
    the accounts locked; learners it cannot bring forward are left to :func:`reconvert`.
    """
    key = frozenset(rulesets)
    unseen: list[LockedAccount] = []
    behind: list[tuple[LockedAccount, int, str, Evaluator]] = []
    for account in accounts:
        remembered = _SNAPSHOTS.get(account.learner_id)
        if account.head_seq == 0:
            continue  # a new chain starts from the empty state
        if remembered is None or remembered[0] != key:
            unseen.append(account)
        elif remembered[1:3] != (account.head_seq, account.head_hash):
            behind.append((account, *remembered[1:]))
    for chunk in in_slices(behind):
        since = min(seq for _, seq, _, _ in chunk)  # the anchors and everything after them
        rows = _rows_by_learner(session, [a.learner_id for a, *_ in chunk], _JOURNAL.c.seq >= since)
        for account, seq, digest, snapshot in chunk:
            mine = rows.get(account.learner_id, [])
            anchor = next((row for row in mine if row.seq == seq), None)
            newer = [
                history_entry(row) for row in mine if row.seq > seq and row.kind in HISTORY_KINDS
            ]
            if (
                anchor is None
                or anchor.hash != digest
                or not all(isinstance(e, Outcome) for e in newer)
            ):
                unseen.append(account)  # a void or a review since: replay everything
                continue
            _remember(
                account.learner_id,
                rulesets,
                account.head_seq,
                account.head_hash,
                snapshot.copy().apply_all(newer),
            )
    for chunk in in_slices(unseen):
        rows = _rows_by_learner(
            session, [a.learner_id for a in chunk], _JOURNAL.c.kind.in_(HISTORY_KINDS)
        )
        for account in chunk:
            history = [history_entry(row) for row in rows.get(account.learner_id, [])]
            _remember(
                account.learner_id,
                rulesets,
                account.head_seq,
                account.head_hash,
                Evaluator(rulesets).apply_all(history),
            )


def _rows_by_learner(
    session: Session, learner_ids: Sequence[str], condition: Any
) -> dict[str, list[Any]]:
    """Journal rows (plain rows, not ORM objects) of these learners meeting ``condition``, in
    chain order, by learner."""
    query = (
        select(_JOURNAL)
        .where(_JOURNAL.c.learner_id.in_(learner_ids), condition)
        .order_by(_JOURNAL.c.learner_id, _JOURNAL.c.seq)
    )
    rows: dict[str, list[Any]] = {}
    for row in session.execute(query):
        rows.setdefault(row.learner_id, []).append(row)
    return rows


def reconvert(
    session: Session,
    account: LockedAccount,
    rulesets: Mapping[str, Ruleset],
    now: datetime,
    appended: Sequence[tuple[Entry, NewOutcomeState]] = (),
) -> list[Entry]:
    """Re-evaluate one learner and append a credit entry per changed outcome.

    ``appended``: the outcome entries (and their new projections, not inserted yet) that this
    transaction has just appended to the account's chain, in order; with them, a learner whose
    state this process remembers — or a new learner — is converted without a query.
    """
    known = {entry.outcome_id or "": state for entry, state in appended}
    decisions = _from_appended(account, rulesets, appended) or _incremental(
        session, account.learner_id, rulesets
    )
    if decisions is None:
        history = history_of(session, account.learner_id)
        evaluator = Evaluator(rulesets).apply_all(history)
        decisions = evaluator.decisions()
        states: dict[str, OutcomeState | NewOutcomeState] = {
            state.outcome_id: state
            for state in session.scalars(
                select(OutcomeState).where(OutcomeState.learner_id == account.learner_id)
            )
        }
        states.update(known)
    else:
        evaluator, history, decisions = decisions
        states = {
            outcome_id: known.get(outcome_id)
            or session.get(OutcomeState, (account.learner_id, outcome_id))
            for outcome_id in decisions
        }
    totals = json.loads(account.balance_by_category)
    credits: list[Entry] = []
    for decision in decisions.values():
        state = states[decision.outcome_id]
        for category, delta in _deltas(state, decision):
            totals[category] = totals.get(category, 0) + delta
            account.balance += delta
            credits.append(_credit_entry(session, account, decision, category, delta, totals, now))
        _update_state(state, decision)
    account.balance_by_category = canonical_bytes(totals).decode()
    if history:
        _remember(account.learner_id, rulesets, account.head_seq, account.head_hash, evaluator)
    return credits


def _from_appended(
    account: LockedAccount,
    rulesets: Mapping[str, Ruleset],
    appended: Sequence[tuple[Entry, NewOutcomeState]],
) -> tuple[Evaluator, list[HistoryEntry], dict[str, Decision]] | None:
    """Fold ``appended`` into the remembered state (or, for a new chain, the empty one) when
    they follow it directly: no query, since the chain links prove what came before."""
    if not appended:
        return None
    first = appended[0][0]
    if first.seq == 1:
        snapshot = Evaluator(rulesets)
    else:
        remembered = _SNAPSHOTS.get(account.learner_id)
        if remembered is None or remembered[0] != frozenset(rulesets):
            return None
        _, seq, digest, snapshot = remembered
        if (seq, digest) != (first.seq - 1, first.prev_hash):
            return None
        snapshot = snapshot.copy()
    newer = [history_entry(entry) for entry, _ in appended]
    evaluator = snapshot.apply_all(newer)
    decisions = evaluator.decisions()
    return evaluator, newer, {entry.outcome_id: decisions[entry.outcome_id] for entry in newer}


def _incremental(
    session: Session, learner_id: str, rulesets: Mapping[str, Ruleset]
) -> tuple[Evaluator, list[HistoryEntry], dict[str, Decision]] | None:
    """Fold only what follows the remembered state, when that is only new outcomes."""
    remembered = _SNAPSHOTS.get(learner_id)
    if remembered is None or remembered[0] != frozenset(rulesets):
        return None
    _, seq, digest, snapshot = remembered
    anchor = session.get(JournalEntry, (learner_id, seq))
    if anchor is None or anchor.hash != digest:
        return None
    newer = [
        history_entry(entry)
        for entry in session.scalars(
            select(JournalEntry)
            .where(
                JournalEntry.learner_id == learner_id,
                JournalEntry.seq > seq,
                JournalEntry.kind.in_(HISTORY_KINDS),
            )
            .order_by(JournalEntry.seq)
        )
    ]
    if not all(isinstance(entry, Outcome) for entry in newer):
        return None  # a void or a review can change any later outcome: replay everything
    evaluator = snapshot.copy().apply_all(newer)
    decisions = evaluator.decisions()
    return evaluator, newer, {entry.outcome_id: decisions[entry.outcome_id] for entry in newer}


def _remember(
    learner_id: str,
    rulesets: Mapping[str, Ruleset],
    seq: int,
    digest: str,
    evaluator: Evaluator,
) -> None:
    """Remember the state after the chain up to its head ``(seq, digest)``."""
    with _SNAPSHOTS_LOCK:  # a worker's threads share the cache
        _SNAPSHOTS[learner_id] = (frozenset(rulesets), seq, digest, evaluator)
        _SNAPSHOTS.move_to_end(learner_id)
        while len(_SNAPSHOTS) > SNAPSHOT_LIMIT:
            _SNAPSHOTS.popitem(last=False)


def _deltas(state: OutcomeState | NewOutcomeState, decision: Decision) -> Iterable[tuple[str, int]]:
    """What changes, per category; a review that moves an outcome's category moves its credits."""
    if state.category == decision.category or state.credits == 0:
        if decision.credits != state.credits:
            yield decision.category, decision.credits - state.credits
        return
    yield state.category, -state.credits
    if decision.credits:
        yield decision.category, decision.credits


def _credit_entry(
    session: Session,
    account: LockedAccount,
    decision: Decision,
    category: str,
    delta: int,
    totals: Mapping[str, int],
    now: datetime,
) -> Entry:
    reason = decision.reason
    if reason is Reason.ACCUMULATING and decision.credits > 0:
        reason = Reason.CREDITED  # it did earn; "accumulating" stays on the outcome itself
    return append(
        session,
        account,
        "credit",
        now,
        data={
            "running_by_category": {name: format_tenths(value) for name, value in totals.items()},
            "rule": decision.rule,
        },
        outcome_id=decision.outcome_id,
        category=category,
        delta=delta,
        running_total=account.balance,
        reason=reason.value,
        ruleset_id=decision.ruleset_id,
    )


def _update_state(state: OutcomeState | NewOutcomeState, decision: Decision) -> None:
    changes = {
        "status": decision.status.value,
        "reason": decision.reason.value,
        "credits": decision.credits,
        "category": decision.category,
        "rule": decision.rule,
    }
    for name, value in changes.items():
        if getattr(state, name) != value:  # untouched rows cost the flush nothing
            setattr(state, name, value)
