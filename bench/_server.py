"""A real gunicorn for benchmarks: ``config/gunicorn.conf.py`` on a database the benchmark has
prepared, with the keys and token claims of :func:`bench._harness.settings_for`, so that tokens
minted in the benchmark's process are good on the server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import patch

from bench._harness import settings_for

REPO = Path(__file__).resolve().parent.parent
READY_WITHIN = 60  # seconds


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    workers: int
    threads: int

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(
    database_url: str,
    folder: Path,
    *,
    app: str = "wsgi:app",
    workers: int | None = None,
    threads: int | None = None,
) -> Iterator[Server]:
    """gunicorn with the project's settings (``workers``/``threads`` override them when given),
    serving ``app`` until the block ends."""
    settings = settings_for(database_url, folder)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CREDITBANK_", "GUNICORN_"))}
    env.update(
        CREDITBANK_ENV="development",
        CREDITBANK_INSTANCE_PATH=str(folder),
        CREDITBANK_DATABASE_URL=settings.database_url,
        CREDITBANK_KEYS_DIR=str(settings.keys_dir),
        CREDITBANK_ISSUER=settings.issuer,
        CREDITBANK_AUDIENCE=settings.audience,
        CREDITBANK_BIND=f"127.0.0.1:{port}",
        CREDITBANK_LOG_LEVEL="info",  # as in production: an access line per request
        PYTHONUNBUFFERED="1",
        GUNICORN_CMD_ARGS=f"--control-socket {folder / 'gunicorn.ctl'}",
    )
    if workers is not None:
        env["CREDITBANK_WORKERS"] = str(workers)
    if threads is not None:
        env["CREDITBANK_THREADS"] = str(threads)
    workers_threads = configured(env)
    log = folder / f"gunicorn-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", app],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_ready(port, process, log, workers_threads[0])
            yield Server("127.0.0.1", port, *workers_threads)
        finally:
            _stop(process)


def configured(env: dict[str, str]) -> tuple[int, int]:
    """``(workers, threads)`` that ``config/gunicorn.conf.py`` gives in environment ``env``."""
    namespace: dict[str, Any] = {}
    source = (REPO / "config" / "gunicorn.conf.py").read_text()
    with patch.dict(os.environ, env, clear=True):
        exec(compile(source, "gunicorn.conf.py", "exec"), namespace)  # noqa: S102 (our file)
    return int(namespace["workers"]), int(namespace["threads"])


def _wait_until_ready(port: int, process: subprocess.Popen[bytes], log: Path, workers: int) -> None:
    """Until ``/healthz`` answers and every worker has booted."""
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text()[-4000:]}")
        booted = log.read_text(errors="replace").count("Booting worker with pid")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                ready = answer.status == 200
        except OSError:
            ready = False
        if ready and booted >= workers:
            return
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn not ready within {READY_WITHIN} s:\n{log.read_text()[-4000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the master (graceful), SIGKILL to its own process group if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
