"""Offline verification of an export against a signed checkpoint: no database, no server.

This is the reference implementation of docs/verification.md. It checks every
chain (seq 1..n, links, recomputed hashes) and its running totals; the checkpoint's Ed25519
signature; and then either the root over the export's leaves (whole bank) or the inclusion
proof of the learner's signed head (one learner), and that the journal still holds every head
the checkpoint signed. Memory grows with the number of learners, never with the entries.

Checks of a higher layer join through ``learner_checks`` (each makes a :class:`LearnerCheck`
per learner, fed every entry document of that learner): the transfer replay does, in
:mod:`creditbank.transfer.offline`, which is what ``creditbank verify`` runs.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from creditbank.domain.chain_checks import BalanceCheck, ChainCheck, Finding
from creditbank.domain.checkpoint import verify_checkpoint
from creditbank.domain.merkle import leaf_hash, root_from_leaf_hashes, verify_inclusion

EXPORT_FORMAT = ("creditbank-export", 1)
KEPT_FINDINGS = 1000


class LearnerCheck(Protocol):
    """A check of one learner's chain, fed its entry documents in seq order, then finished."""

    def feed(self, document: Mapping[str, Any]) -> None: ...

    def finish(self) -> None: ...


# Makes a learner's check: (learner_id, the findings list to append to).
LearnerChecks = Callable[[str, list[Finding]], LearnerCheck]


@dataclass
class Report:
    """What a verification found; ``findings`` keeps the first KEPT_FINDINGS of them."""

    learner_id: str | None = None
    entries: int = 0
    learners: int = 0
    checkpoint_verified: bool | None = None
    findings_total: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.findings_total == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "learner_id": self.learner_id,
            "entries": self.entries,
            "learners": self.learners,
            "checkpoint_verified": self.checkpoint_verified,
            "findings_total": self.findings_total,
            "findings": [finding.as_dict() for finding in self.findings],
        }


class _Sink(list[Finding]):
    """The findings list the chain checks append to: counts all, keeps the first few."""

    def __init__(self, report: Report) -> None:
        super().__init__()
        self.report = report
        self.checkpoint_findings = 0

    def append(self, finding: Finding) -> None:
        self.report.findings_total += 1
        self.checkpoint_findings += finding.check == "checkpoint"
        if len(self.report.findings) < KEPT_FINDINGS:
            self.report.findings.append(finding)


def verify_export(
    lines: Iterable[str],
    checkpoint: Mapping[str, Any] | None,
    public_key: bytes | None = None,
    learner_checks: Sequence[LearnerChecks] = (),
) -> Report:
    """Verify an export; ``public_key`` (raw 32 bytes, from the bank's JWKS) pins the signer,
    otherwise the checkpoint's own key is trusted, which proves integrity but not origin.
    ``learner_checks`` run on every learner's entries besides the chain and balance checks."""
    verifier = _Verifier(checkpoint, public_key, learner_checks)
    for number, line in enumerate(lines, 1):
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("not a JSON object")
            verifier.read(number, item)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            verifier.format_error(f"line {number}: {error!r}")
    return verifier.finish()


