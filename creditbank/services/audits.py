"""Audit runs (DESIGN.md § Audit): invariants 2–4 and 6 over the whole bank or one learner.

The bank is cut into slices of about ``SLICE_ENTRIES`` journal entries by learner range; each
slice is read in one snapshot and checked by :mod:`creditbank.services.audit_scan`, in this
process or, for a large bank, in a pool of worker processes (hashing is CPU-bound and the GIL
would keep threads on one core). Findings are written as each slice comes back, in batches, so
memory stays flat; the journal itself is only ever read.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from itertools import repeat
from multiprocessing import get_context
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from creditbank.context import settings
from creditbank.domain.canonical import format_instant
from creditbank.domain.chain_checks import Finding
from creditbank.domain.errors import UnknownLearner
from creditbank.domain.ids import new_id
from creditbank.domain.roles import Principal
from creditbank.extensions import db
from creditbank.models import Account, Audit, AuditFinding
from creditbank.services import checkpoints
from creditbank.services.audit_scan import (
    Slice,
    SliceResult,
    read_snapshot,
    scan,
    scan_in_worker,
)
from creditbank.services.history import load_rulesets
from creditbank.services.transaction import utcnow, write_transaction

log = logging.getLogger(__name__)
# Runs ``work`` after the request, named ``name`` (the API passes a thread with the app).
Background = Callable[[Callable[[], None], str], None]

SLICE_ENTRIES = 20_000  # entries per slice: a unit of work, of progress and of snapshot
PARALLEL_MIN_ENTRIES = 100_000  # below this, starting worker processes costs more than it saves
MAX_WORKERS = 4
FINDINGS_BATCH = 1000

Progress = Callable[[int], None]
AfterOpen = Callable[[Session, Audit], object]


def entries_in_scope(learner_id: str | None) -> int:
    """How many journal entries an audit of ``learner_id`` (or of the bank) will read, from the
    accounts' cached heads: cheap, and exact unless the audit is about to find otherwise."""
    query = select(func.coalesce(func.sum(Account.head_seq), 0))
    if learner_id is not None:
        query = query.where(Account.learner_id == learner_id)
    return int(db.session.scalar(query) or 0)


def open_audit(
    learner_id: str | None, requested_by: str | None, *, after: AfterOpen | None = None
) -> str:
    """Record a new run as ``running`` (first marking the runs that died, as
    :func:`end_stale_audits` does); an unknown learner is a 422. ``after`` runs in the same
    transaction (where a page records its audit event)."""
    with write_transaction() as session:
        if learner_id is not None and session.get(Account, learner_id) is None:
            raise UnknownLearner(errors={"learner_id": ["No learner has this id."]})
        now = utcnow()
        _end_stale(session, now)
        audit = Audit(
            id=new_id("au"),
            learner_id=learner_id,
            status="running",
            requested_by=requested_by,
            started_at=now,
            heartbeat_at=now,
        )
        session.add(audit)
        if after is not None:
            after(session, audit)
        return audit.id


def end_stale_audits() -> list[Audit]:
    """Mark ``error`` every run still ``running`` whose heartbeat is older than
    ``CREDITBANK_AUDIT_STALE_AFTER_SECONDS``: the process running it has died (a worker restart,
    a crash), and without this it would say ``running`` for ever. Returns those marked."""
    with write_transaction() as session:
        return _end_stale(session, utcnow())


def _end_stale(session: Session, now: datetime) -> list[Audit]:
    # "error", not "failed": failed says the journal has findings, error that the run broke
    # off before it could say (what Recorder.fail records when a run raises).
    seconds = settings().audit_stale_after_seconds
    beat = func.coalesce(Audit.heartbeat_at, Audit.started_at)  # runs from before 0005: none
    stale = session.scalars(
        select(Audit)
        .where(Audit.status == "running", beat < now - timedelta(seconds=seconds))
        .with_for_update()
    ).all()
    for audit in stale:
        last = audit.heartbeat_at or audit.started_at
        audit.status, audit.finished_at = "error", now
        audit.error = (
            f"stale: no heartbeat since {format_instant(last)} (over {seconds} s); "
            "the process running the audit stopped before it finished"
        )
    return list(stale)


