"""The bridge between the journal and the pure conversion engine.

After every post, void or review, the learner's history is re-evaluated and one ``credit``
entry is appended per outcome whose earned credits changed; the outcome projection and the
cached balance move in the same transaction (DESIGN.md § Conversion, invariant 3).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank.conversion import Decision, Evaluator, Reason, Ruleset
from creditbank.domain.amounts import format_tenths
from creditbank.domain.canonical import canonical_bytes
from creditbank.journal import Entry, LockedAccount, append
from creditbank.models import NewOutcomeState, OutcomeState
from creditbank.services.evaluator_state import from_appended, incremental, remember_head
from creditbank.services.history import history_of
from creditbank.services.transfer_flags import flag_changed_sources


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
    remembered = from_appended(account, rulesets, appended) or incremental(
        session, account.learner_id, rulesets
    )
    if remembered is None:
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
        evaluator, history, decisions = remembered
        states = {
            outcome_id: known.get(outcome_id)
            or session.get_one(OutcomeState, (account.learner_id, outcome_id))
            for outcome_id in decisions
        }
    # What debited sources earned before, for the flags of rule 6 (only a learner who has
    # converted something can have any).
    before = (
        {oid: (s.credits, s.category, s.status) for oid, s in states.items()}
        if account.converted
        else None
    )
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
    if before is not None:
        flag_changed_sources(session, account.learner_id, before, decisions, now)
    if history:
        remember_head(account, rulesets, evaluator)
    return credits


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
