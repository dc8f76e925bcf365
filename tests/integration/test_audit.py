"""Audits find every kind of tampering and name the learner and entry (DESIGN.md § Audit).

Each test makes one change through a raw connection with the guards off, then audits: the
audit must fail, name the tampered learner and seq, and leave the other learners alone. An
untouched bank passes; the audit itself never writes to the journal.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from creditbank.domain.canonical import entry_hash
from creditbank.extensions import db as flask_db
from creditbank.journal import entry_document
from creditbank.models import Account, AuditFinding, JournalEntry
from creditbank.services import audits
from creditbank.services.audits import run_audit
from creditbank.services.checkpoints import create_checkpoint
from tests.integration.banks import build_bank, entries, seq_of, tamper, unguarded

pytestmark = pytest.mark.usefixtures("cheap_secret_hashing")


@pytest.fixture
def bank(api) -> list[str]:
    return build_bank(api)


def findings_of(audit_id: str) -> list[AuditFinding]:
    with Session(flask_db.engine) as session:
        query = sa.select(AuditFinding).where(AuditFinding.audit_id == audit_id)
        return list(session.scalars(query.order_by(AuditFinding.number)))


def audit_fails_at(learner_id: str, seq: int, check: str, **options: Any) -> list[AuditFinding]:
    """Audit the bank: it fails, names (learner, seq, check), and no other learner."""
    audit = run_audit(**options)
    found = findings_of(audit.id)
    assert audit.status == "failed"
    assert audit.findings_total == len(found)
    assert (learner_id, seq, check) in {(f.learner_id, f.seq, f.check) for f in found}, [
        (f.learner_id, f.seq, f.check, f.expected, f.found) for f in found
    ]
    assert {f.learner_id for f in found} <= {learner_id, None}
    return found


def test_an_untouched_bank_passes_and_counts_what_it_read(bank):
    audit = run_audit()

    total = sum(len(entries(learner)) for learner in bank)
    assert (audit.status, audit.findings_total) == ("passed", 0)
    assert audit.entries_checked == total
    assert audit.learners_checked == len(bank)
    assert audit.finished_at is not None
    assert findings_of(audit.id) == []


def test_the_audit_never_writes_to_the_journal_or_the_accounts(bank):
    def snapshot() -> list[tuple]:
        with flask_db.engine.connect() as connection:
            journal = connection.exec_driver_sql("SELECT * FROM journal_entries ORDER BY 1, 2")
            accounts = connection.exec_driver_sql("SELECT * FROM accounts ORDER BY 1")
            return [tuple(row) for row in [*journal, *accounts]]

    before = snapshot()
    tamper("UPDATE accounts SET balance = balance + 10 WHERE learner_id = :l", l=bank[0])
    changed = snapshot()
    run_audit()

    assert snapshot() == changed != before


def test_a_changed_outcome_field_is_an_entry_hash_finding_at_that_seq(bank):
    learner = bank[1]
    seq = seq_of(learner, "outcome", outcome_kind="training_hours", hours="14.0")
    row = entries(learner)[seq - 1]
    data = {**json.loads(row["data"]), "hours": "40.0"}
    tamper(
        "UPDATE journal_entries SET data = :d WHERE learner_id = :l AND seq = :s",
        d=json.dumps(data, sort_keys=True, separators=(",", ":")),
        l=learner,
        s=seq,
    )

    found = audit_fails_at(learner, seq, "entry_hash")
    # 40 hours would earn more than was credited: the replay sees it too.
    assert (learner, seq, "replay") in {(f.learner_id, f.seq, f.check) for f in found}


def test_a_changed_hash_breaks_that_entry_and_the_next_link(bank):
    learner = bank[0]
    tamper(
        "UPDATE journal_entries SET hash = :h WHERE learner_id = :l AND seq = 3",
        h="f" * 64,
        l=learner,
    )

    found = audit_fails_at(learner, 3, "entry_hash")
    assert (learner, 4, "chain_link") in {(f.learner_id, f.seq, f.check) for f in found}


def test_a_deleted_entry_in_the_middle_is_a_seq_gap_at_its_seq(bank):
    learner = bank[2]
    tamper("DELETE FROM journal_entries WHERE learner_id = :l AND seq = 4", l=learner)

    found = audit_fails_at(learner, 4, "seq_gap")
    assert (learner, 5, "chain_link") in {(f.learner_id, f.seq, f.check) for f in found}


def test_a_deleted_last_entry_is_found_against_the_cached_head(bank):
    learner = bank[0]
    last = len(entries(learner))
    tamper("DELETE FROM journal_entries WHERE learner_id = :l AND seq = :s", l=learner, s=last)

    audit_fails_at(learner, last, "seq_gap")


def test_a_changed_credit_delta_is_found_at_that_credit_entry(bank):
    learner = bank[1]
    seq = seq_of(learner, "credit", 1)
    tamper(
        "UPDATE journal_entries SET delta = delta + 10 WHERE learner_id = :l AND seq = :s",
        l=learner,
        s=seq,
    )

    found = audit_fails_at(learner, seq, "entry_hash")
    assert (learner, seq, "balance") in {(f.learner_id, f.seq, f.check) for f in found}


def test_a_changed_cached_balance_is_found_at_the_last_credit_entry(bank):
    learner = bank[2]
    last_credit = max(row["seq"] for row in entries(learner) if row["kind"] == "credit")
    tamper("UPDATE accounts SET balance = balance + 10 WHERE learner_id = :l", l=learner)

    audit_fails_at(learner, last_credit, "balance")


def test_a_changed_cached_category_balance_is_found_too(bank):
    learner = bank[0]
    tamper(
        "UPDATE accounts SET balance_by_category = :b WHERE learner_id = :l",
        b='{"theory":999}',
        l=learner,
    )

    last_credit = max(row["seq"] for row in entries(learner) if row["kind"] == "credit")
    audit_fails_at(learner, last_credit, "balance")


def test_an_appended_forgery_with_a_valid_hash_is_found_beyond_the_cached_head(bank):
    """The forger links and hashes the entry correctly; only the head cache gives it away."""
    learner = bank[1]
    head = flask_db.session.get(Account, learner)
    forged = JournalEntry(
        learner_id=learner,
        seq=head.head_seq + 1,
        kind="credit",
        recorded_at=head.head_recorded_at,
        prev_hash=head.head_hash,
        outcome_id="o_forged",
        category="theory",
        delta=50,
        running_total=head.balance + 50,
        reason="credited",
        data=json.dumps({"running_by_category": {"theory": "9.9"}, "rule": None}),
    )
    forged.hash = entry_hash(entry_document(forged))
    with unguarded() as connection:
        columns = [c.name for c in JournalEntry.__table__.c]
        row = {name: getattr(forged, name) for name in columns}
        connection.execute(sa.insert(JournalEntry.__table__), row)
    flask_db.session.rollback()

    found = audit_fails_at(learner, head.head_seq + 1, "chain_link")
    assert not any(f.check == "entry_hash" for f in found)  # a well-made forgery


def test_a_consistently_rehashed_chain_is_still_caught_by_replay_and_the_checkpoint(bank):
    """Rewrite an outcome and re-hash everything after it, head cache included: the chain is
    then perfect, but the credits no longer follow from the rules, and the checkpoint signed
    the old head."""
    create_checkpoint()
    learner = bank[0]
    seq = seq_of(learner, "outcome", outcome_kind="training_hours", hours="14.0")
    rehash_from(learner, seq, {"hours": "40.0"})

    found = audit_fails_at(learner, seq, "replay")
    checks = {f.check for f in found}
    assert checks >= {"replay", "checkpoint"}
    assert not checks & {"entry_hash", "chain_link", "seq_gap"}


def rehash_from(learner_id: str, seq: int, changes: dict[str, Any]) -> None:
    session = Session(flask_db.engine)
    rows = session.scalars(
        sa.select(JournalEntry)
        .where(JournalEntry.learner_id == learner_id, JournalEntry.seq >= seq)
        .order_by(JournalEntry.seq)
    ).all()
    previous = session.get(JournalEntry, (learner_id, seq - 1)).hash
    updates = []
    for row in rows:
        data = json.loads(row.data)
        if row.seq == seq:
            data.update(changes)
        row.data = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        row.prev_hash = previous
        previous = entry_hash(entry_document(row))
        updates.append({"l": learner_id, "s": row.seq, "d": row.data, "p": row.prev_hash})
        updates[-1]["h"] = previous
    session.close()
    with unguarded() as connection:
        connection.execute(
            sa.text(
                "UPDATE journal_entries SET data = :d, prev_hash = :p, hash = :h "
                "WHERE learner_id = :l AND seq = :s"
            ),
            updates,
        )
        connection.execute(
            sa.text("UPDATE accounts SET head_hash = :h WHERE learner_id = :l"),
            {"h": previous, "l": learner_id},
        )


def test_a_checkpoint_whose_signature_was_altered_is_not_verified(bank):
    checkpoint = create_checkpoint()
    signature = bytearray(base64.b64decode(checkpoint["signature"]))
    signature[0] ^= 1
    tamper(
        "UPDATE checkpoints SET signature = :s WHERE id = :i",
        s=base64.b64encode(bytes(signature)).decode(),
        i=checkpoint["id"],
    )

    audit = run_audit()
    found = findings_of(audit.id)
    assert (audit.status, audit.checkpoint_verified) == ("failed", False)
    assert [(f.learner_id, f.seq, f.check) for f in found] == [(None, None, "checkpoint")]


def test_a_checkpoint_whose_root_was_altered_is_not_verified(bank):
    checkpoint = create_checkpoint()
    tamper(
        "UPDATE checkpoints SET root = :r WHERE id = :i",
        r=base64.b64encode(b"\x01" * 32).decode(),
        i=checkpoint["id"],
    )

    audit = run_audit()
    assert (audit.status, audit.checkpoint_verified) == ("failed", False)
    assert {f.check for f in findings_of(audit.id)} == {"checkpoint"}


def test_a_signed_head_whose_hash_changed_is_a_checkpoint_finding_at_that_head(bank):
    learner = bank[2]
    checkpoint = create_checkpoint()
    head = len(entries(learner))
    tamper(
        "UPDATE journal_entries SET hash = :h WHERE learner_id = :l AND seq = :s",
        h="0" * 63 + "1",
        l=learner,
        s=head,
    )

    audit_fails_at(learner, head, "checkpoint")
    assert run_audit().checkpoint_id == checkpoint["id"]


def test_an_intact_bank_with_a_checkpoint_passes_and_verifies_it(api, bank):
    checkpoint = create_checkpoint()
    _, provider = api.new_provider()
    api.post_outcome(provider, bank[0], hours="16")  # heads move on after the checkpoint

    audit = run_audit()
    assert (audit.status, audit.checkpoint_id, audit.checkpoint_verified) == (
        "passed",
        checkpoint["id"],
        True,
    )


def test_a_one_learner_audit_reads_only_that_learner(bank):
    tamper("UPDATE accounts SET balance = balance + 10 WHERE learner_id = :l", l=bank[0])

    clean = run_audit(bank[1])
    assert (clean.status, clean.learners_checked) == ("passed", 1)
    assert clean.entries_checked == len(entries(bank[1]))
    assert run_audit(bank[0]).status == "failed"


def test_findings_go_on_past_the_first_and_are_stored_in_numbered_batches(bank, monkeypatch):
    monkeypatch.setattr(audits, "FINDINGS_BATCH", 2)
    for learner in bank:
        tamper("UPDATE accounts SET balance = balance + 10 WHERE learner_id = :l", l=learner)
        tamper("DELETE FROM journal_entries WHERE learner_id = :l AND seq = 2", l=learner)

    audit = run_audit()
    found = findings_of(audit.id)
    assert [f.number for f in found] == list(range(1, audit.findings_total + 1))
    assert {f.learner_id for f in found} == set(bank)
    assert {(learner, 2, "seq_gap") for learner in bank} <= {
        (f.learner_id, f.seq, f.check) for f in found
    }


def test_worker_processes_find_exactly_what_one_process_finds(bank, monkeypatch):
    monkeypatch.setattr(audits, "SLICE_ENTRIES", 5)  # several slices, one learner or so each
    tamper("DELETE FROM journal_entries WHERE learner_id = :l AND seq = 4", l=bank[1])
    tamper("UPDATE accounts SET balance = 1 WHERE learner_id = :l", l=bank[2])

    def summary(audit_id: str) -> list[tuple]:
        return [(f.learner_id, f.seq, f.check, f.expected, f.found) for f in findings_of(audit_id)]

    alone = run_audit(workers=1)
    pooled = run_audit(workers=2)
    assert summary(pooled.id) == summary(alone.id) != []
    assert (pooled.entries_checked, pooled.learners_checked) == (
        alone.entries_checked,
        alone.learners_checked,
    )
