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
from multiprocessing import get_context
from pathlib import Path
from queue import Empty
from typing import Any

import sqlalchemy as sa

from bench import RESULTS, Figure
from bench._harness import Api, as_served, migrated_app, settings_for
from bench._scale_bank import Plan, account_number, build_journal, learner_name, national_id
from bench.audit import RULESET, _proportional
from creditbank.extensions import db
from tests.support.databases import scratch_postgres

SIZES = (1_000_000, 10_000_000)
SAMPLES = 300
QUEUE_PAGES = 100
QUEUE = "/api/v1/reviews?status=pending"
ROUNDS = 10
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


def measure_sizes(
    server_url: str,
    sizes: Sequence[int],
    record: Callable[[int, dict[str, Any]], None],
    deadline: float | None,
    audit: bool = True,
) -> None:
    """Every size's bank, each on a database of its own, all kept until the end; the reads
    measured in ROUNDS rounds that take turns between the banks (so that the neighbours' load
    on a shared machine falls on every size alike); then each bank's audit, which stops at
    ``deadline`` (a ``time.time()``) if it runs that long. Results go to ``record`` as they
    are measured."""
    prefix = os.environ.get("CREDITBANK_BENCH_DATABASE_PREFIX", "creditbank_scale")
    banks: dict[int, tuple[Reads, str, Path]] = {}
    with contextlib.ExitStack() as stack:
        for entries in sizes:
            _say(f"{entries:,} entries …")
            url = stack.enter_context(scratch_postgres(server_url, prefix))
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cb-scale-")))
            api = Api(stack.enter_context(migrated_app(url, folder)))
            api.publish_ruleset(RULESET)
            started = time.perf_counter()
            made = build_journal(api, entries, api.new_provider("SCALE"))
            made["generation_seconds"] = round(time.perf_counter() - started, 1)
            plan = made.pop("plan")
            _say(f"{made['entries']:,} entries, {made['learners']:,} learners")
            record(entries, {**made, "sizes": relation_sizes()})
            banks[entries] = (Reads(api, plan), url, folder)
        as_served(lambda: read_in_turns([reads for reads, _, _ in banks.values()]))
        for entries, (reads, _, _) in banks.items():
            record(entries, {"reads": reads.summary(), "load_after_reads": _load()})
        for entries, (_, url, folder) in banks.items() if audit else ():
            _say(f"auditing {entries:,} entries …")
            audited = timed_audit(settings_for(url, folder), deadline)
            record(entries, {"audit": audited, "load_after_audit": _load()})


def read_in_turns(banks: Sequence[Reads]) -> None:
    """Every bank's reads, warmed, then in ROUNDS rounds that take turns between the banks."""
    for reads in banks:
        reads.warm()
    for turn in range(ROUNDS):
        _say(f"reads, round {turn + 1} of {ROUNDS}")
        for reads in banks[:: -1 if turn % 2 else 1]:  # who goes first alternates
            reads.round()


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
    answer["rate"] = answer["entries"] / max(answer["seconds"], 1e-6)
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
    root.suspend()  # no new workers while its own are found
    for process in [*root.children(recursive=True), root]:
        with contextlib.suppress(psutil.Error):
            process.kill()


