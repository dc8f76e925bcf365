"""Prometheus metrics at ``GET /metrics`` (public, API.md § Operations).

Under gunicorn every worker is a process with its own counters, so ``config/gunicorn.conf.py``
sets ``PROMETHEUS_MULTIPROC_DIR`` before the app is imported: prometheus-client then keeps each
process's values in files there and ``/metrics`` adds up every worker's, whichever answers.
Without that variable (one process: ``flask run``, tests) the default registry is used.

Outcomes posted, credits granted and audit results are counted from what the database is
told: the journal entries a transaction appends and the audits it finishes are tallied as it
commits (audits at flush) and recorded once it has committed (never when it rolls back), so
posting, voiding, reviewing, importing and every way of auditing count without each calling
in. The ``record_*`` functions
are for anything that does not go through the database.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from creditbank.college_models import TransferItem
from creditbank.extensions import db
from creditbank.journal import appended
from creditbank.models import Audit

REQUESTS = Counter(
    "creditbank_http_requests",
    "HTTP requests answered, by route (the URL rule, not the raw path) and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "creditbank_http_request_duration_seconds",
    "Time from the start of the request to its response, by route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
OUTCOMES_POSTED = Counter(
    "creditbank_outcomes_posted", "Outcomes newly recorded (replays of a post are not counted)."
)
# Integer tenths, as everywhere inside the service: a float sum of 0.1 steps would drift.
CREDITS_GRANTED = Counter(
    "creditbank_credits_granted_tenths",
    "Credits granted, in tenths of a credit: the sum of the positive deltas of credit entries.",
)
AUDITS = Counter("creditbank_audits", "Audits finished, by result.", ["status"])
TRANSFER_DECISIONS = Counter(
    "creditbank_transfer_decisions",
    "A college's decisions on application items, counted at commit: approve (a transfer "
    "entry), reject, revoke (a reversal entry).",
    ["decision"],
)
TRANSFER_DECISION_KINDS = ("approve", "reject", "revoke")

_PENDING = "creditbank.metrics.pending"  # Session.info key of the uncommitted _Tally
AUDIT_RESULTS = ("passed", "failed", "error")  # the end states of an audit run
UNMATCHED = "<unmatched>"  # every path that matched no route, so the label set stays small
# HTTP's own methods (RFC 9110 § 9, and PATCH); any other a client invents is counted as
# OTHER_METHOD, so that no request can make a new series.
KNOWN_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
)
OTHER_METHOD = "other"


def record_outcomes(count: int) -> None:
    """``count`` outcomes were recorded (committed)."""
    if count > 0:
        OUTCOMES_POSTED.inc(count)


def record_credits(tenths: int) -> None:
    """Credit entries granting ``tenths`` in all (positive deltas only) were committed."""
    if tenths > 0:
        CREDITS_GRANTED.inc(tenths)


def record_audit(status: str) -> None:
    """An audit finished with ``status`` (``passed``, ``failed``, ``error``)."""
    AUDITS.labels(status=status).inc()


def init_metrics(app: Flask) -> None:
    """Time and count every request, and serve ``/metrics``."""
    # First of all before-request functions, so that a request refused by a later one (a
    # body too large) is timed too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_observe)
    app.add_url_rule("/metrics", "metrics", _metrics, methods=["GET"])
    if not event.contains(db.session, "after_flush", _tally_audits):
        event.listen(db.session, "after_flush", _tally_audits)
        event.listen(db.session, "before_commit", _tally_journal)
        event.listen(db.session, "after_commit", _record_committed)
        event.listen(db.session, "after_rollback", _forget_rolled_back)


@dataclass
class _Tally:
    """What a transaction has flushed so far and will count if it commits."""

    outcomes: int = 0
    tenths: int = 0
    audits: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)


def _tally_journal(session: Session) -> None:
    tally = session.info.setdefault(_PENDING, _Tally())
    for entry in appended(session):
        if entry.kind == "outcome":
            tally.outcomes += 1
        elif entry.kind == "credit" and (entry.delta or 0) > 0:
            tally.tenths += entry.delta or 0
        elif entry.kind == "transfer":
            tally.decisions.append("approve")
        elif entry.kind == "reversal":
            tally.decisions.append("revoke")


def _tally_audits(session: Session, _context: object) -> None:
    tally = session.info.setdefault(_PENDING, _Tally())
    for row in (*session.new, *session.dirty):
        if isinstance(row, Audit):
            added = inspect(row).attrs.status.history.added
            if added and added[-1] in AUDIT_RESULTS:
                tally.audits.append(added[-1])
        elif isinstance(row, TransferItem):
            added = inspect(row).attrs.status.history.added
            if added and added[-1] == "rejected":
                tally.decisions.append("reject")


def _record_committed(session: Session) -> None:
    tally = session.info.pop(_PENDING, None)
    if tally is not None:
        record_outcomes(tally.outcomes)
        record_credits(tally.tenths)
        for status in tally.audits:
            record_audit(status)
        for decision in tally.decisions:
            TRANSFER_DECISIONS.labels(decision=decision).inc()


def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    method = request.method if request.method in KNOWN_METHODS else OTHER_METHOD
    REQUESTS.labels(method, route, str(response.status_code)).inc()
    started = g.get("metrics_started")
    if started is not None:
        LATENCY.labels(method, route).observe(time.perf_counter() - started)
    return response


def _metrics() -> Response:
    """The Prometheus text exposition of every worker's metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    response = Response(generate_latest(registry), mimetype=None)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    response.headers["Cache-Control"] = "no-store"
    return response
