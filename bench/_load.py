"""A load generator in a process of its own: N keep-alive HTTP/1.1 connections on the loopback,
each sending its next request as soon as the previous answer is in, for a bounded time.

``python -m bench._load`` reads a spec (JSON) on stdin and writes what it measured (JSON) on
stdout; :func:`run_load` does both for a benchmark, so the client never shares the benchmark's
interpreter (or its GIL). One event loop drives every connection: on a 2-core machine a thread
per connection would spend more of the server's CPU than the server's own work.

A spec: ``host``, ``port``, ``method``, ``paths`` (cycled), ``headers``, ``bodies`` (cycled,
optional; ``@N@`` becomes the request's number, so that posts stay unique; with
``bodies_per_connection`` connection *c* cycles only through bodies *c*, *c + connections*, …,
as a workstation posts only its own cohort), ``content_type`` (of the bodies; default
``application/json``), ``by_path`` (optional: the latencies of each
path apart as well, so that paths taken in turn by the same clients compare; ``"samples"``:
every latency too, so that runs can be pooled), ``connections``,
``seconds`` (measured), ``warmup_seconds`` (not measured), ``expect`` (the statuses counted
as successes) and ``requests_per_connection`` (default 10). Every request has a timeout, and
the whole run stops after ``warmup_seconds + seconds``.

A connection is closed and opened again after ``requests_per_connection`` requests, as nginx
does with its upstream connections (``keepalive_requests``, set to 10 in docs/operations.md's
nginx configuration). gunicorn's workers share one listening socket and a kept-alive connection
stays with the worker that accepted it: without this, all 16 connections can end up on one worker
for the whole run, and the figure measures one core, or two, by chance.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
import time
from collections import Counter
from typing import Any

REQUEST_TIMEOUT = 60.0  # seconds; a request that takes longer counts as an error
REQUESTS_PER_CONNECTION = 10


def run_load(spec: dict[str, Any]) -> dict[str, Any]:
    """Run ``spec`` in a new process and return what it measured."""
    limit = spec.get("warmup_seconds", 0) + spec["seconds"] + REQUEST_TIMEOUT + 30
    finished = subprocess.run(
        [sys.executable, "-m", "bench._load"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=limit,
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"the load generator failed:\n{finished.stderr[-4000:]}")
    result = json.loads(finished.stdout)
    if result["requests"] == 0:
        raise RuntimeError(f"no request completed: {result}")
    if result["failures"]:
        raise RuntimeError(f"unexpected answers {result['failures']}: {result['sample_failure']}")
    return result


class _Run:
    """The shared state of one run: which request is next, and what was measured."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.counter = itertools.count()
        self.answered = 0  # every answer, warm-up included (what the server did in the run)
        self.latencies_ms: list[float] = []
        self.by_path: dict[str, list[float]] = {}
        self.path_of: dict[int, str] = {}  # each connection's request in flight
        self.statuses: Counter[int] = Counter()
        self.failures: Counter[str] = Counter()
        self.sample_failure = ""
        self.expect = set(spec.get("expect", [200]))
        started = time.perf_counter()
        self.measure_from = started + spec.get("warmup_seconds", 0)
        self.deadline = self.measure_from + spec["seconds"]
        self.last_done = self.measure_from
        head = [f"Host: {spec['host']}:{spec['port']}", "Connection: keep-alive"]
        head += [f"{name}: {value}" for name, value in spec.get("headers", {}).items()]
        self.head = head
        self.bodies = [body.encode("utf-8") for body in spec.get("bodies") or []]

    def request(self, connection: int, sent: int) -> bytes:
        number = next(self.counter)
        paths = self.spec["paths"]
        self.path_of[connection] = path = paths[number % len(paths)]
        lines = [f"{self.spec['method']} {path} HTTP/1.1", *self.head]
        body = b""
        if self.bodies:
            choice = number
            if self.spec.get("bodies_per_connection"):
                choice = connection + sent * self.spec["connections"]
            body = self.bodies[choice % len(self.bodies)].replace(b"@N@", str(number).encode())
            content_type = self.spec.get("content_type", "application/json")
            lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    def record(self, started: float, done: float, status: int, body: bytes, path: str) -> None:
        if started < self.measure_from or done > self.deadline:
            return
        self.latencies_ms.append((done - started) * 1000)
        if self.spec.get("by_path"):
            self.by_path.setdefault(path, []).append((done - started) * 1000)
        self.statuses[status] += 1
        self.last_done = max(self.last_done, done)
        if status not in self.expect:
            self.failures[str(status)] += 1
            self.sample_failure = self.sample_failure or body[:500].decode("utf-8", "replace")


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body, and whether the server closes the connection after it."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    close = headers.get("connection", "").lower() == "close"
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunks(reader)
    else:
        body, close = await reader.read(), True
    return status, body, close


async def _read_chunks(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        parts.append(await reader.readexactly(size + 2))
        if size == 0:
            return b"".join(parts)


async def _connection(run: _Run, connection: int) -> None:
    host, port = run.spec["host"], run.spec["port"]
    reader, writer = await asyncio.open_connection(host, port)
    per_connection = run.spec.get("requests_per_connection", REQUESTS_PER_CONNECTION)
    try:
        for sent in itertools.count():
            if time.perf_counter() >= run.deadline:
                break
            started = time.perf_counter()
            writer.write(run.request(connection, sent))
            try:
                status, body, close = await asyncio.wait_for(
                    _read_response(reader), REQUEST_TIMEOUT
                )
            except (TimeoutError, asyncio.IncompleteReadError, ConnectionError) as exc:
                run.failures[type(exc).__name__] += 1
                status, body, close = 0, b"", True
            else:
                run.answered += 1
                run.record(started, time.perf_counter(), status, body, run.path_of[connection])
            if close or (sent + 1) % per_connection == 0:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def _main(spec: dict[str, Any]) -> dict[str, Any]:
    run = _Run(spec)
    await asyncio.gather(*(_connection(run, c) for c in range(spec["connections"])))
    seconds = max(run.last_done - run.measure_from, 1e-9)
    result = {
        "requests": len(run.latencies_ms),
        "answered": run.answered,
        "seconds": round(seconds, 3),
        "rps": len(run.latencies_ms) / seconds,
        "connections": spec["connections"],
        "latency_ms": _latency(run.latencies_ms),
        "statuses": {str(status): count for status, count in sorted(run.statuses.items())},
        "failures": dict(run.failures),
        "sample_failure": run.sample_failure,
    }
    if spec.get("by_path"):
        result["by_path"] = {
            path: {"requests": len(samples), "latency_ms": _latency(samples)}
            | ({"samples_ms": samples} if spec["by_path"] == "samples" else {})
            for path, samples in run.by_path.items()
        }
    return result


def _latency(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    if not ordered:
        return {}
    latency = {
        "p50": _percentile(ordered, 0.50),
        "p90": _percentile(ordered, 0.90),
        "p99": _percentile(ordered, 0.99),
        "mean": sum(ordered) / len(ordered),
        "max": ordered[-1],
    }
    return {name: round(value, 3) for name, value in latency.items()}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_main(json.load(sys.stdin)))))
