"""Single posts from 16 concurrent clients, next to the same clients reading one row by its
primary key.

A real gunicorn (``config/gunicorn.conf.py``) serves a migrated database with the default
ruleset, one provider and a pool of learners. The load generator (:mod:`bench._load`, a
process of its own) keeps 16 keep-alive connections busy for a bounded time, against:

- the baseline: :mod:`bench._minimal_app` under the same gunicorn settings, one primary-key
  ``SELECT`` of a learner's account per request (``GET /balance/<learner_id>``): what any
  endpoint that touches the database costs on this server, this machine, in this run;
- ``/healthz`` of the service (no database, no auth: the HTTP ceiling), shown beside it;
- ``POST /api/v1/outcomes``, one training-hours outcome per request, each for the next
  learner of the pool and with a new ``external_ref`` (so that no post is a replay).

Targets (issue 16): at least 600 posts/s, p99 ≤ 60 ms, and at least 0.35 of the
primary-key SELECT's req/s. The details give what a post costs: worker CPU (user + system
time of the gunicorn workers over the run, per answered post) and SQL statements (counted
in-process with the Flask test client, over two posts to each of a few learners: the first
starts a chain, the second extends it).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench import Figure, Options, Result
from bench._harness import Api, add_learners, gunicorn, migrated_app, on_each_backend
from bench._load import run_load
from creditbank.conversion.calendar import shanghai_date
from creditbank.extensions import db
from tests.support.gunicorn import Gunicorn

RULESET = Path(__file__).resolve().parent.parent / "config" / "rulesets" / "yunyang-2026.json"
CLIENTS = 16
LEARNERS = 2000
SECONDS = 10
WARMUP_SECONDS = 2
MIN_RPS = 600.0
MAX_P99_MS = 60.0
MIN_RATIO = 0.35  # of the primary-key SELECT's req/s
COUNTED_LEARNERS = 20  # posts whose SQL statements are counted: two for each


def run(options: Options) -> Result:
    details = {"clients": CLIENTS, "learners": LEARNERS, "seconds": SECONDS}
    result = Result(details={**details, "warmup_seconds": WARMUP_SECONDS})
    return on_each_backend(
        options,
        result,
        measure,
        lambda backend, measured: figures(backend, measured),
    )


def measure(backend: str, url: str, folder: Path) -> dict[str, Any]:
    with migrated_app(url, folder) as app:
        api = Api(app)
        api.publish_ruleset(RULESET)
        provider = api.new_provider("BENCH")
        statements = statements_per_post(api, provider, add_learners(COUNTED_LEARNERS))
        learners = add_learners(LEARNERS)
    timing = {"seconds": SECONDS, "warmup_seconds": WARMUP_SECONDS, "connections": CLIENTS}
    with gunicorn(url, folder, app="bench._minimal_app:app") as server:
        paths = [f"/balance/{learner_id}" for learner_id in learners]
        select = run_load({**_at(server), **timing, "method": "GET", "paths": paths})
        print(f"   {backend}: primary-key SELECT {select['rps']:.0f} req/s", flush=True)
    with gunicorn(url, folder) as server:
        print(f"   {backend}: {server.workers} workers × {server.threads} threads", flush=True)
        healthz = run_load({**_at(server), **timing, "method": "GET", "paths": ["/healthz"]})
        print(f"   {backend}: /healthz {healthz['rps']:.0f} req/s", flush=True)
        cpu_before = worker_cpu_seconds(server)
        posts = run_load(
            {
                **_at(server),
                **timing,
                "method": "POST",
                "paths": ["/api/v1/outcomes"],
                "headers": provider,
                "bodies": [body(learner_id) for learner_id in learners],
                "expect": [201],
            }
        )
        cpu = worker_cpu_seconds(server) - cpu_before
        print(f"   {backend}: posts {posts['rps']:.0f} req/s", flush=True)
    return {
        "gunicorn": {"workers": server.workers, "threads": server.threads},
        "primary_key_select": select,
        "healthz": healthz,
        "posts": posts,
        "worker_cpu_ms_per_post": round(1000 * cpu / posts["answered"], 2),
        "sql_statements_per_post": statements,
    }


def _at(server: Gunicorn) -> dict[str, Any]:
    return {"host": server.host, "port": server.port}


def statements_per_post(api: Api, provider: dict[str, str], learners: list[str]) -> float:
    """SQL statements the database is sent per post (transaction begin and end included),
    over two posts to each of ``learners`` through the Flask test client."""
    count = 0

    def one(*_: Any) -> None:
        nonlocal count
        count += 1

    engine = db.engine
    events = ("before_cursor_execute", "begin", "commit", "rollback")
    for name in events:
        event.listen(engine, name, one)
    try:
        posts = 0
        for round_ in range(2):
            for learner_id in learners:
                text = body(learner_id).replace("@N@", f"count-{round_}-{learner_id}")
                api.expect(
                    201,
                    api.client.post("/api/v1/outcomes", headers=provider, json=json.loads(text)),
                )
                posts += 1
    finally:
        for name in events:
            event.remove(engine, name, one)
    return round(count / posts, 2)


def worker_cpu_seconds(server: Gunicorn) -> float:
    """User and system CPU time the server's workers have used so far."""
    total = 0
    for pid in server.worker_pids():
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def body(learner_id: str) -> str:
    """One post's body; the load generator makes ``@N@`` the request's number."""
    achieved_on = shanghai_date(datetime.now(UTC)) - timedelta(days=30)
    return json.dumps(
        {
            "learner_id": learner_id,
            "external_ref": "single-@N@",
            "kind": "training_hours",
            "category": "practice",
            "hours": "6",
            "achieved_on": achieved_on.isoformat(),
        }
    )


def figures(backend: str, measured: dict[str, Any]) -> list[Figure]:
    posts, select, healthz = measured["posts"], measured["primary_key_select"], measured["healthz"]
    label = f"{backend}: single posts, {CLIENTS} clients"
    latency, ceiling = posts["latency_ms"], select["latency_ms"]
    return [
        Figure(
            f"{label}, throughput (vs a primary-key SELECT)",
            posts["rps"],
            unit="req/s",
            baseline=select["rps"],
            min_ratio=MIN_RATIO,
            min_value=MIN_RPS,
        ),
        Figure(f"{label}, throughput (vs /healthz)", posts["rps"], "req/s", healthz["rps"]),
        Figure(f"{label}, p50 (vs a primary-key SELECT)", latency["p50"], baseline=ceiling["p50"]),
        Figure(
            f"{label}, p99 (vs a primary-key SELECT)",
            latency["p99"],
            baseline=ceiling["p99"],
            max_value=MAX_P99_MS,
        ),
    ]
