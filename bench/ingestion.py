"""Batch ingestion: outcomes/s through ``POST /outcomes``, next to what the database itself takes.

The end of a term: a county workstation posts a whole cohort's results. A real gunicorn serves
a migrated database with the default ruleset (conversion on); the load generator
(:mod:`bench._load`) sends batches of 500 outcomes — one per learner of a cohort, a mix of every
kind — from one keep-alive connection per gunicorn worker (each connection its own cohorts, as
each workstation posts its own), for a bounded time. Each request is another term's results:
its external refs and its certificate numbers are its own (numbers shared by every request would
measure how batches queue on the advisory lock of each number, services/certificate_reuse.py).

The baseline, in the same run on the same database, is the unavoidable work of this design
without the service: build each outcome's journal entry and its credit entry, chain them with
SHA-256 (:func:`creditbank.domain.canonical.entry_hash`), and insert both rows with the
driver's own ``executemany`` (psycopg / sqlite3), one commit per 500 outcomes as the service
commits one per request.

Targets (the performance issue, second push): at least 4,000 outcomes/s; on PostgreSQL at
least 0.3 of the baseline. On PostgreSQL the service writes its rows with COPY and moves the
account heads with one UPDATE (creditbank/bulk.py), so the baseline's executemany is the
slower way to write the same rows; what the ratio measures is the rest of the service's work
(validation, idempotency, locks, conversion, hashing).
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa

from bench import Figure, Options, Result
from bench._harness import Api, add_learners, gunicorn, migrated_app, on_each_backend
from bench._load import run_load
from bench.posting_history import outcome
from creditbank.domain.amounts import format_tenths
from creditbank.domain.canonical import GENESIS_HASH, canonical_bytes, entry_hash, format_instant
from creditbank.domain.ids import new_id

RULESET = Path(__file__).resolve().parent.parent / "config" / "rulesets" / "yunyang-2026.json"
BATCH = 500
COHORTS = 4  # each connection (one per gunicorn thread) posts its own cohort
SECONDS = 15
WARMUP_SECONDS = 3
BASELINE_OUTCOMES = 10_000
MIN_OUTCOMES_PER_S = 4000.0
MIN_RATIO_ON_POSTGRES = 0.3

_COLUMNS = (
    "learner_id",
    "seq",
    "kind",
    "recorded_at",
    "prev_hash",
    "hash",
    "outcome_id",
    "provider_id",
    "ruleset_id",
    "category",
    "delta",
    "running_total",
    "reason",
    "data",
)


def run(options: Options) -> Result:
    result = Result(details={"batch": BATCH, "seconds": SECONDS, "warmup_seconds": WARMUP_SECONDS})
    return on_each_backend(options, result, measure, figures)


def measure(backend: str, url: str, folder: Path) -> dict[str, Any]:
    with migrated_app(url, folder) as app:
        api = Api(app)
        ruleset_id = api.publish_ruleset(RULESET)["id"]
        provider = api.new_provider("BENCH")
        provider_id = _provider_id()
        cohorts = [add_learners(BATCH) for _ in range(COHORTS)]
        baseline_learners = add_learners(BATCH)
    database_url = app.config["SQLALCHEMY_DATABASE_URI"]
    started = time.perf_counter()
    _baseline(database_url, baseline_learners, provider_id, ruleset_id)
    baseline_s = time.perf_counter() - started
    baseline = BASELINE_OUTCOMES / baseline_s
    print(f"   {backend}: baseline {baseline:,.0f} outcomes/s", flush=True)
    with gunicorn(url, folder) as server:
        load = run_load(
            {
                "host": server.host,
                "port": server.port,
                "connections": server.workers * server.threads,
                # A batch takes a worker a good part of a second: a new connection for each
                # lets whichever worker is free take it, as a pool of workstations would.
                "requests_per_connection": 1,
                "seconds": SECONDS,
                "warmup_seconds": WARMUP_SECONDS,
                "method": "POST",
                "paths": ["/api/v1/outcomes"],
                "headers": provider,
                "bodies": [_batch_body(cohort) for cohort in cohorts],
                "bodies_per_connection": True,
                "expect": [201],
            }
        )
    service = load["rps"] * BATCH
    print(f"   {backend}: POST /outcomes {service:,.0f} outcomes/s", flush=True)
    return {
        "gunicorn": {"workers": server.workers, "threads": server.threads},
        "baseline_outcomes_per_s": round(baseline, 1),
        "service_outcomes_per_s": round(service, 1),
        "requests": load,
    }


def _provider_id() -> str:
    from creditbank.extensions import db
    from creditbank.models import Provider

    return db.session.scalars(sa.select(Provider.id).where(Provider.code == "BENCH")).one()


def _batch_body(learner_ids: list[str]) -> str:
    """One request: an outcome for each learner; ``@N@`` (the request's number) keeps its refs
    and its certificate numbers new (a number credited to two learners is the rare case of
    services/certificate_reuse.py)."""
    items = []
    for index, learner_id in enumerate(learner_ids):
        item = outcome(index, learner_id)
        item["external_ref"] = f"batch-@N@-{index}"
        if "certificate_no" in item:
            item["certificate_no"] += "-@N@"
        items.append(item)
    return json.dumps({"items": items}, ensure_ascii=False)


def _baseline(database_url: str, learner_ids: list[str], provider_id: str, ruleset_id: str) -> None:
    """Chain and insert BASELINE_OUTCOMES outcomes, two rows each, committing every BATCH."""
    sql = (
        f"INSERT INTO journal_entries ({', '.join(_COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
    )
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        connection: Any = sqlite3.connect(url.database, isolation_level=None)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=FULL"):
            connection.execute(f"PRAGMA {pragma}")
        sql = sql.replace("%s", "?")
    else:
        connection = psycopg.connect(url.set(drivername="postgresql").render_as_string(False))
    heads = {learner_id: (0, GENESIS_HASH, 0) for learner_id in learner_ids}
    try:
        for first in range(0, BASELINE_OUTCOMES, BATCH):
            rows = []
            for index in range(first, first + BATCH):
                learner_id = learner_ids[index % len(learner_ids)]
                rows += _two_rows(heads, learner_id, index, provider_id, ruleset_id)
            if isinstance(connection, sqlite3.Connection):
                connection.execute("BEGIN IMMEDIATE")
                connection.executemany(sql, [_sqlite_row(row) for row in rows])
                connection.execute("COMMIT")
            else:
                with connection.cursor() as cursor:
                    cursor.executemany(sql, rows)
                connection.commit()
    finally:
        connection.close()


def _two_rows(
    heads: dict[str, tuple[int, str, int]],
    learner_id: str,
    index: int,
    provider_id: str,
    ruleset_id: str,
) -> list[tuple[Any, ...]]:
    """The outcome entry and its credit entry, chained onto the learner's head."""
    seq, prev_hash, balance = heads[learner_id]
    now = datetime.now(UTC)
    item = outcome(index, learner_id)
    outcome_id = new_id("o")
    category = item.get("category") or item["kind"]
    data = {"outcome_kind": item["kind"]}
    data.update({k: v for k, v in item.items() if k not in ("learner_id", "kind", "category")})
    entry = {
        "learner_id": learner_id,
        "seq": seq + 1,
        "kind": "outcome",
        "recorded_at": now,
        "prev_hash": prev_hash,
        "outcome_id": outcome_id,
        "provider_id": provider_id,
        "ruleset_id": ruleset_id,
        "category": category,
        "data": data,
    }
    first = _row(entry)
    credit = {
        "learner_id": learner_id,
        "seq": seq + 2,
        "kind": "credit",
        "recorded_at": now,
        "prev_hash": first[5],
        "outcome_id": outcome_id,
        "ruleset_id": ruleset_id,
        "category": category,
        "delta": 10,
        "running_total": balance + 10,
        "reason": "credited",
        "data": {"running_by_category": {category: format_tenths(balance + 10)}, "rule": "x"},
    }
    second = _row(credit)
    heads[learner_id] = (seq + 2, second[5], balance + 10)
    return [first, second]


def _row(entry: dict[str, Any]) -> tuple[Any, ...]:
    """The hashed document of ``entry`` (as ``creditbank.journal.entry_document`` builds it)
    and its row."""
    document = {k: v for k, v in entry.items() if k not in ("data", "delta", "running_total")}
    document["recorded_at"] = format_instant(entry["recorded_at"])
    for name in ("delta", "running_total"):
        if entry.get(name) is not None:
            document[name] = format_tenths(entry[name])
    document.update(entry["data"])
    digest = entry_hash(document)
    data = canonical_bytes(entry["data"]).decode("utf-8")
    values = {**entry, "hash": digest, "data": data}
    return tuple(values.get(name) for name in _COLUMNS)


def _sqlite_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """SQLite keeps instants as naive UTC text, as ``creditbank.db.UTCDateTime`` writes them."""
    recorded_at = row[3].astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return (*row[:3], recorded_at, *row[4:])


def figures(backend: str, measured: dict[str, Any]) -> list[Figure]:
    return [
        Figure(
            f"{backend}: batch ingestion ({BATCH}/request) vs executemany",
            measured["service_outcomes_per_s"],
            unit="outcomes/s",
            baseline=measured["baseline_outcomes_per_s"],
            min_value=MIN_OUTCOMES_PER_S,
            min_ratio=MIN_RATIO_ON_POSTGRES if backend == "postgresql" else None,
        )
    ]
