"""``python -m bench [--only NAME] [--database-url URL] [--profile]``: run the benchmarks, print
a table of figures, and write each benchmark's results to ``bench/results/<name>.json``."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from bench import Figure, Options, Result, benchmarks
from bench._report import SUMMARY, collect, write

COLUMNS = ("figure", "value", "baseline", "ratio", "target", "met?")


def main(argv: Sequence[str] | None = None) -> int:
    available = benchmarks()
    args = _parser(sorted(available)).parse_args(argv)
    options = Options(database_url=args.database_url, profile=args.profile)
    options.results.mkdir(parents=True, exist_ok=True)
    chosen = [args.only] if args.only else list(available)
    for name in chosen:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        result = available[name](options)
        elapsed = time.perf_counter() - started
        print(table(result.figures))
        path = options.results / f"{name}.json"
        path.write_text(json.dumps(_document(name, result, elapsed), indent=2, ensure_ascii=False))
        print(f"({elapsed:.1f} s; results in {path})\n", flush=True)
    figures = collect(options.results, available)
    print("== all figures (bench/results/*.json)")
    print(table([figure for _, figure in figures]))
    chart = write(options.results, figures)
    print(f"(table in {options.results / SUMMARY}" + (f", chart in {chart})" if chart else ")"))
    return 0


def _parser(names: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", choices=names, help="run this benchmark alone")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CREDITBANK_BENCH_DATABASE_URL") or None,
        help="a PostgreSQL server (postgresql://…) to measure on as well as SQLite; a "
        "throw-away database is created there and dropped after "
        "(default: $CREDITBANK_BENCH_DATABASE_URL)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also write a pyinstrument profile (if installed)"
    )
    return parser


def table(figures: Sequence[Figure]) -> str:
    """The figures as an aligned plain-text table."""
    rows = [COLUMNS] + [
        (
            f.name,
            _number(f.value, f.unit),
            _number(f.baseline, f.unit),
            "—" if f.ratio is None else f"{f.ratio:.2f}",
            f.target,
            {True: "yes", False: "NO", None: "—"}[f.met],
        )
        for f in figures
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def _number(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{value:.2f} {unit}"


def _document(name: str, result: Result, elapsed: float) -> dict[str, object]:
    return {
        "benchmark": name,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(elapsed, 1),
        "python": sys.version.split()[0],
        "machine": platform.platform(),
        "figures": [figure.as_json() for figure in result.figures],
        "details": result.details,
    }


if __name__ == "__main__":
    sys.exit(main())
