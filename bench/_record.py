"""A learner with a record worth printing and signing: the default ruleset, one provider, and
outcomes of every kind posted through the API (so every credit is the conversion engine's),
shared by the transcript and credential benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._harness import Api, summary
from bench.posting_history import outcome

RULESET = Path(__file__).resolve().parent.parent / "config" / "rulesets" / "yunyang-2026.json"
BATCH = 100


def learner_with_record(api: Api, outcomes: int) -> str:
    """A new learner with ``outcomes`` outcomes of the benchmarks' mix, posted in batches."""
    api.publish_ruleset(RULESET)
    provider = api.new_provider("BENCH")
    learner = api.new_learner()
    for start in range(0, outcomes, BATCH):
        items = [outcome(i, learner) for i in range(start, min(outcomes, start + BATCH))]
        api.expect(201, api.post("/api/v1/outcomes", provider, {"items": items}))
    return learner


def timed(action: Callable[[], Any], times: int, warmup: int = 3) -> dict[str, float]:
    """``action()`` ``times`` times after ``warmup`` untimed ones: latency summary in ms, and
    the mean CPU time of this process per call (``cpu_ms``), which a busy machine hardly moves
    (a database server's CPU is not in it)."""
    for _ in range(warmup):
        action()
    samples = []
    cpu = time.process_time()
    for _ in range(times):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return {**summary(samples), "cpu_ms": (time.process_time() - cpu) * 1000 / times}
