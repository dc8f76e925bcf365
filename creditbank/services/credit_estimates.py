"""What an outcome not yet posted would earn by the ruleset in force, on its own: the judge of
its kind (:mod:`creditbank.conversion.judges`) with nothing before it. The learner's history
(hours accumulated, duplicates, a higher level already held) and the caps are left out: the
console's upload preview says so beside the figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from creditbank.conversion import Reason, Ruleset
from creditbank.conversion.judges import judge
from creditbank.conversion.tally import Tally
from creditbank.domain.canonical import format_instant
from creditbank.extensions import db
from creditbank.labels import category_text, outcome_summary
from creditbank.models import Account, Identity
from creditbank.services.rulesets import ruleset_in_force_now
from creditbank.services.transaction import utcnow
from creditbank.transfer.journal_check import outcome_from_document


@dataclass(frozen=True)
class Estimate:
    row: int
    learner_name: str | None
    account_number: str | None
    external_ref: str
    kind: str
    summary: str  # in Chinese
    category: str  # in Chinese
    credits: int  # tenths, before caps
    reason: Reason


def estimates(rows: Sequence[tuple[int, Mapping[str, Any]]]) -> list[Estimate]:
    """Each (row number, validated outcome) with what it would earn now, and whose it is."""
    in_force = ruleset_in_force_now()
    learners = _learners([item["learner_id"] for _, item in rows])
    found = []
    for row, item in rows:
        credits, reason = estimate(item, in_force)
        name, number = learners.get(item["learner_id"], (None, None))
        category = item.get("category") or item["kind"]
        found.append(
            Estimate(
                row=row,
                learner_name=name,
                account_number=number,
                external_ref=item["external_ref"],
                kind=item["kind"],
                summary=outcome_summary(item["kind"], item, category)["zh"],
                category=category_text(category)["zh"],
                credits=credits,
                reason=reason,
            )
        )
    return found


def estimate(item: Mapping[str, Any], in_force: Ruleset | None) -> tuple[int, Reason]:
    """The tenths ``item`` would earn on an empty account, and why."""
    document = {
        name: value.isoformat() if isinstance(value, date) else value
        for name, value in item.items()
    }
    document.update(
        outcome_id="",
        seq=0,
        recorded_at=format_instant(utcnow()),
        outcome_kind=item["kind"],
        category=item.get("category") or item["kind"],
        ruleset_id=in_force.id if in_force else None,
    )
    verdict = judge(outcome_from_document(document), in_force, Tally())
    return verdict.credits, verdict.reason


def _learners(learner_ids: Sequence[str]) -> dict[str, tuple[str | None, str]]:
    query = (
        select(Account.learner_id, Account.account_number, Identity.name)
        .outerjoin(Identity, Identity.learner_id == Account.learner_id)
        .where(Account.learner_id.in_(sorted(set(learner_ids))))
    )
    return {row.learner_id: (row.name, row.account_number) for row in db.session.execute(query)}
