"""The system tier's shared fixture: databases bootstrapped once per session and backend with
the CLI, copied for each server (``servers.Templates``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.system.browser import fresh, start_chromium
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


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium for the session's browser tests (tests/system/browser.py)."""
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(chromium: Any) -> Iterator[Any]:
    """The session's Chromium with no cookies and an empty console for each test."""
    yield from fresh(chromium)
