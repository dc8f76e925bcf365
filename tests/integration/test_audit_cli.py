"""``creditbank audit | checkpoint | export`` as an operator runs them: real processes on the
test's database, exit status 0 when the audit passes and 1 when it finds anything."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from creditbank.services.journal_export import export_lines
from tests.integration.banks import audit_left_running, audit_row, build_bank, tamper

pytestmark = pytest.mark.usefixtures("cheap_secret_hashing")

CREDITBANK = Path(sys.executable).with_name("creditbank")


@pytest.fixture
def bank(api) -> list[str]:
    return build_bank(api, learners=2)


@pytest.fixture
def cli(settings, tmp_path):
    """Run ``creditbank …`` against the test's database and keys."""
    env = {
        **os.environ,
        "CREDITBANK_ENV": "test",
        "CREDITBANK_DATABASE_URL": settings.database_url,
        "CREDITBANK_KEYS_DIR": str(settings.keys_dir),
        "CREDITBANK_INSTANCE_PATH": str(tmp_path),
        "CREDITBANK_LOG_LEVEL": "WARNING",
    }

    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CREDITBANK), *arguments], cwd=tmp_path, env=env, capture_output=True, text=True
        )

    return run


def test_audit_exits_0_on_an_intact_bank_and_prints_the_json_report(bank, cli):
    result = cli("audit")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["status"], report["findings_total"], report["learners_checked"]) == (
        "passed",
        0,
        2,
    )
    assert "passed" in result.stderr  # the one-line summary


def test_audit_exits_1_with_findings_and_writes_csv_and_html(bank, cli, tmp_path):
    tamper("UPDATE accounts SET balance = balance + 10 WHERE learner_id = :l", l=bank[1])

    as_csv = cli("audit", "--format", "csv", "--out", "audit.csv")
    as_html = cli("audit", "--learner", bank[1], "--format", "html", "--out", "audit.html")

    assert (as_csv.returncode, as_html.returncode) == (1, 1), as_csv.stderr + as_html.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "audit.csv").read_text("utf-8"))))
    assert [(row["learner_id"], row["check"]) for row in rows] == [(bank[1], "balance")]
    html = (tmp_path / "audit.html").read_text("utf-8")
    assert "审计报告" in html and bank[1] in html and "余额不符" in html


def test_an_unknown_learner_is_an_error_not_a_pass(bank, cli):
    result = cli("audit", "--learner", "L-nobody")

    assert result.returncode == 2
    assert "unknown_learner" in result.stderr


def test_recover_marks_the_runs_whose_process_died_and_says_which(api, cli):
    dead = audit_left_running(beat_minutes_ago=30)
    alive = audit_left_running(beat_minutes_ago=2)

    result = cli("audit", "--recover")
    again = cli("audit", "--recover")

    assert result.returncode == 0, result.stderr
    assert dead in result.stdout and alive not in result.stdout
    assert "no heartbeat since" in result.stdout
    assert "1 stale audit marked error" in result.stderr
    assert (audit_row(dead)["status"], audit_row(alive)["status"]) == ("error", "running")
    assert (again.returncode, again.stdout) == (0, "")
    assert "0 stale audits marked error" in again.stderr


def test_checkpoint_prints_the_signed_checkpoint_and_export_streams_the_journal(
    bank, cli, tmp_path
):
    made = cli("checkpoint")
    exported = cli("export", "--out", "bank.jsonl")

    assert made.returncode == 0, made.stderr
    checkpoint = json.loads(made.stdout)
    assert checkpoint["tree_size"] == 2
    assert checkpoint["body"].startswith(checkpoint["origin"] + "\n2\n")
    assert exported.returncode == 0, exported.stderr
    written = (tmp_path / "bank.jsonl").read_text("utf-8").splitlines()
    expected = "".join(export_lines()).splitlines()
    assert json.loads(written[0])["checkpoint"]["id"] == checkpoint["id"]
    assert written[1:] == expected[1:]  # the header differs only in exported_at
