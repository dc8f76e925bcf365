"""Exports verify offline: by ``creditbank verify`` (run with no database and no keys at all),
and by a verifier written here from the description in docs/verification.md alone — hashlib,
json, base64 and cryptography's Ed25519, nothing of creditbank's — which a third party could
have written.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from creditbank.services.checkpoints import create_checkpoint
from creditbank.services.journal_export import export_lines
from tests.integration.banks import build_bank

pytestmark = pytest.mark.usefixtures("cheap_secret_hashing")

CREDITBANK = Path(sys.executable).with_name("creditbank")


# --- a verifier written from docs/verification.md ---------------------------------------------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return sha256(b"\x00" + leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def inclusion_holds(index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    fn, sn, r = index, size - 1, sha256(b"\x00" + leaf)
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = sha256(b"\x01" + r + p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def checkpoint_problems(checkpoint: dict[str, Any], jwks: dict[str, Any]) -> list[str]:
    problems = []
    key = next(k for k in jwks["keys"] if k["kid"] == checkpoint["key_id"])
    raw = base64.urlsafe_b64decode(key["x"] + "=" * (-len(key["x"]) % 4))
    if raw != base64.b64decode(checkpoint["public_key"]):
        problems.append("public key is not the JWKS key")
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(
            base64.b64decode(checkpoint["signature"]), checkpoint["body"].encode()
        )
    except InvalidSignature:
        problems.append("bad signature")
    body = f"{checkpoint['origin']}\n{checkpoint['tree_size']}\n{checkpoint['root']}\n"
    if checkpoint["body"] != body:
        problems.append("body does not say origin, tree_size and root")
    return problems


def chain_problems(entry_lines: list[dict[str, Any]]) -> tuple[list[str], dict[tuple, str]]:
    problems: list[str] = []
    hashes: dict[tuple, str] = {}
    state: dict[str, dict[str, Any]] = {}
    previous_learner = None
    for line in entry_lines:
        entry, learner = line["entry"], line["entry"]["learner_id"]
        if learner != previous_learner and learner in state:
            problems.append(f"{learner}: entries not consecutive")
        previous_learner = learner
        s = state.setdefault(learner, {"seq": 1, "prev": "0" * 64, "total": Decimal(0), "by": {}})
        where = f"{learner} seq {entry['seq']}"
        if entry["seq"] != s["seq"]:
            problems.append(f"{where}: expected seq {s['seq']}")
        if entry["prev_hash"] != s["prev"]:
            problems.append(f"{where}: broken link")
        canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if hashlib.sha256(canonical.encode("utf-8")).hexdigest() != line["hash"]:
            problems.append(f"{where}: hash does not match")
        s["seq"], s["prev"] = entry["seq"] + 1, line["hash"]
        hashes[(learner, entry["seq"])] = line["hash"]
        if entry["kind"] == "credit":
            s["total"] += Decimal(entry["delta"])
            s["by"][entry["category"]] = s["by"].get(entry["category"], 0) + Decimal(entry["delta"])
            by = {name: Decimal(value) for name, value in entry["running_by_category"].items()}
            if Decimal(entry["running_total"]) != s["total"] or by != s["by"]:
                problems.append(f"{where}: running totals")
    return problems, hashes


def readme_verify(text: str, checkpoint: dict[str, Any], jwks: dict[str, Any]) -> list[str]:
    """Every problem found, as docs/verification.md § "Verifying an export" lists the steps."""
    assert text.endswith("\n")
    items = [json.loads(line) for line in text.split("\n")[:-1]]
    header = items[0]
    problems = checkpoint_problems(checkpoint, jwks)
    if (header["format"], header["version"]) != ("creditbank-export", 1):
        problems.append("not an export")
    chain, hashes = chain_problems([item for item in items if "entry" in item])
    problems += chain
    root = base64.b64decode(checkpoint["root"])
    if header["learner_id"] is None:
        leaves = [item["leaf"] for item in items if "leaf" in item]
        ids = [leaf["learner_id"].encode() for leaf in leaves]
        if len(leaves) != checkpoint["tree_size"] or ids != sorted(set(ids)):
            problems.append("leaves: count or order")
        data = [f"{leaf['learner_id']}:{leaf['seq']}:{leaf['hash']}".encode() for leaf in leaves]
        if mth(data) != root:
            problems.append("root over the leaves")
        for leaf in leaves:
            if hashes.get((leaf["learner_id"], leaf["seq"])) != leaf["hash"]:
                problems.append(f"{leaf['learner_id']}: signed head not in the export")
        return problems
    [proof] = [item["proof"] for item in items if "proof" in item]
    learner, seq, head = proof["leaf"].rsplit(":", 2)
    path = [base64.b64decode(p) for p in proof["audit_path"]]
    if learner != header["learner_id"] or hashes.get((learner, int(seq))) != head:
        problems.append("proof: leaf is not the learner's entry")
    if proof["tree_size"] != checkpoint["tree_size"] or not inclusion_holds(
        proof["leaf_index"], checkpoint["tree_size"], proof["leaf"].encode(), path, root
    ):
        problems.append("proof: not included")
    return problems


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def signed_bank(api) -> dict[str, Any]:
    """A bank, a checkpoint, then more: a post for a signed learner and a brand-new learner."""
    learners = build_bank(api, learners=5)
    checkpoint = create_checkpoint()
    _, provider = api.new_provider()
    assert api.post_outcome(provider, learners[0], hours="16").status_code == 201
    assert api.post_outcome(provider, api.new_learner(), hours="16").status_code == 201
    jwks = api.get("/.well-known/jwks.json").get_json()
    return {"learners": learners, "checkpoint": checkpoint, "jwks": jwks}


def export_text(learner_id: str | None = None) -> str:
    return "".join(export_lines(learner_id))


def run_verify(tmp_path: Path, text: str, checkpoint: dict, jwks: dict | None = None):
    """``creditbank verify`` in a process that has no database and no keys to reach."""
    (tmp_path / "bank.jsonl").write_text(text, encoding="utf-8")
    (tmp_path / "checkpoint.json").write_text(json.dumps(checkpoint), encoding="utf-8")
    arguments = [str(CREDITBANK), "verify", "bank.jsonl", "--checkpoint", "checkpoint.json"]
    if jwks is not None:
        (tmp_path / "jwks.json").write_text(json.dumps(jwks), encoding="utf-8")
        arguments += ["--jwks", "jwks.json"]
    nowhere = {
        "CREDITBANK_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing",
        "CREDITBANK_KEYS_DIR": str(tmp_path / "no-keys"),
        "CREDITBANK_INSTANCE_PATH": str(tmp_path / "no-instance"),
    }
    return subprocess.run(
        arguments, cwd=tmp_path, env={**os.environ, **nowhere}, capture_output=True, text=True
    )


# --- tests ---------------------------------------------------------------------------------------


def test_a_verifier_written_from_the_readme_accepts_a_real_whole_bank_export(signed_bank):
    text = export_text()

    assert readme_verify(text, signed_bank["checkpoint"], signed_bank["jwks"]) == []
    lines = [json.loads(line) for line in text.splitlines()]
    assert sum("leaf" in line for line in lines) == signed_bank["checkpoint"]["tree_size"] == 5
    assert sum("entry" in line for line in lines) > 5 * 10


def test_a_verifier_written_from_the_readme_accepts_a_one_learner_export(signed_bank):
    learner = signed_bank["learners"][0]
    text = export_text(learner)

    assert readme_verify(text, signed_bank["checkpoint"], signed_bank["jwks"]) == []
    entries = [json.loads(line)["entry"] for line in text.splitlines() if '"entry"' in line]
    assert {entry["learner_id"] for entry in entries} == {learner}


def test_the_readme_verifier_rejects_a_changed_delta_and_a_wrong_root(signed_bank):
    text = export_text()
    changed = text.replace('"delta":"1.0"', '"delta":"2.0"', 1)
    assert changed != text
    assert any(
        "hash does not match" in p
        for p in readme_verify(changed, signed_bank["checkpoint"], signed_bank["jwks"])
    )

    forged = {**signed_bank["checkpoint"], "root": base64.b64encode(b"\x07" * 32).decode()}
    problems = readme_verify(text, forged, signed_bank["jwks"])
    assert "body does not say origin, tree_size and root" in problems
    assert "root over the leaves" in problems


def test_creditbank_verify_passes_a_whole_bank_export_with_no_database(signed_bank, tmp_path):
    result = run_verify(tmp_path, export_text(), signed_bank["checkpoint"], signed_bank["jwks"])

    assert result.returncode == 0, result.stdout + result.stderr
    assert "verified" in result.stdout and "NOT" not in result.stdout
    assert not (tmp_path / "no-keys").exists(), "verify loaded the app"


def test_creditbank_verify_passes_a_one_learner_export(signed_bank, tmp_path):
    learner = signed_bank["learners"][3]
    result = run_verify(tmp_path, export_text(learner), signed_bank["checkpoint"])

    assert result.returncode == 0, result.stdout + result.stderr


def test_creditbank_verify_fails_a_tampered_export_naming_learner_and_seq(signed_bank, tmp_path):
    lines = export_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if '"kind":"credit"' in line)
    entry = json.loads(lines[index])["entry"]
    lines[index] = lines[index].replace(f'"delta":"{entry["delta"]}"', '"delta":"9.5"')

    result = run_verify(tmp_path, "".join(lines), signed_bank["checkpoint"], signed_bank["jwks"])

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"entry_hash: learner {entry['learner_id']} seq {entry['seq']}" in result.stdout
    assert "NOT verified" in result.stdout


def test_creditbank_verify_fails_a_deleted_line_and_a_forged_proof(signed_bank, tmp_path):
    learner = signed_bank["learners"][2]
    lines = export_text(learner).splitlines(keepends=True)
    proof_at = next(i for i, line in enumerate(lines) if line.startswith('{"proof"'))
    proof = json.loads(lines[proof_at])
    proof["proof"]["audit_path"][0] = base64.b64encode(b"\x00" * 32).decode()
    tampered = [*lines[:proof_at], json.dumps(proof) + "\n", *lines[proof_at + 1 :]]
    del tampered[-3]  # an entry near the end

    result = run_verify(tmp_path, "".join(tampered), signed_bank["checkpoint"])

    assert result.returncode == 1
    assert "seq_gap" in result.stdout and "checkpoint" in result.stdout


def test_creditbank_verify_fails_a_checkpoint_whose_signature_was_altered(signed_bank, tmp_path):
    checkpoint = dict(signed_bank["checkpoint"])
    signature = bytearray(base64.b64decode(checkpoint["signature"]))
    signature[10] ^= 0x40
    checkpoint["signature"] = base64.b64encode(bytes(signature)).decode()

    result = run_verify(tmp_path, export_text(), checkpoint, signed_bank["jwks"])

    assert result.returncode == 1
    assert "checkpoint False" in result.stdout
