"""Audits and offline verification of the college half (PROGRAMMES.md § Audits, scenario 13):
the worked example, decided through the API, audits clean and its export verifies; a tampered
``transfer`` is pinpointed by ``POST /audits`` and by ``creditbank verify``; a cached
``converted`` or an item that disagrees with the journal is found too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from creditbank.domain.canonical import canonical_bytes
from tests.integration.banks import entries, tamper
from tests.integration.test_audit import rehash_from
from tests.integration.transfer_banks import lines, open_bank, void_and_revoke, zhang_san

CREDITBANK = Path(sys.executable).with_name("creditbank")
NCRE_DEBITS_3 = {"amount": "3.0"}  # and its one source's amount, below


@pytest.fixture
def cli(settings, tmp_path):
    """``creditbank …`` in a process of its own: on the test's database (``db=True``), or
    with no database and no keys to reach at all, as a third party verifies."""
    bank = {
        "CREDITBANK_DATABASE_URL": settings.database_url,
        "CREDITBANK_KEYS_DIR": str(settings.keys_dir),
    }
    nowhere = {
        "CREDITBANK_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing",
        "CREDITBANK_KEYS_DIR": str(tmp_path / "no-keys"),
    }

    def run(*arguments: str, db: bool = False) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "CREDITBANK_ENV": "test",
            "CREDITBANK_INSTANCE_PATH": str(tmp_path),
            "CREDITBANK_LOG_LEVEL": "WARNING",
            **(bank if db else nowhere),
        }
        return subprocess.run(
            [str(CREDITBANK), *arguments], cwd=tmp_path, env=env, capture_output=True, text=True
        )

    return run


def audit(api: Any, learner_id: str | None = None) -> dict[str, Any]:
    body = {} if learner_id is None else {"learner_id": learner_id}
    response = api.post("/api/v1/audits", api.auditor, json=body)
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def checkpoint(api: Any, folder: Path) -> None:
    assert api.post("/api/v1/checkpoints", api.workstation).status_code == 201
    latest = api.get("/api/v1/checkpoints/latest", api.auditor).get_json()
    (folder / "checkpoint.json").write_text(json.dumps(latest), encoding="utf-8")


def export_and_verify(cli: Any, learner_id: str, *, signed: bool = True):
    exported = cli("export", "--learner", learner_id, "--out", "learner.jsonl", db=True)
    assert exported.returncode == 0, exported.stderr
    options = ["--checkpoint", "checkpoint.json"] if signed else []
    return cli("verify", "learner.jsonl", *options)


def forge_seq_13(learner_id: str, *, rehash: bool) -> str:
    """Make ICT100's transfer (seq 13) debit 3.0 of o_NCRE, which earned 2.0; the forger
    drops the guards and, with ``rehash``, re-hashes the chain and the head after it."""
    row = entries(learner_id)[12]
    data = json.loads(row["data"])
    assert (row["kind"], data["course_code"], data["amount"]) == ("transfer", "ICT100", "2.0")
    sources = [{**data["sources"][0], "amount": "3.0"}]
    if rehash:
        rehash_from(learner_id, 13, {"sources": sources, **NCRE_DEBITS_3})
    else:
        data.update(sources=sources, **NCRE_DEBITS_3)
        text = canonical_bytes(data).decode("utf-8")
        tamper(
            "UPDATE journal_entries SET data = :d WHERE learner_id = :l AND seq = 13",
            d=text,
            l=learner_id,
        )
    return str(data["sources"][0]["outcome_id"])


def where(findings: list[dict[str, Any]]) -> set[tuple[str, int, str]]:
    return {(f["learner_id"], f["seq"], f["check"]) for f in findings}


def test_scenario_13_the_worked_example_audits_clean_and_its_export_verifies(api, cli, tmp_path):
    college, provider = open_bank(api)
    zs = zhang_san(api, college, provider)
    void_and_revoke(api, college, provider, zs)
    later = lines(api, college, provider)

    whole = audit(api)
    one = audit(api, zs.learner_id)

    assert (whole["status"], whole["findings_total"]) == ("passed", 0)
    assert (one["status"], one["findings_total"], one["entries_checked"]) == ("passed", 0, 17)
    kinds = [row["kind"] for row in entries(zs.learner_id)]
    assert kinds[10:] == ["transfer"] * 4 + ["void", "credit", "reversal"]
    checkpoint(api, tmp_path)
    for learner in (zs, later):
        verified = export_and_verify(cli, learner.learner_id)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "verified" in verified.stdout and "NOT" not in verified.stdout
    exported = [json.loads(line) for line in (tmp_path / "learner.jsonl").read_text().splitlines()]
    assert (exported[0]["format"], exported[0]["version"]) == ("creditbank-export", 1)
    assert [line["entry"]["kind"] for line in exported if "entry" in line] == [
        "outcome",
        "credit",
        "outcome",
        "credit",
        "transfer",
    ]  # scenario 10's learner, exported last
    assert not (tmp_path / "no-keys").exists(), "verify loaded the app"


def test_a_tampered_transfer_is_pinpointed_by_the_audit_and_by_verify(api, cli, tmp_path):
    college, provider = open_bank(api)
    zs = zhang_san(api, college, provider)
    bystander = lines(api, college, provider)
    checkpoint(api, tmp_path)
    ncre = forge_seq_13(zs.learner_id, rehash=False)

    found = audit(api)

    assert found["status"] == "failed"
    documented = {
        "learner_id": zs.learner_id,
        "seq": 13,
        "check": "transfer",
        "expected": f"{ncre} debits 2.0 (its credits at seq 13)",
        "found": "amount 3.0",
    }
    assert documented in found["findings"]
    assert (zs.learner_id, 13, "entry_hash") in where(found["findings"])
    assert {f["learner_id"] for f in found["findings"]} == {zs.learner_id}
    assert audit(api, bystander.learner_id)["status"] == "passed"
    verified = export_and_verify(cli, zs.learner_id)
    assert verified.returncode == 1
    assert (
        f"transfer: learner {zs.learner_id} seq 13: expected {ncre} debits 2.0 "
        "(its credits at seq 13); found amount 3.0"
    ) in verified.stdout
    assert f"entry_hash: learner {zs.learner_id} seq 13" in verified.stdout


def test_a_rehashed_forgery_is_caught_by_the_transfer_replay_alone(api, cli, tmp_path):
    """The forger re-hashes everything after seq 13 and the cached head: the chain is
    perfect, only the rules the transfer no longer follows give it away."""
    college, provider = open_bank(api)
    zs = zhang_san(api, college, provider)
    ncre = forge_seq_13(zs.learner_id, rehash=True)

    found = audit(api, zs.learner_id)
    verified = export_and_verify(cli, zs.learner_id, signed=False)

    assert found["status"] == "failed"
    assert {f["check"] for f in found["findings"]} == {"transfer", "balance"}
    assert (zs.learner_id, 13, "transfer") in where(found["findings"])
    assert verified.returncode == 1
    assert f"transfer: learner {zs.learner_id} seq 13: expected {ncre} debits 2.0" in (
        verified.stdout
    )
    assert not any(check in verified.stdout for check in ("entry_hash", "chain_link", "seq_gap"))


def test_a_cached_converted_that_disagrees_is_a_balance_finding(api):
    college, provider = open_bank(api)
    zs = zhang_san(api, college, provider)
    assert audit(api)["status"] == "passed"

    tamper("UPDATE accounts SET converted = 116 WHERE learner_id = :l", l=zs.learner_id)
    found = audit(api)["findings"]

    assert found == [
        {
            "learner_id": zs.learner_id,
            "seq": 14,
            "check": "balance",
            "expected": 'cached converted = last converted_total 11.5 {"certificate":"8.0",'
            '"practice":"3.5"}',
            "found": 'cached converted 11.6 {"certificate":"8.0","practice":"3.5"}',
        }
    ]
    for by_category in ('{"certificate":80}', "not json"):
        tamper(
            "UPDATE accounts SET converted = 115, converted_by_category = :c WHERE learner_id = :l",
            c=by_category,
            l=zs.learner_id,
        )
        assert where(audit(api)["findings"]) == {(zs.learner_id, 14, "balance")}


def test_items_that_disagree_with_the_journal_are_transfer_findings(api):
    college, provider = open_bank(api)
    zs = zhang_san(api, college, provider)
    voided = api.post(
        f"/api/v1/outcomes/{zs.outcomes['NCRE']}/void", provider, json={"reason": "撤销"}
    )
    assert voided.status_code == 201
    assert audit(api)["status"] == "passed"  # ti_4 was flagged by the void

    ict100 = {"l": zs.learner_id, "i": zs.items[3]}
    tamper("UPDATE transfer_items SET flag = NULL WHERE learner_id = :l AND id = :i", **ict100)
    tamper("UPDATE transfer_items SET grade = '优秀' WHERE learner_id = :l AND id = :i", **ict100)
    found = audit(api)["findings"]

    assert [(f["seq"], f["check"], f["found"]) for f in found] == [
        (
            13,
            "transfer",
            f"item {zs.items[3]} approved, transfer_seq 13, reversal_seq None, ICT100 2.0 "
            "credits, grade 优秀",
        ),
        (13, "transfer", "not flagged"),
    ]
    assert found[1]["expected"] == (
        f"item {zs.items[3]} flagged source_changed ({zs.outcomes['NCRE']} short)"
    )


def test_the_check_is_documented_and_reported(api):
    college, provider = open_bank(api)
    zs = zhang_san(api, college, provider)
    forge_seq_13(zs.learner_id, rehash=False)
    audit_id = audit(api)["id"]

    spec = api.get("/api/v1/openapi.json").get_json()
    html = api.get(f"/api/v1/audits/{audit_id}", {**api.auditor, "Accept": "text/html"})
    csv_text = api.get(f"/api/v1/audits/{audit_id}", {**api.auditor, "Accept": "text/csv"})

    assert "transfer" in spec["components"]["schemas"]["Finding"]["properties"]["check"]["enum"]
    assert html.status_code == 200 and "转换不符" in html.get_data(as_text=True)
    assert f"{zs.learner_id},13,transfer," in csv_text.get_data(as_text=True)


def test_slices_and_worker_processes_find_what_one_process_finds(api, monkeypatch):
    """Each slice reads the catalogues and its learners' items in its own snapshot."""
    from creditbank.services import audits
    from tests.integration.test_audit import findings_of

    monkeypatch.setattr(audits, "SLICE_ENTRIES", 5)  # a slice or so per learner
    college, provider = open_bank(api)
    learners = [lines(api, college, provider), zhang_san(api, college, provider)]
    learners.append(lines(api, college, provider))
    forge_seq_13(learners[1].learner_id, rehash=False)
    tamper("UPDATE accounts SET converted = 1 WHERE learner_id = :l", l=learners[2].learner_id)

    def summary(audit_id: str) -> list[tuple[Any, ...]]:
        return [(f.learner_id, f.seq, f.check, f.expected, f.found) for f in findings_of(audit_id)]

    alone = audits.run_audit(workers=1)
    pooled = audits.run_audit(workers=2)
    assert summary(pooled.id) == summary(alone.id)
    assert {(f[0], f[1], f[2]) for f in summary(alone.id)} == {
        (learners[1].learner_id, 13, "entry_hash"),
        (learners[1].learner_id, 13, "transfer"),
        (learners[1].learner_id, 13, "balance"),  # 6.0 + 3.0 is not its converted_total
        (learners[2].learner_id, 5, "balance"),  # its one transfer, the last entry
    }
