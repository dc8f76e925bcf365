"""Posting and voiding outcomes, and reading them back (API.md § Outcomes)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditbank.conversion import Reason, Ruleset, Status, ruleset_in_force
from creditbank.db import in_slices
from creditbank.domain.amounts import format_tenths
from creditbank.domain.canonical import canonical_bytes, format_instant
from creditbank.domain.ids import new_id
from creditbank.domain.roles import Principal, Role
from creditbank.errors import (
    AlreadyVoided,
    Forbidden,
    IdempotencyConflict,
    NotFound,
    UnknownLearner,
    ValidationFailed,
)
from creditbank.extensions import db
from creditbank.journal import Entry, LockedAccount, append, entry_document, lock_accounts
from creditbank.models import Account, IdempotencyKey, JournalEntry, NewOutcomeState, OutcomeState
from creditbank.services.conversion import load_rulesets, prepare, reconvert
from creditbank.services.faults import pause_inside_transaction
from creditbank.services.pagination import Page, decode_cursor, page_of
from creditbank.services.transaction import utcnow, write_transaction

COMMON_FIELDS = ("learner_id", "external_ref", "kind", "achieved_on", "title", "category")
_IDEMPOTENCY_RETRIES = 3
Progress = Callable[[int], None]
# Built once: every post asks it, and SQLAlchemy then finds it compiled without rebuilding it.
_KEYS_OF = select(IdempotencyKey).where(
    IdempotencyKey.provider_id == bindparam("provider_id"),
    IdempotencyKey.external_ref.in_(bindparam("refs", expanding=True)),
)


@dataclass
class Posted:
    """One item of a posting result: the outcome as it stands and the credits appended."""

    outcome: dict[str, Any]
    credits: list[dict[str, Any]] = field(default_factory=list)
    replayed: bool = False


def request_hash(item: Mapping[str, Any]) -> str:
    """Fingerprint of a validated, normalised outcome: equal bodies, equal hashes."""
    return hashlib.sha256(canonical_bytes(_jsonable(item))).hexdigest()


def record_outcomes(
    principal: Principal,
    items: Sequence[Mapping[str, Any]],
    *,
    batch: bool,
    progress: Progress | None = None,
) -> list[Posted]:
    """Post validated outcomes for one provider, all or nothing (API.md § Outcomes).

    ``batch`` says the items came as ``{"items": [...]}``: errors are then keyed
    ``items.<i>.<field>``, otherwise by the field alone. Any number of items is one
    transaction, processed a learner at a time; ``progress`` is told how many items are done
    after each learner (a spreadsheet import draws its progress bar with it).
    """
    provider_id = _posting_provider(principal)
    for attempt in range(_IDEMPOTENCY_RETRIES):
        try:
            with write_transaction() as session:
                return _record(session, provider_id, _Items(items, batch), progress)
        except IntegrityError:
            # A concurrent request inserted the same (provider, external_ref) first; on
            # the next attempt this request sees it and answers as a replay.
            if attempt == _IDEMPOTENCY_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Check:
    """What posting some items would do, found without writing: every error, and counts."""

    errors: dict[str, list[str]]
    fresh: int
    replays: int


def check_outcomes(
    principal: Principal, items: Sequence[Mapping[str, Any]], *, batch: bool
) -> Check:
    """A dry run of :func:`record_outcomes`: every reason it would refuse these items (unknown
    learners, training-hours categories, external_refs used with another body), all at once,
    keyed as it would key them, and nothing written."""
    provider_id = _posting_provider(principal)
    items = _Items(items, batch)
    session = db.session
    known = _known_learners(session, [item["learner_id"] for item in items])
    in_force = ruleset_in_force(load_rulesets(session).values(), utcnow())
    existing = _existing_keys(session, provider_id, items)
    hashes = [request_hash(item) for item in items]
    errors: dict[str, list[str]] = {}
    for found in (
        _learner_errors(items, known),
        _category_errors(items, in_force),
        _conflict_errors(items, hashes, existing),
    ):
        for key, messages in found.items():
            errors.setdefault(key, []).extend(messages)
    replays = sum(1 for item in items if item["external_ref"] in existing)
    return Check(errors, fresh=len(items) - replays, replays=replays)


def _posting_provider(principal: Principal) -> str:
    if principal.role is not Role.PROVIDER or principal.provider_id is None:
        raise Forbidden("Only a provider posts outcomes")
    return principal.provider_id


def _record(
    session: Session,
    provider_id: str,
    items: Sequence[Mapping[str, Any]],
    progress: Progress | None,
) -> list[Posted]:
    accounts = lock_accounts(session, (item["learner_id"] for item in items))
    if errors := _learner_errors(items, accounts):
        raise UnknownLearner("No such learner", errors=errors)
    # One instant for the whole request, read under the locks and never before a chain's head,
    # so that it is exactly the recorded_at that picks the ruleset in force.
    now = max([utcnow(), *(a.head_recorded_at for a in accounts.values() if a.head_recorded_at)])
    rulesets = load_rulesets(session)
    in_force = ruleset_in_force(rulesets.values(), now)
    if errors := _category_errors(items, in_force):
        raise ValidationFailed(errors=errors)
    hashes = [request_hash(item) for item in items]
    existing = _existing_keys(session, provider_id, items)
    if errors := _conflict_errors(items, hashes, existing):
        raise IdempotencyConflict(errors=errors)
    replayed = [i for i, item in enumerate(items) if item["external_ref"] in existing]
    keys = [existing[items[i]["external_ref"]] for i in replayed]
    results: dict[int, Posted] = dict(zip(replayed, replays(session, keys), strict=True))
    if progress and replayed:
        progress(len(replayed))
    fresh: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        if index not in results:
            fresh.setdefault(item["learner_id"], []).append(index)
    prepare(session, [accounts[learner_id] for learner_id in fresh], rulesets)
    states: list[NewOutcomeState] = []
    keys: list[dict[str, Any]] = []
    for learner_id in sorted(fresh):
        account = accounts[learner_id]
        posted = {
            index: _append_outcome(session, account, provider_id, items[index], in_force, now)
            for index in fresh[learner_id]
        }
        appended = [(entry, state) for entry, _, state in posted.values()]
        credits = reconvert(session, account, rulesets, now, appended)
        for index, (entry, data, state) in posted.items():
            mine = [credit_view(c) for c in credits if c.outcome_id == entry.outcome_id]
            results[index] = Posted(outcome_view(entry, data, state), mine)
            states.append(state)
            keys.append(_key_row(items[index], hashes[index], state, now))
        if progress:
            progress(len(fresh[learner_id]))
        pause_inside_transaction(session)  # test-only; off unless configured
    # The new rows go in set-based, one statement per table, once conversion has settled them
    # (the journal's own entries go in the same way: creditbank/journal.py).
    if states:
        connection = session.connection()
        connection.execute(insert(OutcomeState.__table__), [_row(state) for state in states])
        connection.execute(insert(IdempotencyKey.__table__), keys)
    return [results[index] for index in range(len(items))]


def _learner_errors(
    items: Sequence[Mapping[str, Any]], known: Mapping[str, LockedAccount] | set[str]
) -> dict[str, list[str]]:
    return {
        _path(items, index, "learner_id"): ["No learner with this id."]
        for index, item in enumerate(items)
        if item["learner_id"] not in known
    }


def _known_learners(session: Session, learner_ids: Sequence[str]) -> set[str]:
    known: set[str] = set()
    for chunk in in_slices(sorted(set(learner_ids))):
        known.update(
            session.scalars(select(Account.learner_id).where(Account.learner_id.in_(chunk)))
        )
    return known


def _category_errors(
    items: Sequence[Mapping[str, Any]], in_force: Ruleset | None
) -> dict[str, list[str]]:
    """Training hours must name a category of the ruleset in force (DESIGN.md § Conversion)."""
    if in_force is None:
        return {}  # nothing converts yet: every outcome waits for review
    return {
        _path(items, index, "category"): [
            f"Not a category of ruleset {in_force.name}: "
            + ", ".join(sorted(in_force.hours_per_credit))
        ]
        for index, item in enumerate(items)
        if item["kind"] == "training_hours" and item["category"] not in in_force.hours_per_credit
    }


def _existing_keys(
    session: Session, provider_id: str, items: Sequence[Mapping[str, Any]]
) -> dict[str, IdempotencyKey]:
    found: dict[str, IdempotencyKey] = {}
    for refs in in_slices([item["external_ref"] for item in items]):
        rows = session.scalars(_KEYS_OF, {"provider_id": provider_id, "refs": list(refs)})
        found.update((row.external_ref, row) for row in rows)
    return found


def _conflict_errors(
    items: Sequence[Mapping[str, Any]],
    hashes: Sequence[str],
    existing: Mapping[str, IdempotencyKey],
) -> dict[str, list[str]]:
    return {
        _path(items, index, "external_ref"): ["Already used with a different body."]
        for index, item in enumerate(items)
        if (key := existing.get(item["external_ref"])) is not None
        and key.request_hash != hashes[index]
    }


def _append_outcome(
    session: Session,
    account: LockedAccount,
    provider_id: str,
    item: Mapping[str, Any],
    in_force: Ruleset | None,
    now: datetime,
) -> tuple[Entry, dict[str, Any], NewOutcomeState]:
    outcome_id = new_id("o")
    category = item.get("category") or item["kind"]
    data = {"outcome_kind": item["kind"]}
    data.update(
        _jsonable({k: v for k, v in item.items() if k not in ("learner_id", "kind", "category")})
    )
    entry = append(
        session,
        account,
        "outcome",
        now,
        data=data,
        outcome_id=outcome_id,
        provider_id=provider_id,
        ruleset_id=in_force.id if in_force else None,
        category=category,
    )
    reason = Reason.PENDING_REVIEW if in_force else Reason.NO_RULESET
    state = NewOutcomeState(
        learner_id=account.learner_id,
        outcome_id=outcome_id,
        seq=entry.seq,
        provider_id=provider_id,
        external_ref=item["external_ref"],
        kind=item["kind"],
        category=category,
        recorded_at=entry.recorded_at,
        ruleset_id=entry.ruleset_id,
        status=Status.PENDING_REVIEW.value,
        reason=reason.value,
    )
    return entry, data, state


def _key_row(
    item: Mapping[str, Any], item_hash: str, state: NewOutcomeState, now: datetime
) -> dict[str, Any]:
    return {
        "provider_id": state.provider_id,
        "external_ref": item["external_ref"],
        "learner_id": state.learner_id,
        "outcome_id": state.outcome_id,
        "request_hash": item_hash,
        "created_at": now,
    }


def _row(state: NewOutcomeState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in NewOutcomeState.__slots__}


def replay(session: Session, key: IdempotencyKey) -> Posted:
    """The original result of a post: the outcome as it is now, and the credits that very
    request appended (the credit entries of this outcome written in the same instant)."""
    return replays(session, [key])[0]


def replays(session: Session, keys: Sequence[IdempotencyKey]) -> list[Posted]:
    """:func:`replay` of many keys, in their order, with a few queries per 500 of them."""
    states: dict[str, OutcomeState] = {}
    for chunk in in_slices([(key.learner_id, key.outcome_id) for key in keys]):
        pair = tuple_(OutcomeState.learner_id, OutcomeState.outcome_id)
        states.update(
            (s.outcome_id, s) for s in session.scalars(select(OutcomeState).where(pair.in_(chunk)))
        )
    entries: dict[str, JournalEntry] = {}
    for chunk in in_slices(list(states.values())):
        entries.update(_outcome_entries(session, chunk))
    credits: dict[str, list[JournalEntry]] = {}
    for chunk in in_slices(list(entries)):
        rows = session.scalars(
            select(JournalEntry)
            .where(JournalEntry.kind == "credit", JournalEntry.outcome_id.in_(chunk))
            .order_by(JournalEntry.learner_id, JournalEntry.seq)
        )
        for row in rows:
            if row.recorded_at == entries[row.outcome_id or ""].recorded_at:
                credits.setdefault(row.outcome_id or "", []).append(row)
    return [
        Posted(
            outcome_view(
                entries[k.outcome_id], json.loads(entries[k.outcome_id].data), states[k.outcome_id]
            ),
            [credit_view(c) for c in credits.get(k.outcome_id, [])],
            replayed=True,
        )
        for k in keys
    ]


def void_outcome(
    principal: Principal, outcome_id: str, reason: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Cancel an outcome: the posting provider or the workstation (409 when already voided)."""
    with write_transaction() as session:
        state = _visible_state(session, principal, outcome_id)
        account = lock_accounts(session, [state.learner_id])[state.learner_id]
        session.refresh(state)
        if state.status == Status.VOIDED:
            raise AlreadyVoided()
        now = utcnow()
        entry = append(
            session,
            account,
            "void",
            now,
            data={"voided_by": principal.subject},
            outcome_id=outcome_id,
            reason=reason,
        )
        credits = reconvert(session, account, load_rulesets(session), now)
        return entry_view(entry), [credit_view(c) for c in credits]


