"""Loads taken in turns, so that a machine whose speed drifts during a run (another job
starting, a cache warming) moves a figure and its baseline alike.

A figure and its baseline measured one after the other can differ by a third on a busy 2-core
machine for no reason of their own. Measured in turns — A B A B A — a drift that is steady over
the run costs both about the same, and each name's runs are :func:`combined`. (Requests that
the same clients can send, such as two learners' balances, compare better still taken every
other request by one load: ``by_path`` in :mod:`bench._load`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from bench._load import run_load
from tests.support.gunicorn import Gunicorn


class Turn(NamedTuple):
    """How many clients a turn has, and how long it lasts after its warm-up."""

    connections: int
    seconds: float
    warmup_seconds: float


def spec(
    server: Gunicorn,
    turn: Turn,
    method: str,
    paths: Sequence[str],
    headers: dict[str, str],
    *,
    bodies: Sequence[str] = (),
    expect: Sequence[int] = (200,),
) -> dict[str, Any]:
    """A spec of :func:`bench._load.run_load` for a turn on ``server``."""
    made: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        **turn._asdict(),
        "method": method,
        "paths": list(paths),
        "headers": headers,
        "expect": list(expect),
    }
    if bodies:
        made["bodies"] = list(bodies)
    return made


def in_turns(turns: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Run each ``(name, spec)`` in the order given; each name's runs :func:`combined`."""
    runs: dict[str, list[dict[str, Any]]] = {}
    for name, load in turns:
        runs.setdefault(name, []).append(run_load(load))
    return {name: combined(results) for name, results in runs.items()}


def combined(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Runs of one load as one: requests and seconds added up (so ``rps`` is over them all),
    statuses added up, and each latency the runs' own weighted by their requests (the p50 of
    two runs of about the same speed, near enough the p50 of their requests together; the
    max, the greatest)."""
    requests = sum(run["requests"] for run in runs)
    seconds = sum(run["seconds"] for run in runs)
    statuses: dict[str, int] = {}
    for run in runs:
        for status, count in run["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    names = set.intersection(*(set(run["latency_ms"]) for run in runs))
    latency = {
        name: sum(run["latency_ms"][name] * run["requests"] for run in runs) / requests
        for name in sorted(names - {"max"})
    }
    if "max" in names:
        latency["max"] = max(run["latency_ms"]["max"] for run in runs)
    return {
        "requests": requests,
        "seconds": round(seconds, 3),
        "rps": requests / seconds,
        "connections": runs[0]["connections"],
        "latency_ms": {name: round(value, 3) for name, value in latency.items()},
        "statuses": statuses,
        "runs": [
            {"rps": round(run["rps"], 1), "p50": run["latency_ms"].get("p50")} for run in runs
        ],
    }
