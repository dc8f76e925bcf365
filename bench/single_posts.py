"""Single posts from 16 concurrent clients, next to the same clients against ``/healthz``.

A real gunicorn (``config/gunicorn.conf.py``) serves a migrated database with the default
ruleset, one provider and a pool of learners. The load generator (:mod:`bench._load`, a
process of its own) keeps 16 keep-alive connections busy for a bounded time: first against
``/healthz`` — no database, no auth: the HTTP ceiling of this server on this machine — then
with ``POST /api/v1/outcomes``, one training-hours outcome per request, each for the next
learner of the pool and with a new ``external_ref`` (so that no post is a replay).

Target (the performance issue): at least 500 posts/s with p99 ≤ 100 ms.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import Figure, Options, Result
from bench._harness import Api, add_learners, gunicorn, migrated_app, on_each_backend
from bench._load import run_load
from creditbank.conversion.calendar import shanghai_date

RULESET = Path(__file__).resolve().parent.parent / "config" / "rulesets" / "yunyang-2026.json"
CLIENTS = 16
LEARNERS = 2000
SECONDS = 10
WARMUP_SECONDS = 2
MIN_RPS = 500.0
MAX_P99_MS = 100.0


def run(options: Options) -> Result:
    details = {"clients": CLIENTS, "learners": LEARNERS, "seconds": SECONDS}
    result = Result(details={**details, "warmup_seconds": WARMUP_SECONDS})
    return on_each_backend(
        options,
        result,
        measure,
        lambda backend, measured: figures(backend, measured["posts"], measured["healthz"]),
    )


def measure(backend: str, url: str, folder: Path) -> dict[str, Any]:
    with migrated_app(url, folder) as app:
        api = Api(app)
        api.publish_ruleset(RULESET)
        provider = api.new_provider("BENCH")
        learners = add_learners(LEARNERS)
    with gunicorn(url, folder) as server:
        print(f"   {backend}: {server.workers} workers × {server.threads} threads", flush=True)
        common = {"host": server.host, "port": server.port, "connections": CLIENTS}
        timing = {"seconds": SECONDS, "warmup_seconds": WARMUP_SECONDS}
        healthz = run_load({**common, **timing, "method": "GET", "paths": ["/healthz"]})
        print(f"   {backend}: /healthz {healthz['rps']:.0f} req/s", flush=True)
        posts = run_load(
            {
                **common,
                **timing,
                "method": "POST",
                "paths": ["/api/v1/outcomes"],
                "headers": provider,
                "bodies": [body(learner_id) for learner_id in learners],
                "expect": [201],
            }
        )
        print(f"   {backend}: posts {posts['rps']:.0f} req/s", flush=True)
    return {
        "gunicorn": {"workers": server.workers, "threads": server.threads},
        "healthz": healthz,
        "posts": posts,
    }


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


def figures(backend: str, posts: dict[str, Any], healthz: dict[str, Any]) -> list[Figure]:
    label = f"{backend}: single posts, {CLIENTS} clients (vs /healthz)"
    latency, ceiling = posts["latency_ms"], healthz["latency_ms"]
    return [
        Figure(
            f"{label}, throughput",
            posts["rps"],
            unit="req/s",
            baseline=healthz["rps"],
            min_value=MIN_RPS,
        ),
        Figure(f"{label}, p50", latency["p50"], baseline=ceiling["p50"]),
        Figure(f"{label}, p99", latency["p99"], baseline=ceiling["p99"], max_value=MAX_P99_MS),
    ]
