"""A generated bank of N journal entries, built in seconds rather than hours.

A few template learners are posted through the API, so that every credit comes from the real
conversion engine (an audit's replay must agree with it); then each template is cloned for new
learners: fresh learner and outcome ids, the chain re-linked and re-hashed with
``journal.entry_document`` and ``canonical.entry_hash``, and the rows inserted with
``executemany`` in large transactions. The clones are as valid as the templates: an untouched
generated bank passes the audit.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from bench._harness import Api
from bench.posting_history import outcome
from creditbank.domain.canonical import GENESIS_HASH, entry_hash
from creditbank.domain.ids import new_id
from creditbank.extensions import db
from creditbank.journal import entry_document
from creditbank.models import Account, JournalEntry

TEMPLATE_OUTCOMES = (6, 18, 40)  # a newcomer, a regular, a busy learner
ROWS_PER_TRANSACTION = 50_000
_COLUMNS = [column.name for column in JournalEntry.__table__.c]


def build_bank(api: Api, entries: int, provider: dict[str, str]) -> dict[str, int]:
    """At least ``entries`` journal entries over as many learners as that takes."""
    templates = [template(api, provider, count) for count in TEMPLATE_OUTCOMES]
    made = sum(len(rows) for rows, _ in templates)
    learners = len(templates)
    pending_rows: list[dict[str, Any]] = []
    pending_accounts: list[dict[str, Any]] = []
    while made < entries:
        rows, account = templates[learners % len(templates)]
        clone_rows, clone_account = clone(rows, account)
        pending_rows.extend(clone_rows)
        pending_accounts.append(clone_account)
        made += len(clone_rows)
        learners += 1
        if len(pending_rows) >= ROWS_PER_TRANSACTION or made >= entries:
            insert(pending_accounts, pending_rows)
            pending_rows, pending_accounts = [], []
    return {"entries": made, "learners": learners}


def template(api: Api, provider: dict[str, str], outcomes: int) -> tuple[list[Any], Any]:
    """A learner with ``outcomes`` outcomes of every kind, one void and one review."""
    learner = api.new_learner()
    items = [outcome(i, learner) for i in range(outcomes)]
    posted = api.expect(201, api.post("/api/v1/outcomes", provider, {"items": items}))["items"]
    first = posted[0]["outcome"]["id"]
    api.expect(201, api.post(f"/api/v1/outcomes/{first}/void", provider, {"reason": "录入错误"}))
    pending = [p["outcome"]["id"] for p in posted if p["outcome"]["status"] == "pending_review"]
    if pending:
        review = {"credits": "1.0", "category": "general", "note": "工作站认定"}
        api.expect(201, api.post(f"/api/v1/reviews/{pending[0]}", api.workstation, review))
    db.session.remove()
    rows = db.session.scalars(
        sa.select(JournalEntry).where(JournalEntry.learner_id == learner).order_by(JournalEntry.seq)
    ).all()
    account = db.session.get(Account, learner)
    db.session.expunge_all()
    return list(rows), account


def clone(rows: list[Any], account: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The template's chain for a new learner, re-linked and re-hashed."""
    learner_id = new_id("L")
    outcome_ids: dict[str, str] = {}
    previous = GENESIS_HASH
    cloned = []
    for row in rows:
        values = {name: getattr(row, name) for name in _COLUMNS}
        values["learner_id"] = learner_id
        if row.outcome_id is not None:
            values["outcome_id"] = outcome_ids.setdefault(row.outcome_id, new_id("o"))
        values["prev_hash"] = previous
        values["hash"] = previous = entry_hash(entry_document(SimpleNamespace(**values)))  # type: ignore[arg-type]
        cloned.append(values)
    head = {
        "learner_id": learner_id,
        "opened_at": account.opened_at,
        "head_seq": account.head_seq,
        "head_hash": previous,
        "head_recorded_at": account.head_recorded_at,
        "balance": account.balance,
        "balance_by_category": account.balance_by_category,
    }
    return cloned, head


def insert(accounts: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    with db.engine.begin() as connection:
        connection.execute(sa.insert(Account.__table__), accounts)
        connection.execute(sa.insert(JournalEntry.__table__), rows)
