"""Posting outcomes, one or a batch, all or nothing (API.md § Outcomes).

Any number of items is one transaction, processed a learner at a time under the learners'
row locks (taken in ``learner_id`` order, so concurrent batches cannot deadlock).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditbank.bulk import copies, insert_rows
from creditbank.conversion import Reason, Ruleset, Status, ruleset_in_force
from creditbank.db import in_slices, one_round_trip
from creditbank.domain.errors import (
    Forbidden,
    IdempotencyConflict,
    UnknownLearner,
    ValidationFailed,
)
from creditbank.domain.ids import new_id
from creditbank.domain.roles import Principal, Role
from creditbank.extensions import db
from creditbank.journal import Entry, LockedAccount, append, lock_accounts, write_pending
from creditbank.models import Account, IdempotencyKey, NewOutcomeState, OutcomeState
from creditbank.services.certificate_reuse import (
    REUSED,
    CreditedNumbers,
    credited_numbers,
    item_key,
)
from creditbank.services.conversion import reconvert
from creditbank.services.evaluator_state import prepare
from creditbank.services.faults import pause_inside_transaction
from creditbank.services.history import load_rulesets
from creditbank.services.idempotency import (
    conflict_errors,
    existing_keys,
    jsonable,
    key_row,
    replays,
    request_hash,
)
from creditbank.services.items import Items, error_path
from creditbank.services.outcome_views import Posted, credit_view, outcome_view
from creditbank.services.transaction import utcnow, write_transaction

_IDEMPOTENCY_RETRIES = 3
Progress = Callable[[int], None]


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
                return _record(session, provider_id, Items(items, batch), progress)
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
    items = Items(items, batch)
    session = db.session()
    known = _known_learners(session, [item["learner_id"] for item in items])
    in_force = ruleset_in_force(load_rulesets(session).values(), utcnow())
    existing = existing_keys(session, provider_id, items)
    hashes = [request_hash(item) for item in items]
    errors: dict[str, list[str]] = {}
    for found in (
        _learner_errors(items, known),
        _category_errors(items, in_force),
        conflict_errors(items, hashes, existing),
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
    existing = existing_keys(session, provider_id, items)
    if errors := conflict_errors(items, hashes, existing):
        raise IdempotencyConflict(errors=errors)
    replayed = [i for i, item in enumerate(items) if item["external_ref"] in existing]
    replayed_keys = [existing[items[i]["external_ref"]] for i in replayed]
    results: dict[int, Posted] = dict(zip(replayed, replays(session, replayed_keys), strict=True))
    if progress and replayed:
        progress(len(replayed))
    fresh: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        if index not in results:
            fresh.setdefault(item["learner_id"], []).append(index)
    prepare(session, [accounts[learner_id] for learner_id in fresh], rulesets)
    numbers = credited_numbers(session, (item_key(items[i]) for ids in fresh.values() for i in ids))
    states: list[NewOutcomeState] = []
    key_rows: list[dict[str, Any]] = []
    for learner_id in sorted(fresh):
        account = accounts[learner_id]
        posted = {
            index: _append_outcome(
                session, account, provider_id, items[index], in_force, now, numbers
            )
            for index in fresh[learner_id]
        }
        appended = [(entry, state) for entry, _, state in posted.values()]
        credits = reconvert(session, account, rulesets, now, appended)
        for index, (entry, data, state) in posted.items():
            mine = [credit_view(c) for c in credits if c.outcome_id == entry.outcome_id]
            results[index] = Posted(outcome_view(entry, data, state), mine)
            states.append(state)
            numbers.note(state)
            key_rows.append(key_row(items[index], hashes[index], state, now))
        if progress:
            progress(len(fresh[learner_id]))
        pause_inside_transaction(session)  # test-only; off unless configured
    # The new rows go in set-based, one statement per table, once conversion has settled them
    # (the journal's own entries go in the same way: creditbank/journal.py): a batch's by COPY
    # (creditbank/bulk.py), a few posts' all four tables in one round trip (a pipeline).
    if states:
        connection = session.connection()
        together = nullcontext() if copies(connection, len(states)) else one_round_trip(connection)
        with together:
            insert_rows(connection, OutcomeState.__table__, [_row(state) for state in states])
            insert_rows(connection, IdempotencyKey.__table__, key_rows)
            write_pending(session)
    return [results[index] for index in range(len(items))]


def _learner_errors(
    items: Sequence[Mapping[str, Any]], known: Mapping[str, LockedAccount] | set[str]
) -> dict[str, list[str]]:
    return {
        error_path(items, index, "learner_id"): ["No learner with this id."]
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
        error_path(items, index, "category"): [
            f"Not a category of ruleset {in_force.name}: "
            + ", ".join(sorted(in_force.hours_per_credit))
        ]
        for index, item in enumerate(items)
        if item["kind"] == "training_hours" and item["category"] not in in_force.hours_per_credit
    }


def _append_outcome(
    session: Session,
    account: LockedAccount,
    provider_id: str,
    item: Mapping[str, Any],
    in_force: Ruleset | None,
    now: datetime,
    numbers: CreditedNumbers,
) -> tuple[Entry, dict[str, Any], NewOutcomeState]:
    outcome_id = new_id("o")
    category = item.get("category") or item["kind"]
    data = {"outcome_kind": item["kind"]}
    data.update(
        jsonable({k: v for k, v in item.items() if k not in ("learner_id", "kind", "category")})
    )
    certificate_key = item_key(item)
    if numbers.reused(account.learner_id, certificate_key):
        data[REUSED] = True
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
        certificate_key=certificate_key,
    )
    return entry, data, state


def _row(state: NewOutcomeState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in NewOutcomeState.__slots__}
