"""Processes of the machine, bounded: every command has a timeout and every wait a deadline,
so that a hang fails a test (or a benchmark) instead of stopping it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 30  # seconds, for every request and command


def executable(name: str) -> Path | None:
    """``name`` from the interpreter's own environment (the venv), else from PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return beside
    found = shutil.which(name)
    return Path(found) if found else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children_of(pid: int) -> list[int]:
    """The live child processes of ``pid``, from /proc (no psutil needed)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return sorted(found)


def wait_for(condition: Callable[[], Any], within: float, what: str, step: float = 0.05) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not within {within} s: {what}")


def run_cli(command: Path, env: dict[str, str], *args: str) -> str:
    """``command ARGS`` from the repository's root; its stdout, or a failure showing both
    streams."""
    result = subprocess.run(
        [str(command), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 2,
        check=False,
    )
    # An audit's findings are on stdout: the failure shows both streams.
    failed = f"{command.name} {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr}"
    assert result.returncode == 0, failed
    return result.stdout
