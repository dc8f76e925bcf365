"""Start-up of the app factory, next to starting the interpreter at all (``python -c pass``).

Each sample is a new process, timed from spawn to exit: ``import wsgi`` builds the app from the
environment exactly as every gunicorn master does (imports, keys, engine, blueprints, the
OpenAPI document), on each database. Bytecode is cached as on any deployed server (the first,
untimed run writes it, even where ``PYTHONDONTWRITEBYTECODE`` is set for development).
Target: at most 1 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import Figure, Options, Result
from bench._harness import migrated_app, scratch_databases, settings_for
from tests.support.gunicorn import server_environment

REPO = Path(__file__).resolve().parent.parent
SAMPLES = 5
MAX_SECONDS = 1.0


def run(options: Options) -> Result:
    result = Result(details={"samples": SAMPLES})
    with (
        scratch_databases(options.database_url) as databases,
        tempfile.TemporaryDirectory(prefix="creditbank-bench-") as folder,
    ):
        bare = _median_seconds([sys.executable, "-c", "pass"], _without_bytecode_opt_out())
        result.details["python_c_pass_s"] = round(bare, 4)
        for backend, url in databases:
            env = _environment(url, Path(folder) / backend)
            factory = _median_seconds([sys.executable, "-c", "import wsgi"], env)
            result.details[backend] = {"app_factory_s": round(factory, 4)}
            result.figures.append(
                Figure(
                    f"{backend}: app factory start-up vs python -c pass",
                    factory,
                    unit="s",
                    baseline=bare,
                    max_value=MAX_SECONDS,
                )
            )
    return result


def _environment(url: str, folder: Path) -> dict[str, str]:
    """What a server would be given: the database (migrated, as before any start) and keys."""
    with migrated_app(url, folder):
        pass
    settings = settings_for(url, folder)
    env = server_environment(folder, settings.database_url, 0, KEYS_DIR=settings.keys_dir)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _median_seconds(command: list[str], env: dict[str, str]) -> float:
    samples = []
    for _ in range(SAMPLES + 1):  # the first warms the OS's file cache and is dropped
        started = time.perf_counter()
        subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True, timeout=60)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples[1:])


def _without_bytecode_opt_out() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