def get_outcome(principal: Principal, outcome_id: str) -> dict[str, Any]:
    state = _visible_state(db.session, principal, outcome_id)
    entry = _outcome_entry(db.session, state)
    return outcome_view(entry, json.loads(entry.data), state)


def list_outcomes(
    principal: Principal,
    *,
    learner_id: str | None,
    provider_id: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> Page[dict[str, Any]]:
    """Outcomes newest last: staff see all, a provider only its own."""
    if principal.role is Role.PROVIDER:
        if provider_id not in (None, principal.provider_id):
            raise Forbidden("A provider reads only its own outcomes")
        provider_id = principal.provider_id
    elif not principal.is_staff:
        raise Forbidden("Learners read their ledger instead")
    query = select(OutcomeState).order_by(OutcomeState.outcome_id)
    if learner_id:
        query = query.where(OutcomeState.learner_id == learner_id)
    if provider_id:
        query = query.where(OutcomeState.provider_id == provider_id)
    if status:
        query = query.where(OutcomeState.status == status)
    after = decode_cursor(cursor, str)
    if after is not None:
        query = query.where(OutcomeState.outcome_id > after)
    page = page_of(list(db.session.scalars(query.limit(limit + 1))), limit, _outcome_key)
    return Page(outcome_views(db.session, page.items), page.next_cursor)


def outcome_views(session: Session, states: Sequence[OutcomeState]) -> list[dict[str, Any]]:
    """Views of many outcomes with one query for their journal entries."""
    entries = _outcome_entries(session, states)
    return [
        outcome_view(entries[state.outcome_id], json.loads(entries[state.outcome_id].data), state)
        for state in states
    ]


def _outcome_key(state: OutcomeState) -> str:
    return state.outcome_id


def _visible_state(session: Session, principal: Principal, outcome_id: str) -> OutcomeState:
    state = session.scalar(select(OutcomeState).where(OutcomeState.outcome_id == outcome_id))
    if state is None:
        raise NotFound("No such outcome")
    if principal.role is Role.PROVIDER and state.provider_id != principal.provider_id:
        raise Forbidden("A provider may act only on its own outcomes")
    if principal.role is Role.LEARNER:
        raise Forbidden("Learners read their ledger instead")
    return state


def _outcome_entry(session: Session, state: OutcomeState) -> JournalEntry:
    entry = session.get(JournalEntry, (state.learner_id, state.seq))
    assert entry is not None
    return entry


def _outcome_entries(session: Session, states: Sequence[OutcomeState]) -> dict[str, JournalEntry]:
    if not states:
        return {}
    keys = [(s.learner_id, s.seq) for s in states]
    rows = session.scalars(
        select(JournalEntry).where(tuple_(JournalEntry.learner_id, JournalEntry.seq).in_(keys))
    )
    return {row.outcome_id or "": row for row in rows}


def outcome_view(
    entry: JournalEntry | Entry,
    data: Mapping[str, Any],
    state: OutcomeState | NewOutcomeState | None,
) -> dict[str, Any]:
    """An outcome as API.md shows it: what was posted, where it sits, and what it earned."""
    view: dict[str, Any] = {
        "id": entry.outcome_id,
        "learner_id": entry.learner_id,
        "provider_id": entry.provider_id,
        "kind": data["outcome_kind"],
    }
    view.update({k: v for k, v in data.items() if k != "outcome_kind"})
    if "credits" in data:
        # A course's own credits share their name with what the outcome earned (API.md's
        # ``credits``), which the view shows below; the course's figure stays readable here.
        view["course_credits"] = data["credits"]
    view.update(
        {
            "category": state.category if state else entry.category,
            "seq": entry.seq,
            "recorded_at": format_instant(entry.recorded_at),
            "ruleset_id": entry.ruleset_id,
        }
    )
    if state is not None:
        view.update(
            status=state.status,
            reason=state.reason,
            credits=format_tenths(state.credits),
            rule=state.rule,
        )
    return view


def credit_view(entry: JournalEntry | Entry) -> dict[str, Any]:
    """A credit entry as the posting response lists it."""
    data = json.loads(entry.data)
    return {
        "outcome_id": entry.outcome_id,
        "seq": entry.seq,
        "delta": format_tenths(entry.delta or 0),
        "category": entry.category,
        "reason": entry.reason,
        "ruleset_id": entry.ruleset_id,
        "running_total": format_tenths(entry.running_total or 0),
        "running_by_category": data.get("running_by_category", {}),
        "rule": data.get("rule"),
    }


def entry_view(entry: JournalEntry | Entry) -> dict[str, Any]:
    """Any journal entry as the ledger shows it: its hashed document plus its hash."""
    return {**entry_document(entry), "hash": entry.hash}


def _path(items: Sequence[Mapping[str, Any]], index: int, name: str) -> str:
    return f"items.{index}.{name}" if getattr(items, "batch", True) else name


class _Items(list):  # type: ignore[type-arg]
    """The items of one request, remembering whether they came as a batch."""

    def __init__(self, items: Sequence[Mapping[str, Any]], batch: bool) -> None:
        super().__init__(items)
        self.batch = batch


def _jsonable(value: Any) -> Any:
    """Dates become ISO strings; everything else is JSON already (amounts are decimal strings)."""
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    return value
