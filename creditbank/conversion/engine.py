"""The conversion engine: a left fold over one learner's journal (DESIGN.md § Conversion).

``evaluate`` is the whole fold; :class:`Evaluator` is its state, so a caller can keep one and
apply entries as they are appended. Posting and auditing both call this, which is what makes an
audit a replay rather than a second implementation.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence

from creditbank.conversion.calendar import shanghai_year
from creditbank.conversion.judges import WAITING, Verdict, course_identity, judge
from creditbank.conversion.model import (
    Decision,
    HistoryEntry,
    Outcome,
    OutcomeKind,
    Reason,
    Review,
    Ruleset,
    Status,
    Void,
)
from creditbank.conversion.tally import Tally


class UnknownRuleset(KeyError):
    """An outcome names a ruleset the caller did not pass in."""


class Evaluator:
    """The fold's state: the outcomes, voids and reviews so far and what they add up to.

    Appending an outcome judges just that outcome. A void or a review can change what any later
    outcome earns, so it marks the result stale and the next read replays the outcomes.
    """

    def __init__(self, rulesets: Mapping[str, Ruleset], *, decide_at_end: bool = False) -> None:
        self._rulesets = dict(rulesets)
        self._outcomes: list[Outcome] = []
        self._voided: set[str] = set()
        self._reviews: dict[str, Review] = {}
        self._tally = Tally()
        self._decisions: dict[str, Decision] = {}
        self._stale = decide_at_end  # stale: decide everything when decisions() is read

    def apply(self, entry: HistoryEntry) -> None:
        """Fold one journal entry in (entries arrive in ``seq`` order)."""
        if isinstance(entry, Outcome):
            self._outcomes.append(entry)
            if not self._stale:
                self._decide(entry)
        elif isinstance(entry, Void):
            self._stale |= entry.outcome_id not in self._voided
            self._voided.add(entry.outcome_id)
        elif isinstance(entry, Review):
            # Once reviewed an outcome is no longer pending, so a second review cannot apply.
            self._stale |= entry.outcome_id not in self._reviews
            self._reviews.setdefault(entry.outcome_id, entry)
        else:
            raise TypeError(f"not a history entry: {entry!r}")

    def apply_all(self, entries: Iterable[HistoryEntry]) -> Evaluator:
        """Fold several entries in; returns self."""
        for entry in entries:
            self.apply(entry)
        return self

    def decisions(self) -> dict[str, Decision]:
        """One decision per outcome so far, in journal order, keyed by outcome id."""
        if self._stale:
            self._replay()
        return dict(self._decisions)

    def copy(self) -> Evaluator:
        """An independent snapshot that shares only the (immutable) rulesets."""
        twin = copy.copy(self)
        twin._outcomes = list(self._outcomes)
        twin._voided = set(self._voided)
        twin._reviews = dict(self._reviews)
        twin._tally = self._tally.copy()
        twin._decisions = dict(self._decisions)
        return twin

    def _replay(self) -> None:
        self._tally = Tally()
        self._decisions = {}
        for outcome in self._outcomes:
            self._decide(outcome)
        self._stale = False

    def _decide(self, outcome: Outcome) -> None:
        review = self._reviews.get(outcome.outcome_id)
        if outcome.outcome_id in self._voided:
            decision = voided_decision(outcome, review)
        else:
            ruleset = self._ruleset(outcome.ruleset_id)
            decision = decide(outcome, ruleset, review, self._tally)
        self._decisions[outcome.outcome_id] = decision

    def _ruleset(self, ruleset_id: str | None) -> Ruleset | None:
        if ruleset_id is None:
            return None
        try:
            return self._rulesets[ruleset_id]
        except KeyError:
            raise UnknownRuleset(ruleset_id) from None


def evaluate(
    history: Sequence[HistoryEntry], rulesets: Mapping[str, Ruleset]
) -> dict[str, Decision]:
    """Every outcome's decision after the whole history (outcomes, voids, reviews in seq order)."""
    # Only the end result is wanted: fold everything in, then decide once. Deciding as entries
    # arrive would be thrown away at the first void or review, which replays from the start.
    return Evaluator(rulesets, decide_at_end=True).apply_all(history).decisions()


def credit_changes(before: Mapping[str, Decision], after: Mapping[str, Decision]) -> list[Decision]:
    """The decisions in ``after`` whose credits differ from ``before``, in outcome order.

    The ledger posts one credit entry for each, with ``delta = after.credits - before.credits``
    (an outcome missing from ``before`` had earned 0).
    """
    missing = before.keys() - after.keys()
    if missing:
        raise ValueError(f"outcomes cannot leave the history: {sorted(missing)}")
    changed = []
    for outcome_id, decision in after.items():
        previous = before.get(outcome_id)
        if decision.credits != (previous.credits if previous is not None else 0):
            changed.append(decision)
    return changed


def decide(
    outcome: Outcome, ruleset: Ruleset | None, review: Review | None, tally: Tally
) -> Decision:
    """Judge a non-voided outcome, apply its review and the caps, and commit it to the tally."""
    verdict = judge(outcome, ruleset, tally)
    if verdict.waiting and review is not None:
        verdict = _reviewed(outcome, verdict, review)
    category = review.category if review is not None else outcome.category
    year = shanghai_year(outcome.recorded_at)
    credits = verdict.credits
    if credits > 0 and ruleset is not None:
        credits = tally.allowance(ruleset.caps, year, category, credits)
    reason = Reason.CAPPED if credits < verdict.credits else verdict.reason
    _commit(tally, outcome, verdict, year, category, credits)
    return Decision(
        outcome_id=outcome.outcome_id,
        status=_status(reason, credits),
        reason=reason,
        credits=credits,
        category=category,
        ruleset_id=outcome.ruleset_id,
        rule=verdict.rule,
    )


def voided_decision(outcome: Outcome, review: Review | None) -> Decision:
    """A voided outcome earns nothing and takes no part in anything else."""
    # A review sets the category for good, so a negative delta lands where the credits were.
    category = review.category if review is not None else outcome.category
    return Decision(
        outcome_id=outcome.outcome_id,
        status=Status.VOIDED,
        reason=Reason.VOIDED,
        credits=0,
        category=category,
        ruleset_id=outcome.ruleset_id,
        rule=None,
    )


def _reviewed(outcome: Outcome, verdict: Verdict, review: Review) -> Verdict:
    """The workstation's credits replace the rules' nothing, at the outcome's own position."""
    identity = verdict.identity
    if outcome.kind is OutcomeKind.COURSE and review.credits > 0:
        identity = course_identity(outcome)  # a course credited by review counts as passed
    return Verdict(
        Reason.REVIEWED, max(review.credits, 0), "review", identity=identity, hours=verdict.hours
    )


def _commit(
    tally: Tally, outcome: Outcome, verdict: Verdict, year: int, category: str, credits: int
) -> None:
    if verdict.identity is not None:
        tally.identities.add(verdict.identity)
    if verdict.hours:
        tally.add_hours(outcome.category, verdict.hours)
    if verdict.line is not None:
        tally.raise_line(verdict.line, verdict.rank, credits)
    tally.add_credits(year, category, credits)


def _status(reason: Reason, credits: int) -> Status:
    if reason in WAITING:
        return Status.PENDING_REVIEW
    return Status.CREDITED if credits > 0 else Status.NOT_CREDITED
