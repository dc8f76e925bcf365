"""Runs of one load taken in turns (bench/_turns.py) add up as one run would."""

from __future__ import annotations

from bench._turns import combined


def _run(requests: int, seconds: float, p50: float, top: float, **statuses: int):
    return {
        "requests": requests,
        "seconds": seconds,
        "rps": requests / seconds,
        "connections": 16,
        "latency_ms": {"p50": p50, "max": top},
        "statuses": {status.strip("_"): n for status, n in statuses.items()},
    }


def test_turns_add_up_their_requests_seconds_and_statuses():
    both = combined(
        [_run(300, 1.5, 40.0, 90.0, _201=290, _200=10), _run(100, 0.5, 80.0, 70.0, _201=100)]
    )

    assert (both["requests"], both["seconds"], both["rps"]) == (400, 2.0, 200.0)
    assert both["statuses"] == {"201": 390, "200": 10}


def test_latencies_are_weighted_by_requests_and_the_max_is_the_greatest():
    both = combined([_run(300, 1.5, 40.0, 90.0), _run(100, 1.5, 80.0, 70.0)])

    assert both["latency_ms"] == {"p50": 50.0, "max": 90.0}
    assert [turn["rps"] for turn in both["runs"]] == [200.0, 66.7]
