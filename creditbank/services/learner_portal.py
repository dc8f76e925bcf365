"""What the learner portal shows a learner of its own account: its outcomes (newest first,
keyset-paged), each with its source's name and evidence files, and its balance by category
with the categories' names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from creditbank.domain.errors import Forbidden
from creditbank.domain.roles import Principal
from creditbank.evidence_models import Evidence
from creditbank.labels import category_text
from creditbank.models import OutcomeState
from creditbank.services import accounts
from creditbank.services.deposits import evidence_of
from creditbank.services.pagination import Page, keyset_page
from creditbank.services.review_desk import named_views


@dataclass(frozen=True)
class CategoryFigure:
    category: str
    label: str  # in Chinese
    credits: str  # "12.5"


@dataclass(frozen=True)
class Overview:
    total: str
    available: str
    by_category: list[CategoryFigure]


def overview(principal: Principal, learner_id: str) -> Overview:
    """The balance now, by category, named."""
    balance = accounts.balance(principal, learner_id, None)
    figures = [
        CategoryFigure(name, category_text(name)["zh"], amount)
        for name, amount in balance["by_category"].items()
    ]
    return Overview(balance["total"], balance["available"], figures)


def my_outcomes(
    principal: Principal, learner_id: str, cursor: str | None, limit: int
) -> tuple[Page[dict[str, Any]], dict[str, list[Evidence]]]:
    """The learner's outcomes, newest first, and their evidence files by outcome."""
    if not principal.may_read_learner(learner_id):
        raise Forbidden("A learner reads only its own account")
    query = select(OutcomeState).where(OutcomeState.learner_id == learner_id)
    page = keyset_page(query, OutcomeState.outcome_id, cursor, limit, descending=True)
    views = page.map(named_views)
    files = evidence_of(learner_id, [view["id"] for view in views.items])
    return views, files
