"""``python -m bench._citus --citus-src DIR [--database-url URL]`` (``make bench-citus``): the
bank on a real Citus cluster on this machine, beside single-node PostgreSQL in the same run.

``DIR`` is a checkout of citusdata/citus v13.2.2, built and installed into the local PostgreSQL by
its own instructions beforehand (this project builds nothing of it; ``bench/_citus_cluster.py``
checks and says so); a coordinator and two workers start as local clusters.
Each database there is migrated with the CLI (``creditbank db upgrade``) and distributed with
the statements ``creditbank db distribution-sql`` prints, then:

- the system tests' posting and audit scenarios run against it, through a real gunicorn, as
  the tests themselves (``tests/system/``), each module on a database of its own;
- the single-post and batch benchmarks (``bench/single_posts.py``, ``bench/ingestion.py``)
  measure it, and the same two measure a throw-away database on the single-node server
  (``--database-url``) in the same run.

The table is printed and ``bench/results/citus.json`` written; the clusters are stopped and
removed at the end. A recorded run for docs/scaling.md, not a CI step: CI has no Citus.
Not a ``python -m bench`` benchmark (its name starts with ``_``).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from bench import RESULTS, Figure, ingestion, single_posts
from bench._citus_cluster import Cluster, local_cluster, require_installed
from tests.support.databases import scratch_postgres
from tests.support.gunicorn import server_environment
from tests.support.processes import executable, run_cli

SCENARIOS = (  # (module under tests/system/, the fixture its tests take, gunicorn size)
    ("test_concurrent_posting", "bank", (3, 4)),
    ("test_gunicorn", "server", (2, 4)),
    ("test_programme_scenarios_more:test_13_audit_and_offline_verification", "world", (2, 4)),
)
BENCHES: dict[str, ModuleType] = {"single posts": single_posts, "batch": ingestion}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    require_installed(Path(args.citus_src))
    document: dict[str, Any] = {
        "benchmark": "citus",
        "started_at": _now(),
        "loadavg_before": _loadavg(),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="creditbank-citus-run-") as work, local_cluster() as cl:
        folder = Path(work)
        document["citus_version"] = _citus_version(cl)
        document["distribution"] = _distribution_report(cl, folder)
        if "scenarios" in args.parts:
            document["scenarios"] = _scenarios(cl, folder)
        figures: list[Figure] = []
        if "benches" in args.parts:
            document["benches"] = _benches(cl, args.database_url, folder, figures)
    document.update(
        finished_at=_now(),
        seconds=round(time.perf_counter() - started, 1),
        loadavg_after=_loadavg(),
        figures=[figure.as_json() for figure in figures],
    )
    _report(document, figures)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench._citus", description=__doc__)
    parser.add_argument("--citus-src", required=True, help="a checkout of citusdata/citus v13.2.2")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CREDITBANK_BENCH_DATABASE_URL")
        or "postgresql://postgres@127.0.0.1:5432/postgres",
        help="the single-node PostgreSQL server measured beside Citus",
    )
    parser.add_argument(
        "--parts",
        nargs="+",
        choices=("scenarios", "benches"),
        default=["scenarios", "benches"],
        help="what to run on the cluster (default: both)",
    )
    return parser


# -- a database on the cluster, migrated and distributed ---------------------------------------
@contextmanager
def citus_bank(cluster: Cluster, name: str, folder: Path) -> Iterator[str]:
    """A database on the cluster, migrated with the CLI and distributed; yields its URL."""
    with cluster.database(f"creditbank_citus_{name}") as url:
        failures = distribute(url, folder / name)
        if failures:
            print(f"   {name}: {len(failures)} distribution statements failed", flush=True)
        yield url


def distribute(url: str, instance: Path) -> list[dict[str, str]]:
    """``creditbank db upgrade``, then every statement of ``creditbank db distribution-sql``
    on the coordinator, one at a time; the statements that failed, with Citus's message."""
    import psycopg

    instance.mkdir(parents=True, exist_ok=True)
    creditbank = executable("creditbank")
    assert creditbank is not None, "the creditbank command is not installed in this venv"
    env = server_environment(instance, url, port=0)
    run_cli(creditbank, env, "db", "upgrade")
    failures = []
    with psycopg.connect(url, autocommit=True) as connection:
        for statement in statements(run_cli(creditbank, env, "db", "distribution-sql")):
            try:
                connection.execute(statement)  # type: ignore[arg-type]  # the CLI's own SQL
            except psycopg.Error as error:
                failures.append({"statement": statement, "error": str(error).strip()})
    return failures


