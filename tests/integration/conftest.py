"""Integration tier: services against SQLite and PostgreSQL (fixtures in tests/conftest.py)."""

from __future__ import annotations

import pytest

from creditbank.security import passwords


@pytest.fixture
def cheap_secret_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt at its production cost takes ~50 ms per client and learner; these tests are
    about the ledger, not the hash (tests/unit/test_passwords.py covers that), so they hash
    at a token cost. The encoding names its parameters, so verification is unaffected.
    Opt in with ``pytestmark = pytest.mark.usefixtures("cheap_secret_hashing")``."""
    monkeypatch.setattr(passwords, "COST_N", 2**4)
