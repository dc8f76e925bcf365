"""Audit speed: journal entries verified per second next to reading and re-hashing the same rows.

The issue: audit a generated bank of 1,000,000 entries on PostgreSQL (200,000 on SQLite) and
report entries verified per second beside the baseline of simply reading the same rows with a
server-side cursor and re-hashing them (canonical JSON + SHA-256), in the same run, and the
peak memory. Targets: at least 0.6 of the baseline's rate (an audit that uses both cores may
pass 1.0) and at most 300 MB.

Each measurement runs in a fresh process. Its memory is sampled every 20 ms as the PSS of the
process plus its worker processes (``psutil`` finds them; shared pages are split among them,
not counted once per worker), and its own exact peak RSS is the kernel's VmHWM
(``getrusage``'s ``ru_maxrss`` would carry over the high-water mark of the process that
spawned it). CPU seconds are reported too, since on a shared machine the wall-clock rate
also measures the neighbours. The baseline runs before and after the audits; the faster of
the two is kept, which is the stricter comparison. ``--entries N`` (or
``CREDITBANK_BENCH_AUDIT_ENTRIES``) makes the bank smaller for a quick run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing import get_context
from pathlib import Path
from queue import Empty
from typing import Any

import sqlalchemy as sa

from bench import Figure, Options, Result
from bench._bank import build_bank
from bench._harness import Api, migrated_app, on_each_backend, settings_for

RULESET = Path(__file__).resolve().parent.parent / "config" / "rulesets" / "yunyang-2026.json"
ENTRIES = {"sqlite": 200_000, "postgresql": 1_000_000}
MIN_RATE_RATIO = 0.6
MAX_MEMORY_MB = 300.0


def run(options: Options, entries: int | None = None) -> Result:
    override = entries or int(os.environ.get("CREDITBANK_BENCH_AUDIT_ENTRIES", "0") or 0)
    result = Result(details={"cores": os.cpu_count(), "ruleset": RULESET.name})
    return on_each_backend(
        options,
        result,
        lambda backend, url, folder: measure(backend, url, override or ENTRIES[backend], folder),
        figures,
    )


def measure(backend: str, url: str, entries: int, folder: Path) -> dict[str, Any]:
    print(f"   {backend}: generating a bank of {entries:,} journal entries …", flush=True)
    started = time.perf_counter()
    with migrated_app(url, folder) as app:
        api = Api(app)
        api.publish_ruleset(RULESET)
        bank = build_bank(api, entries, api.new_provider("BENCH"))
        database_url = app.extensions["creditbank.settings"].database_url
    bank["generation_seconds"] = round(time.perf_counter() - started, 1)
    settings = settings_for(url, folder)
    print(f"   {backend}: {bank['entries']:,} entries of {bank['learners']:,} learners", flush=True)
    baseline = [in_child(read_and_hash, database_url)]
    audits = {workers: in_child(audit, settings, workers) for workers in (os.cpu_count() or 1, 1)}
    baseline.append(in_child(read_and_hash, database_url))
    best = max(baseline, key=lambda b: b["rate"])
    print(f"   {backend}: baseline {best['rate']:,.0f} rows/s", flush=True)
    load = [round(value, 1) for value in os.getloadavg()]  # the neighbours, 1/5/15 min
    return {"bank": bank, "baseline": best, "baselines": baseline, "audits": audits, "load": load}


def read_and_hash(database_url: str) -> dict[str, Any]:
    """The baseline: every row through a server-side cursor, its canonical JSON re-hashed."""
    from config.settings import Settings
    from creditbank.db import configure_sqlite
    from creditbank.domain.canonical import entry_hash
    from creditbank.journal import entry_document
    from creditbank.models import JournalEntry
    from creditbank.services.audit_scan import STREAM_BATCH, read_snapshot

    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine, Settings.sqlite_busy_timeout_ms)
    table = JournalEntry.__table__
    query = sa.select(table).order_by(table.c.learner_id, table.c.seq)
    started, cpu = time.perf_counter(), time.process_time()
    rows = mismatches = 0
    with read_snapshot(engine) as connection:
        for row in connection.execute(query.execution_options(yield_per=STREAM_BATCH)):
            rows += 1
            mismatches += entry_hash(entry_document(row)) != row.hash  # type: ignore[arg-type]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert mismatches == 0, f"{mismatches} rows do not hash to their hash"
    return {"rows": rows, "seconds": round(seconds, 2), "rate": rows / seconds, "cpu_s": cpu}


def audit(settings: Any, workers: int) -> dict[str, Any]:
    """``run_audit`` of the whole bank with ``workers`` processes, timed alone."""
    from creditbank.app import create_app
    from creditbank.services.audits import run_audit

    app = create_app(settings)
    with app.app_context():
        started, cpu = time.perf_counter(), _cpu_seconds()
        result = run_audit(workers=workers)
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        status, entries, audit_id = result.status, result.entries_checked, result.id
    assert status == "passed", f"the generated bank fails its audit: {audit_id}"
    return {
        "workers": workers,
        "entries": entries,
        "seconds": round(seconds, 2),
        "rate": entries / seconds,
        "cpu_s": cpu,  # this process and its (finished) workers, start-up included
    }


def _cpu_seconds() -> float:
    own, workers = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def in_child(function: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """``function(*args)`` in a fresh process, with its peak RSS (and its children's)."""
    context = get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(queue, function, args))
    process.start()
    while True:
        try:
            measured = queue.get(timeout=1)
        except Empty:
            if not process.is_alive():
                raise RuntimeError(f"{function.__name__} failed: exit {process.exitcode}") from None
            continue
        process.join()
        return measured


