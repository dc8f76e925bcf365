"""A whole bank read straight from its database, behind the API's back, and checked: what the
system tests assert after load and faults (DESIGN.md invariants 2 and 3), and the bank's own
audit."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import normalise_database_url
from creditbank.models import Account, JournalEntry
from tests.integration.chains import (
    assert_chain_intact,
    assert_head_matches,
    assert_running_totals,
)
from tests.support.gunicorn import Gunicorn
from tests.support.processes import executable, run_cli


@dataclass
class Journal:
    """What a consistent bank holds, once every invariant below has been checked."""

    entries: dict[str, list[dict[str, Any]]]  # learner_id -> entry views in seq order
    balances: dict[str, int]  # learner_id -> tenths
    outcome_refs: Counter[tuple[str, str]]  # (provider_id, external_ref) -> outcome entries

    def outcomes_of(self, learner_id: str) -> list[dict[str, Any]]:
        return [entry for entry in self.entries.get(learner_id, []) if entry["kind"] == "outcome"]


def read_journal(database_url: str) -> Journal:
    """Read every account and its chain straight from the database and check DESIGN.md
    invariants 2 and 3 on each: seq 1..n, linked, hashes recompute from the content,
    ``recorded_at`` never goes back, the cached head and balance agree with the entries,
    every running total is the sum of the deltas before it."""
    from creditbank.services.outcome_views import entry_view

    engine = sa.create_engine(normalise_database_url(database_url))
    try:
        with Session(engine) as session:
            accounts = {a.learner_id: a for a in session.scalars(select(Account))}
            rows = session.scalars(
                select(JournalEntry).order_by(JournalEntry.learner_id, JournalEntry.seq)
            )
            entries: dict[str, list[dict[str, Any]]] = {}
            for row in rows:
                entries.setdefault(row.learner_id, []).append(entry_view(row))
            balances = {}
            for learner_id, account in accounts.items():
                views = entries.get(learner_id, [])
                assert_chain_intact(views)
                assert_head_matches(account, views)
                total, by_category = assert_running_totals(views)
                assert account.balance == total, f"{learner_id}: cached balance"
                cached = json.loads(account.balance_by_category)  # tenths per category
                assert {k: v for k, v in cached.items() if v} == {
                    k: v for k, v in by_category.items() if v
                }, f"{learner_id}: cached balance by category"
                balances[learner_id] = total
            assert set(entries) <= set(accounts), "journal entries without an account"
    finally:
        engine.dispose()
    refs = Counter(
        (entry["provider_id"], entry["external_ref"])
        for views in entries.values()
        for entry in views
        if entry["kind"] == "outcome" and "provider_id" in entry  # a deposit has no provider
    )
    return Journal(entries, balances, refs)


def audit(server: Gunicorn, database_url: str) -> dict[str, Any]:
    """Run ``creditbank audit`` (the bank's own audit, DESIGN.md § Audit) over
    ``database_url`` with ``server``'s keys; fail unless it passes; its report."""
    creditbank = executable("creditbank")
    assert creditbank is not None
    env = {**server.env, "CREDITBANK_DATABASE_URL": database_url}
    report = json.loads(run_cli(creditbank, env, "audit", "--workers", "1", "--format", "json"))
    assert report["status"] == "passed", report
    return report
