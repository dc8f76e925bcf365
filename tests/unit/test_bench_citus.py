"""``make bench-citus`` without a Citus checkout skips with one line and succeeds (CI has no
Citus), and the script's SQL splitter hands Citus one statement at a time."""

from __future__ import annotations

import subprocess

from bench._citus import statements
from tests.support.processes import REPO


def test_bench_citus_without_a_source_skips_cleanly():
    # -o: take the venv's install stamp as up to date, so the target does not reinstall.
    done = subprocess.run(
        ["make", "-s", "-o", ".venv/.installed", "bench-citus", "CITUS_SRC="],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "bench-citus: set CITUS_SRC=… to a checkout of citusdata/citus v13.2.2; skipped"
    )


def test_a_distribution_script_splits_into_its_statements_without_comments():
    script = (
        "-- reference tables first\n"
        "SELECT create_reference_table('providers');\n"
        "SELECT create_distributed_table('accounts', 'learner_id');\n"
        "SELECT create_distributed_table('journal_entries', 'learner_id',\n"
        "    colocate_with => 'accounts');\n"
    )
    assert statements(script) == [
        "SELECT create_reference_table('providers')",
        "SELECT create_distributed_table('accounts', 'learner_id')",
        "SELECT create_distributed_table('journal_entries', 'learner_id',\n"
        "    colocate_with => 'accounts')",
    ]