class Reads:
    """The reads of one bank, timed a share at a time (:meth:`round`): the learner reads over
    SAMPLES random learners (the same ones for every read), the queue's first page SAMPLES
    times and QUEUE_PAGES pages after it, each by its cursor; the export's start EXPORT_SAMPLES
    times."""

    def __init__(self, api: Api, plan: Plan) -> None:
        rng = random.Random(plan.learners)
        self.chosen = [rng.randrange(plan.learners) for _ in range(SAMPLES)]
        self.api, self.plan = api, plan
        self.queue_path = QUEUE
        self.samples: dict[str, list[float]] = {read: [] for read in READS}
        self.done: dict[str, int] = dict.fromkeys(READS, 0)
        self.totals = dict.fromkeys(READS, SAMPLES)
        self.totals[READS[5]] = QUEUE_PAGES
        self.totals[READS[6]] = EXPORT_SAMPLES
        self.once: dict[str, Callable[[int], None]] = {
            "balance": self._get("/api/v1/learners/{learner_id}/balance"),
            "search by name": self._get("/api/v1/learners?name={name}", found=True),
            "search by account number": self._get(
                "/api/v1/learners?account_number={account}", found=True
            ),
            "search by national ID": self._by_national_id,
            READS[4]: self._first_page,
            READS[5]: self._next_page,
            READS[6]: self._export,
        }

    def warm(self) -> None:
        """A few of each first: the first requests pay for plans and caches."""
        for read, once in self.once.items():
            for i in range(2 if read == READS[6] else 10):
                once(i)

    def round(self) -> None:
        """The next 1/ROUNDS of every read's samples."""
        for read, once in self.once.items():
            share = self.totals[read] // ROUNDS
            for i in range(self.done[read], self.done[read] + share):
                started = time.perf_counter()
                once(i)
                self.samples[read].append(1000 * (time.perf_counter() - started))
            self.done[read] += share

    def summary(self) -> dict[str, dict[str, float]]:
        return {read: latencies(samples) for read, samples in self.samples.items()}

    def _get(self, path: str, found: bool = False) -> Callable[[int], None]:
        def once(i: int) -> None:
            learner = _learner(self.plan, self.chosen[i % SAMPLES])
            answer = self._ok(self.api.client.get(path.format(**learner), headers=self.staff))
            if found and not answer["items"]:
                raise AssertionError(f"a search found nobody: {path} {learner}")

        return once

    @property
    def staff(self) -> dict[str, str]:
        return self.api.workstation

    def _by_national_id(self, i: int) -> None:
        number = national_id(self.chosen[i % SAMPLES])
        body = {"national_id": number}
        answer = self.api.client.post("/api/v1/learners/search", headers=self.staff, json=body)
        if not self._ok(answer)["items"]:
            raise AssertionError(f"no learner of national ID {number}")

    def _page(self, path: str) -> dict[str, Any]:
        return self._ok(self.api.client.get(path, headers=self.staff))

    def _first_page(self, _: int) -> None:
        self._page(QUEUE)

    def _next_page(self, _: int) -> None:
        cursor = self._page(self.queue_path)["next_cursor"]
        self.queue_path = f"{QUEUE}&cursor={cursor}" if cursor else QUEUE  # a small queue: again

    def _export(self, _: int) -> None:
        """The first EXPORT_ROWS rows of the conversion record, streamed as a download is."""
        response = self.api.client.get(
            "/api/v1/exports/conversions.csv", headers=self.staff, buffered=False
        )
        lines = 0
        for chunk in response.response:
            lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
            if lines > EXPORT_ROWS:
                break
        response.close()
        if lines <= EXPORT_ROWS:
            raise RuntimeError(f"the export has only {lines} lines: make the bank bigger")

    @staticmethod
    def _ok(response: Any) -> Any:
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
        return response.get_json()


def _learner(plan: Plan, n: int) -> dict[str, str]:
    return {
        "learner_id": plan.learner(n),
        "name": learner_name(n),
        "account": account_number(plan.account_start, n),
        "national_id": national_id(n),
    }


def latencies(samples_ms: Sequence[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {"n": len(samples_ms), "p50": statistics.median(samples_ms), "p99": cuts[98]}


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
        found += [
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
        audited, base = run["audit"], smallest["audit"]
        if audited["entries"] and base["entries"]:  # none if stopped before its first slice
            found += audit_figures(label, audited, base)
    return found


def audit_figures(label: str, audited: dict[str, Any], base: dict[str, Any]) -> list[Figure]:
    return [
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
    ]


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
    audited.plot(x, [1e6 / run["audit"]["rate"] for run in ordered], marker="o")
    audited.set(xscale="log", xlabel="journal entries (millions)", ylabel="µs per entry (wall)")
    audited.set_ylim(bottom=0)
    twin = audited.twinx()
    twin.plot(x, [run["audit"]["total_peak_pss_mb"] for run in ordered], "r--", marker="s")
    twin.axhline(MAX_AUDIT_MB, color="r", linewidth=0.5)
    twin.set(ylabel="peak memory, MB (PSS; target ≤ 300)", ylim=(0, MAX_AUDIT_MB * 1.2))
    audited.set_title("Full audit: µs per entry (blue), peak memory (red)")
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
    parser.add_argument("--no-audit", action="store_true", help="the reads and sizes only")
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

    for entries in args.entries:
        record(entries, {"pg_version": _server_version(args.database_url)})
    sizes = sorted(args.entries)
    measure_sizes(args.database_url, sizes, record, deadline, audit=not args.no_audit)
    if args.no_audit:
        return 0
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
