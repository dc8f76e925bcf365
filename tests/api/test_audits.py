"""``/api/v1/audits``: who may audit, the JSON shape of API.md, CSV and HTML, the findings
pages, and the 202 path of a bank too large to audit within the request."""

from __future__ import annotations

import csv
import dataclasses
import io
import time

import pytest

from creditbank.extensions import db as flask_db
from tests.api.helpers import assert_problem, walk_pages
from tests.integration.banks import audit_left_running, audit_row, build_bank, tamper

FINDING_KEYS = {"learner_id", "seq", "check", "expected", "found"}
AUDIT_KEYS = {
    "id",
    "status",
    "entries_checked",
    "learners_checked",
    "findings_total",
    "findings",
    "checkpoint",
}


@pytest.fixture
def bank(api) -> list[str]:
    return build_bank(api, learners=2)


def tamper_balances(learners: list[str]) -> None:
    for learner in learners:
        tamper("UPDATE accounts SET balance = balance + 10 WHERE learner_id = :l", l=learner)


def test_the_workstation_audits_the_bank_within_the_request(api, bank):
    response = api.post("/api/v1/audits", api.workstation, json={})

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body.keys() >= AUDIT_KEYS
    assert (body["status"], body["findings_total"], body["findings"]) == ("passed", 0, [])
    assert body["learners_checked"] == 2 and body["entries_checked"] > 20
    assert body["checkpoint"] is None  # none made yet
    assert api.get(f"/api/v1/audits/{body['id']}", api.workstation).get_json() == body


def test_the_auditor_may_audit_one_learner_and_read_it(api, bank):
    auditor = api.auditor
    response = api.post("/api/v1/audits", auditor, json={"learner_id": bank[0]})

    assert response.status_code == 201
    body = response.get_json()
    assert (body["status"], body["learners_checked"]) == ("passed", 1)
    assert api.get(f"/api/v1/audits/{body['id']}", auditor).status_code == 200
    assert api.get(f"/api/v1/audits/{body['id']}/findings", auditor).status_code == 200


def test_providers_and_learners_may_not_audit_nor_read_audits(api, bank):
    audit_id = api.post("/api/v1/audits", api.workstation, json={}).get_json()["id"]
    _, provider = api.new_provider()
    learner = api.learner_headers(api.new_learner())

    for headers in (provider, learner):
        assert_problem(api.post("/api/v1/audits", headers, json={}), 403, "forbidden")
        assert_problem(api.get(f"/api/v1/audits/{audit_id}", headers), 403, "forbidden")
        findings = api.get(f"/api/v1/audits/{audit_id}/findings", headers)
        assert_problem(findings, 403, "forbidden")


def test_an_unknown_learner_or_field_is_a_422_and_an_unknown_audit_a_404(api, bank):
    unknown = api.post("/api/v1/audits", api.workstation, json={"learner_id": "Lnobody"})
    assert_problem(unknown, 422, "unknown_learner", "learner_id")
    extra = api.post("/api/v1/audits", api.workstation, json={"scope": "all"})
    assert_problem(extra, 422, "validation_error", "scope")
    assert_problem(api.get("/api/v1/audits/au_nothing", api.workstation), 404, "not_found")


def test_a_failed_audit_names_learner_seq_check_expected_and_found(api, bank):
    tamper_balances([bank[1]])

    body = api.post("/api/v1/audits", api.workstation, json={}).get_json()

    assert (body["status"], body["findings_total"]) == ("failed", 1)
    [finding] = body["findings"]
    assert finding.keys() == FINDING_KEYS
    assert (finding["learner_id"], finding["check"]) == (bank[1], "balance")
    assert isinstance(finding["seq"], int) and finding["expected"] != finding["found"]


def test_findings_inline_are_capped_and_all_of_them_page_by_cursor(api, bank, monkeypatch):
    from creditbank.services import audit_reports

    monkeypatch.setattr(audit_reports, "INLINE_FINDINGS", 3)
    for learner in bank:
        for seq in (2, 5, 7):
            tamper(
                "DELETE FROM journal_entries WHERE learner_id = :l AND seq = :s", l=learner, s=seq
            )

    body = api.post("/api/v1/audits", api.workstation, json={}).get_json()
    pages = walk_pages(api, f"/api/v1/audits/{body['id']}/findings", api.workstation, limit=2)

    assert body["findings_total"] > 3 and len(body["findings"]) == 3
    assert body["findings_next_cursor"]
    assert len(pages) == body["findings_total"]
    assert pages[:3] == body["findings"]
    assert {(bank[0], 2, "seq_gap"), (bank[1], 7, "seq_gap")} <= {
        (f["learner_id"], f["seq"], f["check"]) for f in pages
    }


