"""A fault-injection point for the system tests, off unless ``CREDITBANK_FAULT_PAUSE_DIR`` is
set (config/settings.py refuses it in production).

tests/system/test_faults.py kills a worker in the middle of a batch's transaction and checks
that nothing of the batch is left. Catching "the middle" by polling from outside races the
commit, which a fast machine wins; here the worker itself stops there, with part of the batch
written but not committed, and says so in a file the test waits for.
"""

from __future__ import annotations

import os
import time

from sqlalchemy.orm import Session

from creditbank.context import settings
from creditbank.journal import write_pending

PAUSE_SECONDS = 60  # bounded: a test that never kills the worker only delays the commit


def pause_inside_transaction(session: Session) -> None:
    """When a test has armed the pause folder (a file ``armed`` in it, which exactly one
    request takes), send the transaction's pending rows to the database, leave
    ``paused-<pid>`` there, and wait for the test to kill this process."""
    folder = settings().fault_pause_dir
    if folder is None:
        return
    claimed = folder / f"claimed-{os.getpid()}"
    try:
        (folder / "armed").rename(claimed)  # atomic: one request of all takes it
    except FileNotFoundError:
        return
    write_pending(session)  # the journal otherwise writes them at the next statement
    claimed.rename(folder / f"paused-{os.getpid()}")
    time.sleep(PAUSE_SECONDS)
