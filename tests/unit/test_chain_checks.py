"""The pure chain, balance and export checks (creditbank.domain.chain_checks, .verify): every
problem becomes a finding with its learner and seq, and checking goes on past the first."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.domain.canonical import GENESIS_HASH, canonical_bytes, entry_hash
from creditbank.domain.chain_checks import BalanceCheck, ChainCheck, Finding
from creditbank.domain.checkpoint import sign_checkpoint
from creditbank.domain.merkle import inclusion_proof, leaf_hash, root_hash
from creditbank.domain.verify import verify_export

ORIGIN = "creditbank.test/ledger"


def chain(learner_id: str, deltas: list[int]) -> list[dict[str, Any]]:
    """Export entry lines: an outcome and a credit per delta, linked and hashed."""
    lines, previous, total = [], GENESIS_HASH, 0
    for seq in range(1, 2 * len(deltas) + 1):
        document: dict[str, Any] = {
            "learner_id": learner_id,
            "seq": seq,
            "kind": "outcome" if seq % 2 else "credit",
            "recorded_at": "2026-04-16T02:11:09.123456Z",
            "prev_hash": previous,
        }
        if seq % 2 == 0:
            delta = deltas[seq // 2 - 1]
            total += delta
            document.update(
                delta=f"{delta // 10}.{delta % 10}",
                running_total=f"{total // 10}.{total % 10}",
                category="theory",
                running_by_category={"theory": f"{total // 10}.{total % 10}"},
            )
        previous = entry_hash(document)
        lines.append({"entry": document, "hash": previous})
    return lines


def run_chain(lines: list[dict[str, Any]], head: tuple[int, str] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    check = ChainCheck(lines[0]["entry"]["learner_id"], findings)
    balance = BalanceCheck(check.learner_id, findings)
    for line in lines:
        check.feed(line["entry"], line["hash"])
        if line["entry"]["kind"] == "credit":
            balance.feed(line["entry"])
    if head is not None:
        check.finish(*head)
    balance.finish(check.last_seq)
    return findings


def where(findings: list[Finding]) -> set[tuple[Any, Any, str]]:
    return {(f.learner_id, f.seq, f.check) for f in findings}


def test_an_intact_chain_has_no_findings():
    lines = chain("L1", [5, 10, 20])

    assert run_chain(lines, (6, lines[-1]["hash"])) == []


def test_a_missing_entry_is_a_gap_and_a_broken_link_and_checking_goes_on():
    lines = chain("L1", [5, 10, 20])
    del lines[2]
    lines[4]["entry"]["category"] = "practice"  # and a later change

    assert where(run_chain(lines)) >= {
        ("L1", 3, "seq_gap"),
        ("L1", 4, "chain_link"),
        ("L1", 6, "entry_hash"),
    }


def test_the_cached_head_gives_away_a_deleted_tail_and_an_appended_forgery():
    lines = chain("L1", [5, 10])
    short = run_chain(lines[:-1], (4, lines[-1]["hash"]))
    long = run_chain(lines, (3, lines[2]["hash"]))

    assert where(short) == {("L1", 4, "seq_gap")}
    assert where(long) == {("L1", 4, "chain_link")}


def test_a_running_total_that_is_not_the_previous_plus_the_delta_is_one_finding():
    lines = chain("L1", [5, 10, 20])
    lines[3]["entry"]["running_total"] = "9.9"
    lines[3]["hash"] = entry_hash(lines[3]["entry"])  # re-hashed: only the balance is wrong
    for index in range(4, len(lines)):
        lines[index]["entry"]["prev_hash"] = lines[index - 1]["hash"]
        lines[index]["hash"] = entry_hash(lines[index]["entry"])

    findings = run_chain(lines)
    assert where(findings) == {("L1", 4, "balance")}
    assert "running_total 1.5" in findings[0].expected and "9.9" in findings[0].found


def test_a_cached_balance_that_differs_names_the_last_credit_entry():
    findings: list[Finding] = []
    balance = BalanceCheck("L1", findings)
    for line in chain("L1", [5, 10]):
        if line["entry"]["kind"] == "credit":
            balance.feed(line["entry"])
    balance.finish(4, (99, {"theory": 15}))

    assert where(findings) == {("L1", 4, "balance")}


# --- exports ---------------------------------------------------------------------------------


def export(learners: dict[str, list[int]], key: Ed25519PrivateKey, one: str | None = None):
    chains = {learner: chain(learner, deltas) for learner, deltas in learners.items()}
    ordered = sorted(chains, key=str.encode)
    leaves = [
        f"{id_}:{chains[id_][-1]['entry']['seq']}:{chains[id_][-1]['hash']}" for id_ in ordered
    ]
    checkpoint = sign_checkpoint(
        key, ORIGIN, ORIGIN, len(leaves), root_hash(leaf.encode() for leaf in leaves)
    )
    lines = [{"format": "creditbank-export", "version": 1, "learner_id": one, "checkpoint": None}]
    if one is None:
        for leaf in leaves:
            learner, seq, head = leaf.rsplit(":", 2)
            lines.append({"leaf": {"learner_id": learner, "seq": int(seq), "hash": head}})
    else:
        index = ordered.index(one)
        path = inclusion_proof(index, [leaf_hash(leaf.encode()) for leaf in leaves])
        proof = {
            "leaf_index": index,
            "tree_size": len(leaves),
            "leaf": leaves[index],
            "audit_path": [base64.b64encode(p).decode() for p in path],
        }
        lines.append({"proof": proof})
    for learner in ordered if one is None else [one]:
        lines.extend(chains[learner])
    return [canonical_bytes(line).decode() for line in lines], checkpoint


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_a_whole_bank_export_verifies_against_its_checkpoint(key):
    lines, checkpoint = export({"L2": [5], "L1": [5, 10], "L10": [20]}, key)

    report = verify_export(lines, checkpoint)
    assert (report.ok, report.checkpoint_verified, report.learners, report.entries) == (
        True,
        True,
        3,
        8,
    )


def test_a_one_learner_export_verifies_by_its_inclusion_proof(key):
    lines, checkpoint = export({"L2": [5], "L1": [5, 10], "L3": [20]}, key, one="L1")

    assert verify_export(lines, checkpoint).ok


def test_a_forged_proof_a_changed_root_and_a_wrong_key_all_fail(key):
    lines, checkpoint = export({"L2": [5], "L1": [5, 10], "L3": [20]}, key, one="L2")
    proof = json.loads(lines[1])
    proof["proof"]["audit_path"].reverse()
    forged = [lines[0], json.dumps(proof), *lines[2:]]
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()

    assert where(verify_export(forged, checkpoint).findings) == {("L2", 2, "checkpoint")}
    moved = {**checkpoint, "root": base64.b64encode(b"\x01" * 32).decode()}
    assert verify_export(lines, moved).checkpoint_verified is False
    assert verify_export(lines, checkpoint, other).checkpoint_verified is False


def test_malformed_and_scattered_lines_are_format_findings(key):
    lines, checkpoint = export({"L1": [5], "L2": [5]}, key)
    scattered = [*lines[:4], lines[5], lines[6], lines[4]]  # L2 between L1's entries

    assert {f.check for f in verify_export([*lines, "not json"], checkpoint).findings} == {"format"}
    assert "format" in {f.check for f in verify_export(scattered, checkpoint).findings}
    assert not verify_export([], None).ok
