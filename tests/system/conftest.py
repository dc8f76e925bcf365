"""The system tier's shared fixture: databases bootstrapped once per session and backend with
the CLI, copied for each server (``servers.Templates``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.system.programme_world import build_world
from tests.system.servers import Templates, bank_server


@pytest.fixture(scope="session")
def bank_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    with ExitStack() as stack:
        yield Templates(stack, tmp_path_factory.mktemp)


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, bank_templates: Templates, tmp_path: Path):
    """PROGRAMMES.md's acceptance world on a fresh gunicorn (2 workers, 4 threads) over a copy
    of the session's bootstrapped database, one per scenario: each starts from an empty bank."""
    template = bank_templates(request.param)
    with bank_server(request.param, tmp_path, workers=2, threads=4, template=template) as bank:
        yield build_world(bank)
