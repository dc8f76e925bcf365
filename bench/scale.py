"""The scale curve (``make bench-scale``, not part of ``make bench``): what a read costs, what an
audit costs and what the journal weighs, at county-to-province sizes.

For each size (``--entries``, default 1,000,000 and 10,000,000; ``SCALE_ENTRIES`` in the
Makefile) a throw-away PostgreSQL database is migrated and given a journal of that many
entries, about a hundred a learner (100,000 learners at 10 M), by ``COPY``
(:mod:`bench._scale_bank`); it is dropped afterwards. Then, through the Flask app (the whole
HTTP stack but the socket; one client, so what is measured is the request, not the queue):

- ``GET /learners/{id}/balance`` of random learners;
- the workstation's learner search: by name (``GET /learners?name=``), by account number
  (``GET /learners?account_number=``) and by national ID (``POST /learners/search``);
- the review queue (``GET /reviews?status=pending``): its first page and the pages after it,
  followed by their cursors;
- the conversion export (``GET /exports/conversions.csv``): the first EXPORT_ROWS rows, as a
  clerk's download starts;

each as p50 and p99 over SAMPLES requests, held to ≤ 1.3 × the smallest size's p50. Then a
full audit with every core, in a fresh process: seconds, entries/s and the peak memory of the
process and its workers (PSS, ≤ 300 MB), held to a constant cost per entry (µs/entry ≤ 1.3 ×
the smallest size's); and ``pg_total_relation_size`` per entry, of every table and of the
journal alone (pgledger stores 840 B per transfer).

The table is printed; ``bench/results/scale.json`` and ``bench/results/scale.png`` are written.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from queue import Empty
from typing import Any

import sqlalchemy as sa

from bench import RESULTS, Figure
from bench._harness import Api, migrated_app, settings_for
from bench._scale_bank import Plan, account_number, build_journal, learner_name, national_id
from bench.audit import RULESET, _proportional
from creditbank.extensions import db
from tests.support.databases import scratch_postgres

SIZES = (1_000_000, 10_000_000)
SAMPLES = 300
QUEUE_PAGES = 100
EXPORT_ROWS = 2_000
EXPORT_SAMPLES = 20
MAX_RATIO = 1.3
MAX_AUDIT_MB = 300.0
PGLEDGER_BYTES = 840.0
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
READS = (
    "balance",
    "search by name",
    "search by account number",
    "search by national ID",
    "review queue, first page",
    "review queue, next pages",
    f"conversion export, first {EXPORT_ROWS:,} rows",
)


def measure_size(
    server_url: str, entries: int, record: Callable[[dict[str, Any]], None], deadline: float | None
) -> None:
    """Everything measured at one size, on a database of its own, handed to ``record`` as it
    is measured; the audit stops at ``deadline`` (a ``time.time()``) if it runs that long."""
    prefix = os.environ.get("CREDITBANK_BENCH_DATABASE_PREFIX", "creditbank_scale")
    with (
        scratch_postgres(server_url, prefix) as url,
        tempfile.TemporaryDirectory(prefix="creditbank-scale-") as folder,
    ):
        with migrated_app(url, Path(folder)) as app:
            api = Api(app)
            api.publish_ruleset(RULESET)
            started = time.perf_counter()
            made = build_journal(api, entries, api.new_provider("SCALE"))
            generation = time.perf_counter() - started
            plan = made.pop("plan")
            _say(f"{made['entries']:,} entries, {made['learners']:,} learners: {generation:.0f} s")
            made["generation_seconds"] = round(generation, 1)
            record(made)
            record({"reads": measure_reads(api, plan), "sizes": relation_sizes()})
        record({"load_before_audit": _load()})
        _say("auditing …")
        record({"audit": timed_audit(settings_for(url, Path(folder)), deadline), "load": _load()})


def _load() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def timed_audit(settings: Any, deadline: float | None) -> dict[str, Any]:
    """A full audit with every core in a fresh process (:func:`creditbank.services.audits.
    run_audit`), its peak memory sampled as the PSS of the process and its workers; stopped at
    ``deadline``, when what it had checked by then is reported (``complete``: false)."""
    context = get_context("spawn")
    checked, began = context.Value("q", 0), context.Value("d", 0.0)
    answers = context.Queue()
    child = context.Process(target=_audit, args=(settings, checked, began, answers))
    child.start()
    peak, answer = 0.0, None
    while answer is None:
        try:
            answer = answers.get(timeout=0.2)
        except Empty:
            if not child.is_alive():
                raise RuntimeError(f"the audit failed: exit {child.exitcode}") from None
            peak = max(peak, _tree_pss_mb(child.pid))
            if deadline is not None and time.time() > deadline and began.value:
                seconds = time.time() - began.value
                _stop(child.pid)
                answer = {"complete": False, "entries": checked.value, "seconds": seconds}
    child.join()
    answer["rate"] = answer["entries"] / answer["seconds"]
    answer["seconds"] = round(answer["seconds"], 1)
    answer["total_peak_pss_mb"] = round(peak, 1)
    return answer


def _audit(settings: Any, checked: Any, began: Any, answers: Any) -> None:
    from creditbank.app import create_app
    from creditbank.services.audits import run_audit

    def progress(entries: int) -> None:
        with checked.get_lock():
            checked.value += entries

    app = create_app(settings)
    with app.app_context():
        began.value = time.time()
        result = run_audit(workers=os.cpu_count() or 1, progress=progress)
        seconds = time.time() - began.value
        if result.status != "passed":
            raise AssertionError(f"the generated journal fails its audit: {result.id}")
        answers.put({"complete": True, "entries": result.entries_checked, "seconds": seconds})


def _tree_pss_mb(pid: int) -> float:
    import psutil

    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for process in tree:
        with contextlib.suppress(psutil.Error, OSError):  # it may just have ended
            total += _proportional(process)
    return total / 2**20


def _stop(pid: int) -> None:
    import psutil

    root = psutil.Process(pid)
    for process in [*root.children(recursive=True), root]:
        with contextlib.suppress(psutil.Error):
            process.kill()


def measure_reads(api: Api, plan: Plan) -> dict[str, dict[str, float]]:
    """p50/p99 of each read, over SAMPLES random learners (the same learners in every read)."""
    rng = random.Random(plan.learners)
    chosen = [rng.randrange(plan.learners) for _ in range(SAMPLES)]
    staff = api.workstation
    client = api.client

    def get(path: str) -> Callable[[int], Any]:
        return lambda n: client.get(path.format(**_learner(plan, n)), headers=staff)

    requests: dict[str, Callable[[int], Any]] = {
        "balance": get("/api/v1/learners/{learner_id}/balance"),
        "search by name": get("/api/v1/learners?name={name}"),
        "search by account number": get("/api/v1/learners?account_number={account}"),
        "search by national ID": lambda n: client.post(
            "/api/v1/learners/search",
            headers=staff,
            json={"national_id": _learner(plan, n)["national_id"]},
        ),
    }
    found = {
        name: _timed(request, chosen, _found_one if "search" in name else None)
        for name, request in requests.items()
    }
    found.update(review_queue(api))
    found[READS[-1]] = export_start(api)
    return found


def _learner(plan: Plan, n: int) -> dict[str, str]:
    return {
        "learner_id": plan.learner(n),
        "name": learner_name(n),
        "account": account_number(plan.account_start, n),
        "national_id": national_id(n),
    }


def _found_one(response: Any) -> None:
    if not response.get_json()["items"]:
        raise AssertionError(f"a search found nobody: {response.request.url}")


def _timed(
    request: Callable[[int], Any], chosen: Sequence[int], check: Callable[[Any], None] | None
) -> dict[str, float]:
    for n in chosen[:20]:  # warm: the first requests pay for plans and caches
        request(n)
    samples = []
    for n in chosen:
        started = time.perf_counter()
        response = request(n)
        samples.append(1000 * (time.perf_counter() - started))
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
        if check:
            check(response)
    return latencies(samples)


def latencies(samples_ms: Sequence[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {"n": len(samples_ms), "p50": statistics.median(samples_ms), "p99": cuts[98]}


def review_queue(api: Api) -> dict[str, dict[str, float]]:
    """The queue's first page, SAMPLES times; then QUEUE_PAGES pages, each by its cursor."""
    first = "/api/v1/reviews?status=pending"
    timed = _timed(lambda _: api.client.get(first, headers=api.workstation), range(SAMPLES), None)
    samples, path = [], first
    for _ in range(QUEUE_PAGES):
        started = time.perf_counter()
        page = api.expect(200, api.client.get(path, headers=api.workstation))
        samples.append(1000 * (time.perf_counter() - started))
        if not page["next_cursor"]:  # a small bank's queue: start again
            path = first
            continue
        path = f"{first}&cursor={page['next_cursor']}"
    return {READS[4]: timed, READS[5]: latencies(samples)}


