"""The workstation's review desk: the queue of outcomes waiting for a decision (filtered by kind,
by source and by how long they have waited; names, not ids) and one outcome with what a reviewer
needs: its evidence, and what the rules would grant it (the suggestion and its bounds).

The decision itself is :func:`creditbank.services.reviews.decide_review`, as the API's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from creditbank.conversion import Outcome, Status, evaluate
from creditbank.conversion.judges import WAITING
from creditbank.domain.errors import NotFound
from creditbank.evidence_models import Evidence
from creditbank.extensions import db
from creditbank.labels import CERTIFICATE_LEVEL_TEXT, SKILL_LEVEL_TEXT, rule_text
from creditbank.labels import SELF_DECLARED as SELF_DECLARED_NAME
from creditbank.models import Account, Identity, OutcomeState, Provider
from creditbank.services.deposits import SELF_DECLARED, evidence_of
from creditbank.services.history import history_of, load_rulesets
from creditbank.services.outcome_views import outcome_views
from creditbank.services.pagination import Page, keyset_page
from creditbank.services.transaction import utcnow

# What a reviewer may grant where no rule says (the API's own maximum for a review).
NO_RULE_MAXIMUM = 10000  # tenths


@dataclass(frozen=True)
class QueueFilter:
    kind: str | None = None
    source: str | None = None  # SELF_DECLARED, "provider", or a provider's id
    waited_days: int | None = None  # at least this many days in the queue


def review_queue(wanted: QueueFilter, cursor: str | None, limit: int) -> Page[dict[str, Any]]:
    """Pending outcomes, oldest first, each with its learner's and its source's names."""
    query = select(OutcomeState).where(OutcomeState.status == Status.PENDING_REVIEW.value)
    if wanted.kind:
        query = query.where(OutcomeState.kind == wanted.kind)
    if wanted.source == "provider":
        query = query.where(OutcomeState.provider_id != SELF_DECLARED)
    elif wanted.source:
        query = query.where(OutcomeState.provider_id == wanted.source)
    if wanted.waited_days:
        query = query.where(OutcomeState.recorded_at <= utcnow() - timedelta(wanted.waited_days))
    page = keyset_page(query, OutcomeState.outcome_id, cursor, limit)
    return page.map(named_views)


def named_views(states: list[OutcomeState]) -> list[dict[str, Any]]:
    """Outcome views with ``learner_name``, ``source_name`` and ``waited_days``."""
    views = outcome_views(db.session(), states)
    learner_ids = {s.learner_id for s in states}
    learners = _names(Identity.learner_id, Identity.name, learner_ids)
    numbers = _names(Account.learner_id, Account.account_number, learner_ids)
    providers = _names(Provider.id, Provider.name, {s.provider_id for s in states})
    now = utcnow()
    for view, state in zip(views, states, strict=True):
        view["learner_name"] = learners.get(state.learner_id) or "（姓名已删除）"
        view["account_number"] = numbers.get(state.learner_id, "")
        view["self_declared"] = state.provider_id == SELF_DECLARED
        view["source_name"] = (
            SELF_DECLARED_NAME if view["self_declared"] else providers.get(state.provider_id, "")
        )
        view["waited_days"] = (now - state.recorded_at).days
        view["rule_label"] = rule_text(state.rule)["zh"] if state.rule else None
        view["level_label"] = _level_label(state.kind, view.get("level"))
    return views


def providers_for_filter() -> list[tuple[str, str]]:
    """(id, name) of every provider, for the queue's filter."""
    return list(db.session.execute(select(Provider.id, Provider.name).order_by(Provider.name)))


@dataclass(frozen=True)
class Suggestion:
    """What the rules would grant the outcome had a provider posted it (``credits`` None: no
    rule covers it), and what a reviewer may grant: ``minimum`` to ``maximum`` tenths."""

    credits: int | None
    rule: str | None
    minimum: int
    maximum: int

    @property
    def rule_label(self) -> str:
        return rule_text(self.rule)["zh"]

    def allows(self, credits: int) -> bool:
        return self.minimum <= credits <= self.maximum


@dataclass(frozen=True)
class ReviewItem:
    outcome: dict[str, Any]
    evidence: list[Evidence]
    suggestion: Suggestion


def review_item(outcome_id: str) -> ReviewItem:
    state = db.session.scalar(select(OutcomeState).where(OutcomeState.outcome_id == outcome_id))
    if state is None:
        raise NotFound("No such outcome")
    view = named_views([state])[0]
    files = evidence_of(state.learner_id, [outcome_id]).get(outcome_id, [])
    return ReviewItem(view, files, suggestion(state))


def suggestion(state: OutcomeState) -> Suggestion:
    """The learner's history replayed with this outcome judged by the rules (a deposit as if a
    provider had posted it): what it would earn there, caps and all, is the suggestion and the
    most a reviewer may grant; where no rule covers it, up to :data:`NO_RULE_MAXIMUM`."""
    session = db.session()
    history = [
        dataclasses.replace(entry, self_declared=False)
        if isinstance(entry, Outcome) and entry.outcome_id == state.outcome_id
        else entry
        for entry in history_of(session, state.learner_id)
    ]
    decision = evaluate(history, load_rulesets(session)).get(state.outcome_id)
    if decision is None or decision.reason in WAITING:
        return Suggestion(None, None, 0, NO_RULE_MAXIMUM)
    return Suggestion(decision.credits, decision.rule, 0, decision.credits)


def _level_label(kind: str, level: Any) -> str | None:
    if level is None:
        return None
    if kind == "skill_level" and str(level).isdigit():
        return SKILL_LEVEL_TEXT.get(int(level), (str(level), ""))[0]
    return CERTIFICATE_LEVEL_TEXT.get(str(level), (str(level), ""))[0]


def _names(key: Any, name: Any, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(key, name).where(key.in_(ids)))
    return {row[0]: row[1] for row in rows}
