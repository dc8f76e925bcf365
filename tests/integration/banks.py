"""A small bank with every entry kind, and raw tampering past the append-only guards.

Tampering goes through a raw connection (``exec_driver_sql``), as a person with a SQL prompt
would: the guards are dropped (SQLite, where each test has its own copy of the database) or
disabled for the one transaction (PostgreSQL, where the database outlives the test).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from creditbank.extensions import db as flask_db

SQLITE_GUARDS = ("journal_entries_no_update", "journal_entries_no_delete")


def outcome(learner_id: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "learner_id": learner_id,
        "external_ref": f"ref-{os.urandom(6).hex()}",
        "kind": kind,
        "achieved_on": "2026-01-15",
        **fields,
    }


def build_bank(api: Any, learners: int = 3) -> list[str]:
    """``learners`` learners, each with hours, certificates, a void and a review."""
    api.publish_ruleset()
    _, provider = api.new_provider()
    ids = [api.new_learner() for _ in range(learners)]

    def post(body: dict[str, Any]) -> str:
        response = api.post("/api/v1/outcomes", provider, json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["outcome"]["id"]

    for learner in ids:
        first = post(outcome(learner, "training_hours", hours="10", category="theory"))
        post(outcome(learner, "training_hours", hours="14", category="theory"))
        for level in ("junior", "senior"):
            number = f"C-{os.urandom(4).hex()}"
            post(
                outcome(
                    learner,
                    "certificate",
                    certificate_code="1X-WEB",
                    level=level,
                    certificate_no=number,
                )
            )
        pending = post(outcome(learner, "informal", description="社区志愿服务 120 小时"))
        void = api.post(f"/api/v1/outcomes/{first}/void", provider, json={"reason": "录入错误"})
        assert void.status_code == 201, void.get_json()
        body = {"credits": "1.5", "category": "volunteering", "note": "工作站认定"}
        review = api.post(f"/api/v1/reviews/{pending}", api.workstation, json=body)
        assert review.status_code == 201, review.get_json()
    return ids


@contextmanager
def unguarded() -> Iterator[sa.Connection]:
    """A raw connection on which the journal's guards do not fire; committed on exit."""
    with flask_db.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            for trigger in SQLITE_GUARDS:
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
            yield connection
            return
        connection.exec_driver_sql("ALTER TABLE journal_entries DISABLE TRIGGER USER")
        yield connection
        connection.exec_driver_sql("ALTER TABLE journal_entries ENABLE TRIGGER USER")


def tamper(statement: str, **params: Any) -> None:
    with unguarded() as connection:
        result = connection.execute(sa.text(statement), params)
        assert result.rowcount == 1, f"{statement} changed {result.rowcount} rows"


def entries(learner_id: str) -> list[dict[str, Any]]:
    """A learner's stored rows, in seq order, as dicts."""
    with flask_db.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT * FROM journal_entries WHERE learner_id = :l ORDER BY seq"),
            {"l": learner_id},
        )
        return [dict(row._mapping) for row in rows]


def seq_of(learner_id: str, kind: str, nth: int = 0, **data: Any) -> int:
    """The seq of the ``nth`` entry of ``kind`` whose data holds ``data``."""
    matching = [
        row["seq"]
        for row in entries(learner_id)
        if row["kind"] == kind and data.items() <= json.loads(row["data"]).items()
    ]
    return matching[nth]


def audit_left_running(beat_minutes_ago: float) -> str:
    """An audit row as a run leaves it while ``running``, its last heartbeat that long ago
    (a process that died mid-run leaves just this); returns its id."""
    from datetime import UTC, datetime, timedelta

    from creditbank.domain.ids import new_id
    from creditbank.models import Audit

    beat = datetime.now(UTC) - timedelta(minutes=beat_minutes_ago)
    audit = Audit(
        id=new_id("au"),
        learner_id=None,
        status="running",
        started_at=beat - timedelta(minutes=1),
        heartbeat_at=beat,
        entries_checked=0,
        learners_checked=0,
        findings_total=0,
    )
    flask_db.session.add(audit)
    flask_db.session.commit()
    return audit.id


def audit_row(audit_id: str) -> dict[str, Any]:
    with flask_db.engine.connect() as connection:
        row = connection.execute(sa.text("SELECT * FROM audits WHERE id = :i"), {"i": audit_id})
        return dict(row.one()._mapping)