def export_start(api: Api) -> dict[str, float]:
    """The first EXPORT_ROWS rows of the conversion record, streamed as a download is."""
    samples = []
    for attempt in range(EXPORT_SAMPLES + 2):
        started = time.perf_counter()
        response = api.client.get(
            "/api/v1/exports/conversions.csv", headers=api.workstation, buffered=False
        )
        lines = 0
        for chunk in response.response:
            lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
            if lines > EXPORT_ROWS:
                break
        elapsed = 1000 * (time.perf_counter() - started)
        response.close()
        if lines <= EXPORT_ROWS:
            raise RuntimeError(f"the export has only {lines} lines: make the bank bigger")
        if attempt >= 2:  # the first two warm up
            samples.append(elapsed)
    return latencies(samples)


def relation_sizes() -> dict[str, int]:
    """``pg_total_relation_size`` of every table of the bank (indexes and TOAST included)."""
    query = sa.text(
        "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' AND n.nspname = current_schema()"
    )
    with db.engine.connect() as connection:
        return {name: int(size) for name, size in connection.execute(query)}


def figures(runs: dict[int, dict[str, Any]]) -> list[Figure]:
    """Each size's figures, against the smallest size's."""
    smallest = runs[min(runs)]
    found = []
    for _, run in sorted(runs.items()):
        label = f"{run['entries'] / 1e6:g} M entries"
        for read in READS:
            measured, base = run["reads"][read], smallest["reads"][read]
            found += [
                Figure(f"{label}: {read}, p50", measured["p50"], "ms", base["p50"], MAX_RATIO),
                Figure(f"{label}: {read}, p99", measured["p99"], "ms", base["p99"]),
            ]
        audited, base = run["audit"], smallest["audit"]
        found += [
            Figure(
                f"{label}: audit, seconds"
                + ("" if audited["complete"] else f" (stopped after {audited['entries']:,})"),
                audited["seconds"],
                "s",
            ),
            Figure(f"{label}: audit, entries/s", audited["rate"], "entries/s", base["rate"]),
            Figure(
                f"{label}: audit, µs/entry (linear)",
                1e6 / audited["rate"],
                "µs",
                1e6 / base["rate"],
                MAX_RATIO,
            ),
            Figure(
                f"{label}: audit, peak memory (PSS, all processes)",
                audited["total_peak_pss_mb"],
                "MB",
                max_value=MAX_AUDIT_MB,
            ),
            Figure(
                f"{label}: bytes/entry, all tables",
                sum(run["sizes"].values()) / run["entries"],
                "B",
                PGLEDGER_BYTES,
                max_ratio=1.0,
            ),
            Figure(
                f"{label}: bytes/entry, journal_entries",
                run["sizes"]["journal_entries"] / run["entries"],
                "B",
                PGLEDGER_BYTES,
                max_ratio=1.0,
            ),
        ]
    return found


