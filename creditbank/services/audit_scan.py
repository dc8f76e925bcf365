"""One slice of an audit: a range of learners, read in one snapshot, every check run on it.

The journal is streamed in ``(learner_id, seq)`` order with a server-side cursor, next to the
accounts in ``learner_id`` order, so memory holds one learner's history at a time however large
the bank is. A slice needs neither Flask nor the app: it runs in the audit's own process or in
a worker process of a pool (``scan_in_worker``), which is how an audit uses every core.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.orm import Session

from config.settings import Settings
from creditbank.college_models import TransferItem
from creditbank.conversion import Outcome, Ruleset, UnknownRuleset, evaluate
from creditbank.db import configure_sqlite
from creditbank.domain.chain_checks import BalanceCheck, ChainCheck, Finding, format_totals
from creditbank.journal import entry_document
from creditbank.models import Account, JournalEntry
from creditbank.services.audit_transfers import (
    ItemsByLearner,
    finish_transfers,
    item_rows,
    load_catalogues,
)
from creditbank.services.history import HISTORY_KINDS, history_entry, load_rulesets
from creditbank.transfer import Catalogue, Item
from creditbank.transfer.journal_check import TransferCheck

STREAM_BATCH = 2000  # rows per round trip of the server-side cursor
_ENTRIES = JournalEntry.__table__
_ACCOUNTS = Account.__table__
_ITEM_LEARNER = TransferItem.__table__.c.learner_id
_ENGINES: dict[str, Engine] = {}  # per worker process: one engine per database


@dataclass(frozen=True)
class Slice:
    """Learners with ``low <= learner_id < high`` (open ends: None), or exactly one learner."""

    low: str | None = None
    high: str | None = None
    learner_id: str | None = None


@dataclass
class SliceResult:
    entries: int = 0
    learners: int = 0
    findings: list[Finding] = field(default_factory=list)


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction whose statements all see one snapshot, so that the accounts and
    the journal are read as of the same instant while postings go on."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with connection.begin():
            yield connection


def scan_in_worker(database_url: str, part: Slice) -> SliceResult:
    """Entry point of a pool worker: its own engine, its own snapshot."""
    engine = _ENGINES.get(database_url)
    if engine is None:
        engine = _ENGINES[database_url] = sa.create_engine(database_url, poolclass=sa.NullPool)
        if engine.dialect.name == "sqlite":
            # Explicit BEGIN: one snapshot for both cursors (it only reads: the default wait).
            configure_sqlite(engine, Settings.sqlite_busy_timeout_ms)
    with read_snapshot(engine) as connection:
        return scan(connection, part, load_rulesets(Session(bind=connection)))


def scan(
    connection: Connection,
    part: Slice,
    rulesets: Mapping[str, Ruleset],
    progress: Callable[[int], None] | None = None,
) -> SliceResult:
    """Every check of every learner in ``part``; ``progress`` hears of entries as they pass.
    The catalogues are read in this snapshot too, as the rulesets are by the caller."""
    result = SliceResult()
    orphans = _orphans(connection, part)
    catalogues = load_catalogues(connection)
    accounts = _stream(connection, _ACCOUNTS, part, _ACCOUNTS.c.learner_id)
    entries = journal_rows(connection, part)
    items = ItemsByLearner(item_rows(connection, _bounds(_ITEM_LEARNER, part), STREAM_BATCH))
    for learner_id, account, rows in _pair(accounts, entries, orphans):
        mine = items.take(learner_id) if account is not None else []
        checked = audit_learner(
            learner_id, account, rows, rulesets, result.findings, catalogues, mine
        )
        result.entries += checked
        result.learners += 1
        if progress is not None:
            progress(checked)
    return result


def journal_rows(connection: Connection, part: Slice) -> Any:
    """The journal rows of ``part`` in ``(learner_id, seq)`` order, streamed."""
    return _stream(connection, _ENTRIES, part, _ENTRIES.c.learner_id, _ENTRIES.c.seq)


def _stream(connection: Connection, table: sa.Table, part: Slice, *order: Any) -> Any:
    """The rows of ``part`` in ``order``, fetched STREAM_BATCH at a time (server-side)."""
    query = sa.select(table).where(*_bounds(table.c.learner_id, part)).order_by(*order)
    return connection.execute(query.execution_options(yield_per=STREAM_BATCH))


def _bounds(learner: Any, part: Slice) -> list[Any]:
    if part.learner_id is not None:
        return [learner == part.learner_id]
    bounds = []
    if part.low is not None:
        bounds.append(learner >= part.low)
    if part.high is not None:
        bounds.append(learner < part.high)
    return bounds


def _orphans(connection: Connection, part: Slice) -> set[str]:
    """Learners with journal entries but no account (only possible with the foreign key off)."""
    learner = _ENTRIES.c.learner_id
    has_account = sa.exists().where(_ACCOUNTS.c.learner_id == learner)
    query = sa.select(learner).distinct().where(~has_account, *_bounds(learner, part))
    return set(connection.scalars(query))


def _pair(
    accounts: Any, entries: Any, orphans: set[str]
) -> Iterator[tuple[str, Row[Any] | None, Iterator[Row[Any]]]]:
    """Walk both ordered streams together. Every learner in the journal has an account (the
    orphans aside), so the journal's learners are a subsequence of the accounts' and equality
    is enough: no comparison in Python that could disagree with the database's collation."""
    groups = groupby(entries, key=attrgetter("learner_id"))
    current = next(groups, None)
    for account in accounts:
        while current is not None and current[0] in orphans:
            yield current[0], None, current[1]
            current = next(groups, None)
        if current is not None and current[0] == account.learner_id:
            yield account.learner_id, account, current[1]
            current = next(groups, None)
        else:
            yield account.learner_id, account, iter(())
    while current is not None:
        yield current[0], None, current[1]
        current = next(groups, None)