def run_audit(
    learner_id: str | None = None,
    *,
    requested_by: str | None = None,
    audit_id: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Audit:
    """Audit the bank (or one learner) to the end and store the result; never writes to the
    journal. ``workers``: processes to use (default: every core, for a large bank)."""
    audit_id = audit_id or open_audit(learner_id, requested_by)
    recorder = Recorder(audit_id)
    try:
        slices, total = plan(db.session(), learner_id)
        db.session.commit()  # end the planning read before the slices take their snapshots
        for result in _results(slices, _workers(workers, total), progress):
            recorder.add(result)
        findings: list[Finding] = []
        with read_snapshot(db.engine) as connection:
            checkpoint = checkpoints.audit_latest(Session(bind=connection), learner_id, findings)
        recorder.add_findings(findings)
        return recorder.finish(*checkpoint)
    except BaseException as error:
        recorder.fail(error)
        raise


def plan(session: Session, learner_id: str | None) -> tuple[list[Slice], int]:
    """Slices of about SLICE_ENTRIES entries each, cut between learners, and the total.

    The cuts are learner ids compared by the database itself (``>=``, ``<``), so the slices
    cover every row whatever the collation, the learners of no account included.
    """
    if learner_id is not None:
        return [Slice(learner_id=learner_id)], entries_in_scope(learner_id)
    query = select(Account.learner_id, Account.head_seq).order_by(Account.learner_id)
    slices: list[Slice] = []
    low: str | None = None
    size = total = 0
    for learner, head_seq in session.execute(query.execution_options(yield_per=5000)):
        if size >= SLICE_ENTRIES:
            slices.append(Slice(low=low, high=learner))
            low, size = learner, 0
        size += head_seq
        total += head_seq
    slices.append(Slice(low=low))
    return slices, total


def _workers(requested: int | None, total: int) -> int:
    if db.engine.url.database in (None, "", ":memory:"):
        return 1  # an in-memory database is invisible to other processes
    if requested is not None:
        return max(1, requested)
    if total < PARALLEL_MIN_ENTRIES:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def _results(slices: list[Slice], workers: int, progress: Progress | None) -> Iterator[SliceResult]:
    """Each slice's result, in slice order (so findings come out in learner order)."""
    if workers <= 1 or len(slices) == 1:
        for part in slices:
            with read_snapshot(db.engine) as connection:
                rulesets = load_rulesets(Session(bind=connection))
                result = scan(connection, part, rulesets, progress)
            yield result
        return
    url = db.engine.url.render_as_string(hide_password=False)
    # spawn, not fork: the parent may be a threaded server holding database connections.
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        for result in pool.map(scan_in_worker, repeat(url), slices):
            if progress is not None:
                progress(result.entries)
            yield result


class Recorder:
    """Writes an audit's findings in numbered batches and keeps its counters current, so that
    a client polling a running audit sees it advance."""

    def __init__(self, audit_id: str) -> None:
        self.audit_id = audit_id
        self.pending: list[Finding] = []
        self.written = 0
        self.entries = 0
        self.learners = 0

    def add(self, result: SliceResult) -> None:
        self.entries += result.entries
        self.learners += result.learners
        self.pending.extend(result.findings)
        self.flush()

    def add_findings(self, findings: list[Finding]) -> None:
        self.pending.extend(findings)

    def flush(self, **final: Any) -> Audit:
        """Write the pending findings and the counters, and beat: the run is alive."""
        with write_transaction() as session:
            for start in range(0, len(self.pending), FINDINGS_BATCH):
                session.execute(insert(AuditFinding), self._rows(start))
            self.written += len(self.pending)
            self.pending = []
            audit = session.get(Audit, self.audit_id)
            assert audit is not None
            audit.heartbeat_at = utcnow()
            audit.entries_checked = self.entries
            audit.learners_checked = self.learners
            audit.findings_total = self.written
            for name, value in final.items():
                setattr(audit, name, value)
            return audit

    def _rows(self, start: int) -> list[dict[str, Any]]:
        batch = self.pending[start : start + FINDINGS_BATCH]
        first = self.written + start + 1
        return [
            {"audit_id": self.audit_id, "number": number, **finding.as_dict()}
            for number, finding in enumerate(batch, first)
        ]

    def finish(self, checkpoint_id: str | None, verified: bool | None) -> Audit:
        status = "passed" if self.written + len(self.pending) == 0 else "failed"
        # A run taken for dead (end_stale_audits) that did finish records what it found.
        return self.flush(
            status=status,
            finished_at=utcnow(),
            checkpoint_id=checkpoint_id,
            checkpoint_verified=verified,
            error=None,
        )

    def fail(self, error: BaseException) -> None:
        """Record that the run broke off (the findings so far stay); never raises itself."""
        try:
            db.session.rollback()
            self.flush(status="error", finished_at=utcnow(), error=repr(error)[:2000])
        except Exception:
            log.exception("could not record the failure of audit %s", self.audit_id)


def request_audit(
    principal: Principal,
    learner_id: str | None,
    *,
    in_background: Background,
    after: AfterOpen | None = None,
) -> tuple[str, bool]:
    """``POST /audits``: audit within the request when the scope holds at most
    ``audit_inline_max_entries`` entries; otherwise open the audit and hand its run to
    ``in_background`` (the caller's way of running work after the request, with the app).
    Returns ``(audit id, finished)``."""
    inline = entries_in_scope(learner_id) <= settings().audit_inline_max_entries
    audit_id = open_audit(learner_id, principal.subject, after=after)
    if inline:
        return run_audit(learner_id, audit_id=audit_id).id, True
    in_background(functools.partial(_run_opened, audit_id, learner_id), f"audit-{audit_id}")
    return audit_id, False


def _run_opened(audit_id: str, learner_id: str | None) -> None:
    # A worker that is restarted mid-run leaves the audit "running" until its heartbeat is
    # stale; the next audit, or `creditbank audit --recover`, then marks it (end_stale_audits).
    try:
        run_audit(learner_id, audit_id=audit_id)
    except Exception:
        log.exception("audit %s failed", audit_id)
    finally:
        db.session.remove()