class _Verifier:
    def __init__(
        self,
        checkpoint: Mapping[str, Any] | None,
        public_key: bytes | None,
        learner_checks: Sequence[LearnerChecks] = (),
    ) -> None:
        self.report = Report()
        self.learner_checks = learner_checks
        self.more: list[LearnerCheck] = []  # the current learner's learner_checks
        self.findings = _Sink(self.report)
        self.checkpoint = checkpoint
        self.header: dict[str, Any] | None = None
        self.signed: dict[str, tuple[int, str]] = {}  # learner -> head the checkpoint signed
        self.leaf_hashes: list[bytes] = []
        self._last_leaf = ""
        self.attested = False
        self.seen: set[str] = set()
        self.chain: ChainCheck | None = None
        self.balance: BalanceCheck | None = None
        if checkpoint is not None:
            self.report.checkpoint_verified = verify_checkpoint(dict(checkpoint), public_key)
            if not self.report.checkpoint_verified:
                self._bank("a checkpoint signed by its key", "the signature does not verify")

    def read(self, number: int, item: dict[str, Any]) -> None:
        if number == 1:
            self._read_header(item)
        elif "entry" in item:
            self._read_entry(item["entry"], item["hash"])
        elif self.chain is not None:
            raise ValueError("leaf and proof lines come before the entries")
        elif "leaf" in item:
            leaf = item["leaf"]
            self._read_leaf(str(leaf["learner_id"]), int(leaf["seq"]), str(leaf["hash"]))
        elif "proof" in item:
            self._read_proof(item["proof"])
        else:
            raise ValueError(f"unknown line with keys {sorted(item)}")

    def format_error(self, found: str) -> None:
        self.findings.append(Finding(None, None, "format", "a line of the export format", found))

    def _bank(self, expected: str, found: str) -> None:
        self.findings.append(Finding(None, None, "checkpoint", expected, found))

    def _read_header(self, header: dict[str, Any]) -> None:
        if (header.get("format"), header.get("version")) != EXPORT_FORMAT:
            raise ValueError(f"not a {EXPORT_FORMAT[0]} version {EXPORT_FORMAT[1]} header")
        self.header = header
        self.report.learner_id = header.get("learner_id")
        made_against = header.get("checkpoint")
        if self.checkpoint is not None and made_against is not None:
            ours = (self.checkpoint.get("tree_size"), self.checkpoint.get("root"))
            if (made_against.get("tree_size"), made_against.get("root")) != ours:
                self._bank(
                    f"an export made against root {ours[1]} (tree_size {ours[0]})",
                    f"made against root {made_against.get('root')}",
                )

    def _read_leaf(self, learner_id: str, seq: int, head_hash: str) -> None:
        if self.leaf_hashes and learner_id.encode() <= self._last_leaf.encode():
            self.findings.append(
                Finding(learner_id, seq, "checkpoint", "leaves in learner_id order", "out of order")
            )
        self._last_leaf = learner_id
        self.signed[learner_id] = (seq, head_hash)
        self.leaf_hashes.append(leaf_hash(f"{learner_id}:{seq}:{head_hash}".encode()))

    def _read_proof(self, proof: dict[str, Any]) -> None:
        learner_id, seq, head_hash = str(proof["leaf"]).rsplit(":", 2)
        self.signed[learner_id] = (int(seq), head_hash)
        self.attested = True
        if self.checkpoint is None:
            return
        try:
            path = [base64.b64decode(node, validate=True) for node in proof["audit_path"]]
            root = base64.b64decode(self.checkpoint["root"], validate=True)
        except (binascii.Error, TypeError) as error:
            raise ValueError(f"malformed base64 in the proof: {error}") from None
        size = self.checkpoint["tree_size"]
        leaf = leaf_hash(str(proof["leaf"]).encode())
        if proof.get("tree_size") != size or not verify_inclusion(
            int(proof["leaf_index"]), size, leaf, path, root
        ):
            expected = f"an inclusion proof of {proof['leaf']} in root {self.checkpoint['root']}"
            self.findings.append(Finding(learner_id, int(seq), "checkpoint", expected, "no"))

    def _read_entry(self, document: dict[str, Any], stored_hash: str) -> None:
        learner_id = document["learner_id"]
        if self.chain is None or learner_id != self.chain.learner_id:
            self._end_learner()
            if learner_id in self.seen:
                raise ValueError(f"the entries of {learner_id} are not contiguous")
            self.seen.add(learner_id)
            self.chain = ChainCheck(learner_id, self.findings)
            self.balance = BalanceCheck(learner_id, self.findings)
            self.more = [make(learner_id, self.findings) for make in self.learner_checks]
            self.report.learners += 1
        assert self.balance is not None
        self.report.entries += 1
        self.chain.feed(document, stored_hash)
        if document.get("kind") == "credit":
            self.balance.feed(document)
        for check in self.more:
            check.feed(document)
        signed = self.signed.get(learner_id)
        if signed is not None and document.get("seq") == signed[0] and stored_hash != signed[1]:
            expected = f"hash {signed[1]}, as the checkpoint signed"
            self.findings.append(
                Finding(learner_id, signed[0], "checkpoint", expected, stored_hash)
            )

    def _end_learner(self) -> None:
        if self.chain is None or self.balance is None:
            return
        self.balance.finish(self.chain.last_seq)
        for check in self.more:
            check.finish()
        signed = self.signed.get(self.chain.learner_id)
        if signed is not None and self.chain.last_seq < signed[0]:
            found = f"the export ends at seq {self.chain.last_seq}"
            expected = f"seq {signed[0]} hash {signed[1]}, as the checkpoint signed"
            self.findings.append(
                Finding(self.chain.learner_id, signed[0], "checkpoint", expected, found)
            )

    def finish(self) -> Report:
        self._end_learner()
        if self.header is None:
            self.format_error("an empty file")
            return self.report
        if self.checkpoint is not None:
            self._check_attestation()
            self.report.checkpoint_verified = self.findings.checkpoint_findings == 0
        learner_id = self.report.learner_id
        strangers = self.seen - {learner_id} if learner_id is not None else set()
        for stranger in sorted(strangers):
            self.format_error(f"entries of {stranger} in an export of {learner_id}")
        return self.report

    def _check_attestation(self) -> None:
        assert self.checkpoint is not None
        if self.report.learner_id is not None:
            if not self.attested:
                self._bank("an inclusion proof of the learner's head", "none in the export")
            return
        size, root = self.checkpoint.get("tree_size"), self.checkpoint.get("root")
        if len(self.leaf_hashes) != size:
            self._bank(f"{size} leaves", f"{len(self.leaf_hashes)} leaves in the export")
        computed = base64.b64encode(root_from_leaf_hashes(self.leaf_hashes)).decode("ascii")
        if computed != root:
            self._bank(f"root {root}", f"root {computed} over the export's leaves")
        for learner_id in sorted(set(self.signed) - self.seen):
            seq, head_hash = self.signed[learner_id]
            expected = f"seq {seq} hash {head_hash}, as the checkpoint signed"
            self.findings.append(Finding(learner_id, seq, "checkpoint", expected, "no entries"))
