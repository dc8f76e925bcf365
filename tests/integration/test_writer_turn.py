"""SQLite's writers take turns on a flock (``db.sqlite_writer_turn``); a writer whose turn does
not come within its wait gives up, and the next one goes ahead once the turn is free."""

from __future__ import annotations

import fcntl
import time
from pathlib import Path

import pytest

from creditbank import db
from creditbank.domain.errors import DatabaseBusy


def test_a_writer_behind_a_stuck_one_gives_up_in_time_and_the_queue_recovers(tmp_path: Path):
    path = str(tmp_path / "bank.sqlite3")
    with open(f"{path}-writer.lock", "ab") as stuck:
        fcntl.flock(stuck, fcntl.LOCK_EX)  # a writer that has its turn and never ends
        started = time.monotonic()
        with pytest.raises(DatabaseBusy), db.sqlite_writer_turn(path, 300):
            pytest.fail("the stuck writer's turn was taken")
        waited = time.monotonic() - started
        fcntl.flock(stuck, fcntl.LOCK_UN)

    assert 0.3 <= waited < 2, waited
    started = time.monotonic()
    with db.sqlite_writer_turn(path, 1000):
        pass
    assert time.monotonic() - started < 0.5
