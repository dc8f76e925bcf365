"""Balance reads and ledger pages: does reading cost the same for a learner with a long history?

Two learners are given journals directly (:func:`bench._harness.grow_journal`, large
transactions through ``creditbank.journal.append``): one with 10 entries, one with 100,000.
A real gunicorn serves the service; 16 clients of the load generator (:mod:`bench._load`)
read, each for a bounded time:

- ``GET …/balance`` of each learner, next to the baseline: a minimal Flask endpoint
  (:mod:`bench._minimal_app`) doing one primary-key ``SELECT`` under the same gunicorn settings.
  Targets: at least 0.6 of the baseline's req/s; p50 at 100,000 entries ≤ 1.3 × p50 at 10.
- ``GET …/ledger`` of the long history, page 1 and page 1,000 (100 entries a page, so the last
  page: entries 99,901–100,000, reached with its keyset cursor). Target: p50 ratio ≤ 1.3.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench import Figure, Options, Result
from bench._harness import (
    Api,
    add_learners,
    grow_journal,
    gunicorn,
    migrated_app,
    on_each_backend,
    settle,
)
from bench._load import run_load
from creditbank.services.pagination import encode_cursor
from tests.support.gunicorn import Gunicorn

CLIENTS = 16
SMALL, LARGE = 10, 100_000
PAGE = 100
FAR_PAGE = 1000
SECONDS = 6
WARMUP_SECONDS = 2
MIN_RATIO = 0.6
MAX_P50_RATIO = 1.3


def run(options: Options) -> Result:
    result = Result(
        details={
            "clients": CLIENTS,
            "entries": [SMALL, LARGE],
            "page_size": PAGE,
            "seconds": SECONDS,
        }
    )
    return on_each_backend(options, result, measure, figures)


def measure(backend: str, url: str, folder: Path) -> dict[str, Any]:
    with migrated_app(url, folder) as app:
        staff = Api(app).workstation
        small, large = add_learners(2)
        started = time.perf_counter()
        grow_journal(small, SMALL)
        grow_journal(large, LARGE)
        built = time.perf_counter() - started
        print(f"   {backend}: {LARGE:,} journal entries in {built:.1f} s", flush=True)
        settle()
    measured: dict[str, Any] = {"journal_build_seconds": round(built, 1)}
    with gunicorn(url, folder, app="bench._minimal_app:app") as server:
        measured["primary_key_select"] = _load(server, [f"/balance/{large}"], {})
    with gunicorn(url, folder) as server:
        measured["gunicorn"] = {"workers": server.workers, "threads": server.threads}
        api = "/api/v1/learners"
        far = encode_cursor((FAR_PAGE - 1) * PAGE)
        paths = {
            "balance_small": f"{api}/{small}/balance",
            "balance_large": f"{api}/{large}/balance",
            "ledger_first_page": f"{api}/{large}/ledger?limit={PAGE}",
            "ledger_far_page": f"{api}/{large}/ledger?limit={PAGE}&cursor={far}",
        }
        for name, path in paths.items():
            measured[name] = _load(server, [path], staff)
    for name, load in measured.items():
        if isinstance(load, dict) and "rps" in load:
            print(f"   {backend}: {name} {load['rps']:.0f} req/s", flush=True)
    return measured


def _load(server: Gunicorn, paths: list[str], headers: dict[str, str]) -> dict[str, Any]:
    return run_load(
        {
            "host": server.host,
            "port": server.port,
            "connections": CLIENTS,
            "seconds": SECONDS,
            "warmup_seconds": WARMUP_SECONDS,
            "method": "GET",
            "paths": paths,
            "headers": headers,
        }
    )


def figures(backend: str, measured: dict[str, Any]) -> list[Figure]:
    pk = measured["primary_key_select"]
    small, large = measured["balance_small"], measured["balance_large"]
    first, far = measured["ledger_first_page"], measured["ledger_far_page"]
    label = f"{backend}: balance"
    vs_pk = "vs one-PK-SELECT endpoint"
    return [
        Figure(
            f"{label}, {SMALL} entries, {vs_pk}",
            small["rps"],
            "req/s",
            pk["rps"],
            min_ratio=MIN_RATIO,
        ),
        Figure(
            f"{label}, {LARGE:,} entries, {vs_pk}",
            large["rps"],
            "req/s",
            pk["rps"],
            min_ratio=MIN_RATIO,
        ),
        Figure(
            f"{label} p50, {LARGE:,} vs {SMALL} entries",
            large["latency_ms"]["p50"],
            baseline=small["latency_ms"]["p50"],
            max_ratio=MAX_P50_RATIO,
        ),
        Figure(
            f"{label} p99, {SMALL} entries, {vs_pk}",
            small["latency_ms"]["p99"],
            baseline=pk["latency_ms"]["p99"],
        ),
        Figure(
            f"{label} p99, {LARGE:,} entries, {vs_pk}",
            large["latency_ms"]["p99"],
            baseline=pk["latency_ms"]["p99"],
        ),
        Figure(
            f"{backend}: ledger p50, page {FAR_PAGE:,} vs page 1",
            far["latency_ms"]["p50"],
            baseline=first["latency_ms"]["p50"],
            max_ratio=MAX_P50_RATIO,
        ),
        Figure(
            f"{backend}: ledger, page {FAR_PAGE:,} vs page 1", far["rps"], "req/s", first["rps"]
        ),
    ]
