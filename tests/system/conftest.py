"""The system tier's shared fixture: databases bootstrapped once per session and backend with
the CLI, copied for each server (``servers.Templates``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from tests.system.servers import Templates


@pytest.fixture(scope="session")
def bank_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    with ExitStack() as stack:
        yield Templates(stack, tmp_path_factory.mktemp)