def statements(sql: str) -> list[str]:
    """The statements of a script: comment lines dropped, split at each ``;``."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def _distribution_report(cluster: Cluster, folder: Path) -> dict[str, Any]:
    """What the distribution calls did on a freshly migrated database, table by table."""
    import psycopg

    with cluster.database("creditbank_citus_distribution") as url:
        failures = distribute(url, folder / "distribution")
        with psycopg.connect(url) as connection:
            rows = connection.execute(
                "SELECT table_name::text, citus_table_type, distribution_column, shard_count "
                "FROM citus_tables ORDER BY 1"
            ).fetchall()
    tables = {row[0]: {"type": row[1], "column": row[2], "shards": row[3]} for row in rows}
    print(f"== distribution: {len(tables)} Citus tables, {len(failures)} failed", flush=True)
    for failure in failures:
        print(f"   FAILED {failure['statement']}\n     {failure['error']}", flush=True)
    return {"tables": tables, "failed": failures}


# -- the system tests' scenarios ----------------------------------------------------------------
def _scenarios(cluster: Cluster, folder: Path) -> dict[str, dict[str, str]]:
    """Each test of SCENARIOS against a bank on its own Citus database: ``passed``, or the
    failure's last lines; and where each module's journal landed."""
    import importlib

    from tests.system.programme_world import build_world
    from tests.system.servers import bank_server

    outcomes: dict[str, str] = {}
    spread: dict[str, str] = {}
    for number, (spec, fixture, (workers, threads)) in enumerate(SCENARIOS):
        module_name, _, only = spec.partition(":")
        module = importlib.import_module(f"tests.system.{module_name}")
        tests = [only] if only else [n for n in vars(module) if n.startswith("test_")]
        instance = folder / f"scenario-{number}"
        with (
            citus_bank(cluster, f"scenario{number}", folder) as url,
            bank_server(
                "postgresql", instance, workers=workers, threads=threads, database_url=url
            ) as bank,
        ):
            given = build_world(bank) if fixture == "world" else bank
            for name in tests:
                outcomes[f"{module_name}::{name}"] = _run_test(
                    getattr(module, name), {fixture: given}, instance / name
                )
                print(f"   {module_name}::{name}: {outcomes[f'{module_name}::{name}']}", flush=True)
            spread[module_name] = _spread(url)
            print(f"   {module_name}: journal shards per node {spread[module_name]}", flush=True)
    return {"tests": outcomes, "journal_per_node": spread}


def _spread(url: str) -> str:
    """Where the scenario's journal landed: its shards' bytes on each node."""
    import psycopg

    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT nodeport, sum(shard_size) FROM citus_shards "
            "WHERE table_name = 'journal_entries'::regclass GROUP BY 1 ORDER BY 1"
        ).fetchall()
    return ", ".join(f"{port}: {size:,} B" for port, size in rows)


def _run_test(test: Callable[..., Any], fixtures: dict[str, Any], tmp_path: Path) -> str:
    tmp_path.mkdir(parents=True, exist_ok=True)
    wanted = inspect.signature(test).parameters
    arguments = {name: ({**fixtures, "tmp_path": tmp_path})[name] for name in wanted}
    try:
        test(**arguments)
    except Exception:  # a failed scenario is a result to record, not a crash
        return "FAILED: " + " | ".join(traceback.format_exc().strip().splitlines()[-3:])[-600:]
    return "passed"


# -- the benches, Citus beside single-node PostgreSQL --------------------------------------------
def _benches(
    cluster: Cluster, server_url: str, folder: Path, figures: list[Figure]
) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for label, module in BENCHES.items():
        measured = {}
        for backend in ("postgresql", "citus"):
            where = folder / f"{module.__name__.rsplit('.', 1)[-1]}-{backend}"
            where.mkdir(parents=True)
            with _database(backend, cluster, server_url, where) as url:
                measured[backend] = module.measure(backend, url, where)
            figures.extend(_own_figures(module, backend, measured[backend]))
        figures.extend(_side_by_side(label, measured))
        details[label] = measured
    return details


@contextmanager
def _database(backend: str, cluster: Cluster, server_url: str, folder: Path) -> Iterator[str]:
    if backend == "citus":
        with citus_bank(cluster, folder.name.replace("-", "_"), folder) as url:
            yield url
    else:
        with scratch_postgres(server_url, "creditbank_bench_citus_pg") as url:
            yield url


def _own_figures(module: ModuleType, backend: str, measured: dict[str, Any]) -> list[Figure]:
    if module is single_posts:
        return single_posts.figures(backend, measured["posts"], measured["healthz"])
    return ingestion.figures(backend, measured)  # type: ignore[no-any-return]


def _side_by_side(label: str, measured: dict[str, Any]) -> list[Figure]:
    pg, citus = measured["postgresql"], measured["citus"]
    title = f"citus vs postgresql: {label}"
    if label == "single posts":
        return [
            Figure(f"{title}, throughput", citus["posts"]["rps"], "req/s", pg["posts"]["rps"]),
            Figure(f"{title}, p99", citus["posts"]["latency_ms"]["p99"], "ms",
                   pg["posts"]["latency_ms"]["p99"]),
        ]  # fmt: skip
    return [
        Figure(
            title,
            citus["service_outcomes_per_s"],
            "outcomes/s",
            pg["service_outcomes_per_s"],
        )
    ]


# -- the record ---------------------------------------------------------------------------------
def _report(document: dict[str, Any], figures: list[Figure]) -> None:
    from bench.__main__ import table

    print("\n== scenarios on Citus")
    for name, outcome in document.get("scenarios", {}).get("tests", {}).items():
        print(f"   {outcome.split(':')[0]:7}  {name}")
    print(f"\n== figures (load average {document['loadavg_before']} → {document['loadavg_after']})")
    print(table(figures))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "citus.json"
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str))
    print(f"(results in {path})")


def _citus_version(cluster: Cluster) -> str:
    import psycopg

    with psycopg.connect(cluster.coordinator.url()) as connection:
        row = connection.execute(
            "SELECT default_version FROM pg_available_extensions WHERE name = 'citus'"
        ).fetchone()
    return str(row[0]) if row else "?"


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


if __name__ == "__main__":
    sys.exit(main())
