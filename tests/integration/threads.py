"""Running work in threads that start together, with a deadline instead of a hang."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
DEADLINE_SECONDS = 60


def run_in_threads(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(0) … work(count - 1)`` in as many threads, released together by a barrier.

    A thread still running at the deadline fails the test (a deadlock must not hang CI);
    an exception in any thread is raised here.
    """
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(index,), name=f"writer-{index}", daemon=True)
        for index in range(count)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + DEADLINE_SECONDS
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"still running after {DEADLINE_SECONDS} s (deadlock?): {stuck}"
    if errors:
        raise errors[0]
    return results