def test_an_audit_as_csv_lists_every_finding_under_a_header(api, bank):
    tamper_balances(bank)
    audit_id = api.post("/api/v1/audits", api.workstation, json={}).get_json()["id"]

    response = api.get(f"/api/v1/audits/{audit_id}", {**api.workstation, "Accept": "text/csv"})

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["learner_id", "seq", "check", "expected", "found"]
    assert sorted(row[0] for row in rows[1:]) == sorted(bank)


def test_an_audit_as_html_is_a_printable_report_in_chinese(api, bank):
    tamper_balances([bank[0]])
    audit_id = api.post("/api/v1/audits", api.workstation, json={}).get_json()["id"]

    response = api.get(f"/api/v1/audits/{audit_id}", {**api.auditor, "Accept": "text/html"})

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    for text in (
        "账本审计报告",
        audit_id,
        bank[0],
        "余额不符",
        "balance",
        "未通过",
        "@media print",
    ):
        assert text in html


def test_an_unoffered_media_type_is_406(api, bank):
    audit_id = api.post("/api/v1/audits", api.workstation, json={}).get_json()["id"]

    response = api.get(f"/api/v1/audits/{audit_id}", {**api.workstation, "Accept": "image/png"})

    assert_problem(response, 406, "not_acceptable")


def test_the_audit_reports_the_latest_checkpoint_verified(api, bank):
    checkpoint = api.post("/api/v1/checkpoints", api.workstation).get_json()

    body = api.post("/api/v1/audits", api.workstation, json={}).get_json()

    assert body["checkpoint"]["id"] == checkpoint["id"]
    assert body["checkpoint"]["verified"] is True
    assert body["checkpoint"]["root"] == checkpoint["root"]


def test_a_large_bank_is_audited_in_the_background_202_then_polled(api, app, bank):
    settings = app.extensions["creditbank.settings"]
    app.extensions["creditbank.settings"] = dataclasses.replace(
        settings, audit_inline_max_entries=5
    )
    tamper_balances([bank[0]])

    response = api.post("/api/v1/audits", api.workstation, json={})

    assert response.status_code == 202, response.get_json()
    assert response.get_json()["status"] == "running"
    body = poll(api, response.get_json()["id"])
    assert (body["status"], body["findings_total"]) == ("failed", 1)
    assert body["entries_checked"] > 5 and body["finished_at"]
    assert body["findings"][0]["learner_id"] == bank[0]


def test_the_next_audit_marks_a_run_whose_worker_died_and_leaves_a_live_one(api, bank):
    dead = audit_left_running(beat_minutes_ago=11)  # the stale limit is 10 minutes
    alive = audit_left_running(beat_minutes_ago=1)

    response = api.post("/api/v1/audits", api.workstation, json={})

    assert response.status_code == 201, response.get_json()
    flask_db.session.remove()
    ended = api.get(f"/api/v1/audits/{dead}", api.workstation).get_json()
    assert (ended["status"], bool(ended["finished_at"])) == ("error", True)
    assert ended["error"].startswith("stale: no heartbeat since"), ended["error"]
    still = api.get(f"/api/v1/audits/{alive}", api.workstation).get_json()
    assert (still["status"], still["finished_at"], still["error"]) == ("running", None, None)
    finished = audit_row(response.get_json()["id"])
    assert finished["heartbeat_at"] >= finished["started_at"]  # a run beats as it goes


def poll(api, audit_id: str, seconds: float = 60) -> dict:
    """GET until the audit is no longer running. The test's requests share the fixture's app
    context, hence one session: end it before each read, as a real request would, or SQLite
    keeps showing the snapshot of the first read."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        flask_db.session.remove()
        body = api.get(f"/api/v1/audits/{audit_id}", api.workstation).get_json()
        if body["status"] != "running":
            return body
        time.sleep(0.05)
    raise AssertionError(f"audit {audit_id} still running after {seconds} s")
