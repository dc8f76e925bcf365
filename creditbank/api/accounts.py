"""A learner's balance and ledger: that learner, the workstation, the auditor."""

from __future__ import annotations

from typing import Any

from creditbank.api import Blueprint
from creditbank.api.access import allow, current_principal
from creditbank.api.ledger_schemas import BalanceQuery, BalanceSchema, LedgerPage
from creditbank.api.schemas import PageArgs
from creditbank.domain.roles import Role
from creditbank.services import accounts

blp = Blueprint("accounts", __name__, description="Balances and ledgers")
READERS = (Role.WORKSTATION, Role.AUDITOR, Role.LEARNER)


@blp.route("/learners/<learner_id>/balance", methods=["GET"])
@allow(*READERS)
@blp.arguments(BalanceQuery, location="query")
@blp.response(200, BalanceSchema)
def balance(query: dict[str, Any], learner_id: str) -> Any:
    """Total and per-category balance, now or ``as_of`` an instant."""
    return accounts.balance(current_principal(), learner_id, query["as_of"])


@blp.route("/learners/<learner_id>/ledger", methods=["GET"])
@allow(*READERS)
@blp.arguments(PageArgs, location="query")
@blp.page(LedgerPage)
def ledger(query: dict[str, Any], learner_id: str) -> Any:
    """Journal entries in seq order, with their hashes (keyset cursor)."""
    return accounts.ledger(current_principal(), learner_id, query["cursor"], query["limit"])