def audit_learner(
    learner_id: str,
    account: Row[Any] | None,
    rows: Iterator[Row[Any]],
    rulesets: Mapping[str, Ruleset],
    findings: list[Finding],
    catalogues: Mapping[str, Catalogue],
    items: list[Item],
) -> int:
    """Chain, hashes, balances, replay and transfers of one learner; returns the entries
    checked."""
    chain = ChainCheck(learner_id, findings)
    balance = BalanceCheck(learner_id, findings)
    replay = Replay(learner_id, findings)
    transfers = TransferCheck(learner_id, findings, catalogues)
    for row in rows:
        try:
            document = entry_document(row)  # type: ignore[arg-type]
        except (TypeError, ValueError) as error:
            chain.feed({"seq": row.seq, "prev_hash": row.prev_hash}, row.hash, hashed=False)
            expected = f"an entry whose content can be hashed (stored hash {row.hash})"
            findings.append(Finding(learner_id, row.seq, "entry_hash", expected, repr(error)))
            continue
        chain.feed(document, row.hash)
        transfers.feed(document)
        if row.kind == "credit":
            balance.feed(document)
            replay.add_credit(row)
        elif row.kind in HISTORY_KINDS:
            replay.add_history(row)
    if account is None:
        findings.append(
            Finding(learner_id, 1, "chain_link", "an account for this learner", "no account")
        )
    else:
        chain.finish(account.head_seq, account.head_hash)
        cached = (account.balance, json.loads(account.balance_by_category or "{}"))
        balance.finish(chain.last_seq, cached)
    finish_transfers(transfers, account, items, chain.last_seq)
    replay.check(rulesets)
    return chain.entries


class Replay:
    """Invariant 4: the engine, re-run over the learner's outcomes, voids and reviews (the same
    ``evaluate`` that posting uses), earns each outcome what its credit entries add up to."""

    def __init__(self, learner_id: str, findings: list[Finding]) -> None:
        self.learner_id = learner_id
        self.findings = findings
        self.history: list[Any] = []
        self.outcome_seq: dict[str, int] = {}
        self.credited: dict[str, dict[str, int]] = {}  # outcome -> category -> tenths
        self.first_credit_seq: dict[str, int] = {}

    def add_history(self, row: Row[Any]) -> None:
        try:
            entry = history_entry(row)  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError) as error:
            self._add(row.seq, "an outcome, void or review the engine can read", repr(error))
            return
        self.history.append(entry)
        if isinstance(entry, Outcome):
            self.outcome_seq[entry.outcome_id] = entry.seq

    def add_credit(self, row: Row[Any]) -> None:
        by_category = self.credited.setdefault(row.outcome_id, {})
        by_category[row.category] = by_category.get(row.category, 0) + (row.delta or 0)
        self.first_credit_seq.setdefault(row.outcome_id, row.seq)

    def check(self, rulesets: Mapping[str, Ruleset]) -> None:
        try:
            decisions = evaluate(self.history, rulesets)
        except UnknownRuleset as error:
            self._unknown_ruleset(str(error.args[0]))
            return
        for outcome_id, decision in decisions.items():
            earned = {decision.category: decision.credits} if decision.credits else {}
            credited = self.credited.pop(outcome_id, {})
            if earned != {name: value for name, value in credited.items() if value}:
                self._add(
                    self.outcome_seq[outcome_id],
                    f"{outcome_id} earns {format_totals(earned)}",
                    f"its credit entries add up to {format_totals(credited)}",
                )
        for outcome_id, credited in self.credited.items():
            self._add(
                self.first_credit_seq[outcome_id],
                "credit entries only for outcomes of this learner",
                f"credits {format_totals(credited)} for {outcome_id}, not an outcome here",
            )

    def _unknown_ruleset(self, ruleset_id: str) -> None:
        seq = next(
            (e.seq for e in self.history if getattr(e, "ruleset_id", None) == ruleset_id), None
        )
        self._add(seq, "outcomes under published rulesets", f"unknown ruleset {ruleset_id}")

    def _add(self, seq: int | None, expected: str, found: str) -> None:
        self.findings.append(Finding(self.learner_id, seq, "replay", expected, found))