def plot(runs: dict[int, dict[str, Any]], path: Path) -> None:
    """Latencies, the audit and bytes per entry against the journal's size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ordered = [runs[size] for size in sorted(runs)]
    x = [run["entries"] / 1e6 for run in ordered]
    fig, (reads, audited, weight) = plt.subplots(1, 3, figsize=(16, 5.2))
    for read in READS:
        reads.plot(x, [run["reads"][read]["p50"] for run in ordered], marker="o", label=read)
    reads.set(xscale="log", yscale="log", xlabel="journal entries (millions)", ylabel="p50, ms")
    reads.set_title("Reads (p50, one client, Flask app)")
    reads.legend(fontsize=7)
    audited.plot(x, [run["audit"]["seconds"] for run in ordered], marker="o", label="seconds")
    audited.set(xscale="log", yscale="log", xlabel="journal entries (millions)", ylabel="seconds")
    twin = audited.twinx()
    twin.plot(
        x, [run["audit"]["total_peak_pss_mb"] for run in ordered], "r--", marker="s", label="MB"
    )
    twin.axhline(MAX_AUDIT_MB, color="r", linewidth=0.5)
    twin.set(ylabel="peak memory, MB (PSS)", ylim=(0, MAX_AUDIT_MB * 1.2))
    audited.set_title("Full audit: seconds (blue), peak memory (red)")
    for label, sizes in (
        ("all tables", lambda run: sum(run["sizes"].values())),
        ("journal_entries", lambda run: run["sizes"]["journal_entries"]),
    ):
        weight.plot(x, [sizes(run) / run["entries"] for run in ordered], marker="o", label=label)
    weight.axhline(PGLEDGER_BYTES, color="grey", linestyle=":", label="pgledger, per transfer")
    weight.set(xscale="log", xlabel="journal entries (millions)", ylabel="bytes per entry")
    weight.set_ylim(bottom=0)
    weight.set_title("pg_total_relation_size per entry")
    weight.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def machine() -> dict[str, Any]:
    memory = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    return {"nproc": os.cpu_count(), "ram_gb": round(int(memory) / 2**20, 1)}


def _say(text: str) -> None:
    print(f"   scale: {text}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.scale [--entries N …] [--database-url URL]``."""
    from bench.__main__ import table

    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--entries", type=int, nargs="+", default=list(SIZES))
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CREDITBANK_BENCH_DATABASE_URL") or DEFAULT_SERVER,
        help="a PostgreSQL server (a database is created there for each size)",
    )
    parser.add_argument(
        "--audit-until",
        default=os.environ.get("SCALE_AUDIT_UNTIL") or None,
        help="HH:MM (UTC): stop an audit still running then, and report its rate so far",
    )
    args = parser.parse_args(argv)
    deadline = _instant(args.audit_until) if args.audit_until else None
    RESULTS.mkdir(parents=True, exist_ok=True)
    runs: dict[int, dict[str, Any]] = {}
    document: dict[str, Any] = {"machine": machine(), "runs": runs}

    def record(size: int, measured: dict[str, Any]) -> None:
        runs.setdefault(size, {}).update(measured)
        if all("audit" in run for run in runs.values()):
            document["figures"] = [f.as_json() for f in figures(runs)]
        (RESULTS / "scale.json").write_text(json.dumps(document, indent=2, default=str))

    for entries in sorted(args.entries):
        _say(f"{entries:,} entries …")
        record(entries, {"pg_version": _server_version(args.database_url)})
        measure_size(args.database_url, entries, partial(record, entries), deadline)
        print(table(figures(runs)), flush=True)
    plot(runs, RESULTS / "scale.png")
    return 0


def _instant(hh_mm: str) -> float:
    """Today's ``HH:MM`` UTC as a ``time.time()``."""
    now = datetime.now(UTC)
    hours, minutes = (int(part) for part in hh_mm.split(":"))
    return now.replace(hour=hours, minute=minutes, second=0, microsecond=0).timestamp()


def _server_version(url: str) -> str:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        version = str(connection.exec_driver_sql("SHOW server_version").scalar())
    engine.dispose()
    return version


if __name__ == "__main__":
    raise SystemExit(main())
