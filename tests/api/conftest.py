"""The HTTP tier's own setting: cheap password hashing.

Every test opens a workstation client, provider clients and learners, each a scrypt hash and a
verification at the production cost (N = 2**14, tens of milliseconds each), which alone would
take most of this tier's time budget. Here new hashes use N = 2**10; the hashes still name their
own parameters, so verification runs the same code path. The production cost is the unit
tier's business (tests/unit), not the HTTP contract's.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from creditbank.security import passwords

    monkeypatch.setattr(passwords, "COST_N", 2**10)
