"""A real gunicorn (``config/gunicorn.conf.py``) on a database the caller has prepared, for the
system tests and the benchmarks: started on a free port of the loopback, ready when every
worker runs and its health URL answers 200, stopped when the block ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import REPO, children_of, executable, free_port, run_cli, wait_for

READY_WITHIN = 60  # seconds


@dataclass
class Gunicorn:
    """One running gunicorn master and what a caller needs to reach and hurt it."""

    process: subprocess.Popen[bytes]
    port: int
    workers: int
    threads: int
    log: Path
    env: dict[str, str]
    ready_path: str = "/readyz"  # answers 200 when the app can serve
    host: str = "127.0.0.1"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def cli(self, *args: str) -> str:
        """Run ``creditbank ARGS`` against this server's database and keys."""
        creditbank = executable("creditbank")
        assert creditbank is not None
        return run_cli(creditbank, self.env, *args)

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_ready(self, exclude: Collection[int] = ()) -> list[int]:
        """Until the ready path answers 200 and all workers run (none of ``exclude``); their
        pids."""

        def ready() -> list[int] | None:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            pids = [pid for pid in self.worker_pids() if pid not in exclude]
            if len(pids) < self.workers:
                return None
            url = f"http://{self.host}:{self.port}{self.ready_path}"
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    return pids if answer.status == 200 else None
            except OSError:  # refused, timed out, or an HTTP error status such as 503
                return None

        return wait_for(ready, READY_WITHIN, f"gunicorn ready\n{self.log_tail()}", step=0.1)


def server_environment(
    instance: Path, database_url: str, port: int, **settings: object
) -> dict[str, str]:
    """The caller's environment without its CREDITBANK_* and GUNICORN_* settings, plus this
    server's; ``settings`` are more of them by name (``WORKERS=2``: ``CREDITBANK_WORKERS``)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CREDITBANK_", "GUNICORN_"))
    }
    env.update(
        CREDITBANK_ENV="development",
        CREDITBANK_INSTANCE_PATH=str(instance),
        CREDITBANK_DATABASE_URL=database_url,
        CREDITBANK_BIND=f"127.0.0.1:{port}",
        CREDITBANK_LOG_LEVEL="info",  # as in production: an access line per request
        PYTHONUNBUFFERED="1",
        # gunicorn 27 opens a control socket, by default in ~/.gunicorn/, shared by every
        # server of the user; keep this one's beside its instance.
        GUNICORN_CMD_ARGS=f"--control-socket {instance / 'gunicorn.ctl'}",
    )
    env.update({f"CREDITBANK_{name}": str(value) for name, value in settings.items()})
    return env


@contextmanager
def serving(
    instance: Path,
    database_url: str,
    *,
    workers: int,
    threads: int,
    app: str = "wsgi:app",
    ready_path: str = "/readyz",
    **settings: object,
) -> Iterator[Gunicorn]:
    """gunicorn serving ``app`` on a migrated ``database_url``, with the keys under
    ``instance`` unless ``settings`` (more CREDITBANK_*, see :func:`server_environment`) say
    otherwise, until the block ends."""
    port = free_port()
    env = server_environment(
        instance, database_url, port, WORKERS=workers, THREADS=threads, **settings
    )
    log = instance / f"gunicorn-{port}.log"
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
        server = Gunicorn(process, port, workers, threads, log, env, ready_path)
        server.wait_ready()
        yield server
    finally:
        stop_gunicorn(process)


def stop_gunicorn(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the master (graceful), SIGKILL to its process group if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: only what we started
            process.wait(timeout=10)