def _child(queue: Any, function: Callable[..., dict[str, Any]], args: Sequence[Any]) -> None:
    sampler = RssSampler()
    sampler.start()
    measured = function(*args)
    sampler.stop()
    measured.update(
        peak_rss_mb=round(_own_peak_mb(), 1), total_peak_pss_mb=round(sampler.peak_mb, 1)
    )
    queue.put(measured)


def _own_peak_mb() -> float:
    """VmHWM: this process's peak RSS since it started (exec resets it, unlike ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler(threading.Thread):
    """The largest sum of PSS of this process and all its descendants, sampled."""

    def __init__(self, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_mb = 0.0
        self._done = threading.Event()

    def run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._done.wait(self.interval):
            total = 0
            for process in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error, OSError):  # it may just have ended
                    total += _proportional(process)
            self.peak_mb = max(self.peak_mb, total / 2**20)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _proportional(process: Any) -> int:
    """PSS: resident memory with each shared page split among the processes that map it, so
    that the interpreter and libraries the workers share are not counted once per worker."""
    text = Path(f"/proc/{process.pid}/smaps_rollup").read_text()
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return int(process.memory_info().rss)


def figures(backend: str, measured: dict[str, Any]) -> list[Figure]:
    baseline = measured["baseline"]
    entries = measured["bank"]["entries"]
    cpu_per_entry = 1e6 * baseline["cpu_s"] / baseline["rows"]
    found = []
    # The audit as the service runs it (every core, for a bank this size) is held to the
    # target; the one-process run is there for comparison.
    service = max(measured["audits"])
    for workers, run_ in measured["audits"].items():
        label = f"{backend}: audit of {entries:,} entries, {workers} process{'es' * (workers > 1)}"
        found += [
            Figure(f"{label}, entries/s", run_["rate"], "entries/s", baseline["rate"]),
            Figure(
                f"{label}, µs/entry (≥ {MIN_RATE_RATIO:g}× baseline rate)",
                1e6 / run_["rate"],
                "µs",
                1e6 / baseline["rate"],
                max_ratio=round(1 / MIN_RATE_RATIO, 3) if workers == service else None,
            ),
            Figure(f"{label}, CPU µs/entry", 1e6 * run_["cpu_s"] / entries, "µs", cpu_per_entry),
            Figure(
                f"{label}, peak memory", run_["total_peak_pss_mb"], "MB", max_value=MAX_MEMORY_MB
            ),
        ]
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.audit [--entries N] [--database-url URL]``."""
    from bench.__main__ import table

    parser = argparse.ArgumentParser(prog="python -m bench.audit", description=__doc__)
    parser.add_argument("--entries", type=int, default=None, help="bank size on each database")
    parser.add_argument("--database-url", default=os.environ.get("CREDITBANK_BENCH_DATABASE_URL"))
    args = parser.parse_args(argv)
    options = Options(database_url=args.database_url)
    result = run(options, args.entries)
    print(table(result.figures))
    options.results.mkdir(parents=True, exist_ok=True)
    document = {"figures": [f.as_json() for f in result.figures], "details": result.details}
    (options.results / "audit.json").write_text(json.dumps(document, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
