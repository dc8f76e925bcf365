"""``creditbank import FILE --provider CODE [--dry-run]``: the upload's code path from a shell,
against SQLite and PostgreSQL, with a progress bar when a terminal is attached."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from openpyxl import Workbook
from sqlalchemy import func, select

from config.settings import Settings
from creditbank.cli import main
from creditbank.extensions import db
from creditbank.models import IdempotencyKey, OutcomeState
from creditbank.services.clients import register_provider
from creditbank.services.learners import open_learner
from creditbank.services.rulesets import publish_ruleset

pytestmark = pytest.mark.usefixtures("cheap_secret_hashing")

HEADER = ["学员编号", "外部编号", "成果类型", "获得日期", "类别", "学时"]


@pytest.fixture
def bank(app: Flask) -> dict[str, Any]:
    publish_ruleset(
        {
            "name": "测试规则",
            "effective_from": "2020-01-01T00:00:00+08:00",
            "hours_per_credit": {"theory": "16"},
        },
        "shell",
    )
    register_provider("YYZJ", "云阳职教中心")
    learners = [open_learner(f"学员{i}", None, None).learner_id for i in range(3)]
    return {"learners": learners}


def run(settings: Settings, *args: str) -> Result:
    env = {
        "CREDITBANK_ENV": "development",
        "CREDITBANK_DATABASE_URL": settings.database_url,
        "CREDITBANK_INSTANCE_PATH": str(settings.instance_path),
        "CREDITBANK_KEYS_DIR": str(settings.keys_dir),
        "CREDITBANK_LOG_LEVEL": "WARNING",
    }
    return CliRunner().invoke(main, list(args), env=env)


def write_csv(path: Path, rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def stored_outcomes() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(OutcomeState)) or 0


def test_dry_run_reports_bad_rows_and_posts_nothing(settings, bank, tmp_path) -> None:
    learner = bank["learners"][0]
    path = write_csv(
        tmp_path / "hours.csv",
        [
            [learner, "R-1", "培训学时", "2026-04-15", "theory", "10"],
            [learner, "R-2", "培训学时", "2026-04-15", "theory", "ten"],
        ],
    )
    result = run(settings, "import", str(path), "--provider", "YYZJ", "--dry-run")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(3, "学时")]
    assert stored_outcomes() == 0


def test_a_good_file_is_posted_and_a_second_run_only_replays(settings, bank, tmp_path) -> None:
    rows = [
        [learner, f"P-{i}", "培训学时", "2026-04-15", "theory", "8"]
        for i, learner in enumerate(bank["learners"] * 10)
    ]
    path = write_csv(tmp_path / "hours.csv", rows)
    dry = run(settings, "import", str(path), "--provider", "YYZJ", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["would_post"] == 30
    assert stored_outcomes() == 0

    first = run(settings, "import", str(path), "--provider", "YYZJ")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {"dry_run": False, "rows": 30, "posted": 30, "replayed": 0}
    assert stored_outcomes() == 30

    again = run(settings, "import", str(path), "--provider", "YYZJ")
    assert json.loads(again.stdout)["replayed"] == 30
    assert stored_outcomes() == 30


def test_an_xlsx_file_goes_the_same_way(settings, bank, tmp_path) -> None:
    workbook = Workbook()
    workbook.active.append(HEADER)
    workbook.active.append([bank["learners"][1], "X-1", "培训学时", "2026-04-15", "theory", 16])
    workbook.save(tmp_path / "hours.xlsx")
    result = run(settings, "import", str(tmp_path / "hours.xlsx"), "--provider", "YYZJ")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["posted"] == 1
    db.session.expire_all()
    key = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.external_ref == "X-1"))
    assert key is not None and key.learner_id == bank["learners"][1]


def test_a_bad_file_fails_with_the_row_and_column(settings, bank, tmp_path) -> None:
    path = write_csv(
        tmp_path / "bad.csv", [["L0NOBODY", "B-1", "培训学时", "2026-04-15", "theory", "1"]]
    )
    result = run(settings, "import", str(path), "--provider", "YYZJ")
    assert result.exit_code == 1
    assert "unknown_learner" in result.stderr and "rows.2.学员编号" in result.stderr
    assert stored_outcomes() == 0


def test_an_unknown_provider_code_is_a_usage_error(settings, bank, tmp_path) -> None:
    path = write_csv(tmp_path / "x.csv", [])
    result = run(settings, "import", str(path), "--provider", "NOPE")
    assert result.exit_code == 2
    assert "NOPE" in result.stderr


def test_a_terminal_gets_a_progress_bar(settings, bank, tmp_path, monkeypatch) -> None:
    import click._termui_impl

    monkeypatch.setattr(click._termui_impl, "isatty", lambda _stream: True)
    rows = [
        [bank["learners"][0], f"T-{i}", "培训学时", "2026-04-15", "theory", "1"] for i in range(5)
    ]
    result = run(settings, "import", str(write_csv(tmp_path / "t.csv", rows)), "--provider", "YYZJ")
    assert result.exit_code == 0, result.output
    assert "posting rows" in result.stderr and "100%" in result.stderr
