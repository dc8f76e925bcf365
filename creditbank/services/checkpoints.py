"""Signed checkpoints over the learners' chain heads, their inclusion proofs, and the audit's
check that the journal still holds every head a checkpoint signed (DESIGN.md invariant 6).

The tree is RFC 9162 over one leaf per learner with entries, ordered by ``learner_id``
bytewise, leaf data ``"<learner_id>:<seq>:<hex hash>"``; the signed document is a C2SP
tlog-checkpoint body in a C2SP signed note whose key name is the origin (API.md).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import desc, insert, select
from sqlalchemy.orm import Session

from creditbank.context import keyring, settings
from creditbank.domain.canonical import format_instant
from creditbank.domain.chain_checks import Finding
from creditbank.domain.checkpoint import sign_checkpoint, verify_checkpoint
from creditbank.domain.errors import Conflict, NotFound
from creditbank.domain.ids import new_id
from creditbank.domain.merkle import (
    inclusion_proof,
    leaf_hash,
    learner_leaf,
    root_from_leaf_hashes,
)
from creditbank.extensions import db
from creditbank.models import Account, Checkpoint, CheckpointLeaf, JournalEntry
from creditbank.services.transaction import utcnow, write_transaction

LEAF_BATCH = 5000
_FIELDS = ("origin", "tree_size", "root", "body", "note", "signature", "key_id", "public_key")


def create_checkpoint(now: datetime | None = None) -> dict[str, Any]:
    """Sign the current chain heads (the accounts' cached heads, read in one statement, hence
    one consistent cut) with the active key, and store the checkpoint with its leaves."""
    ring, origin = keyring(), settings().checkpoint_origin
    with write_transaction() as session:
        heads = _current_heads(session)
        root = root_from_leaf_hashes(leaf_hash(leaf) for _, leaf in heads)
        signed = sign_checkpoint(ring.signing_key(), origin, origin, len(heads), root)
        row = Checkpoint(
            id=new_id("cp"),
            key_id=ring.active_kid,
            created_at=now or utcnow(),
            **{name: signed[name] for name in _FIELDS if name != "key_id"},
        )
        session.add(row)
        session.flush()  # the leaves refer to it
        for start in range(0, len(heads), LEAF_BATCH):
            leaves = [
                {"checkpoint_id": row.id, "leaf_index": index, **head}
                for index, (head, _) in enumerate(heads[start : start + LEAF_BATCH], start)
            ]
            session.execute(insert(CheckpointLeaf), leaves)
        return checkpoint_view(row)


def _current_heads(session: Session) -> list[tuple[dict[str, Any], bytes]]:
    """Every learner with entries: its head and leaf data, sorted bytewise by ``learner_id``
    here rather than by the database, whose collation might not be bytewise."""
    query = select(Account.learner_id, Account.head_seq, Account.head_hash)
    heads: list[tuple[dict[str, Any], bytes]] = []
    for learner_id, seq, head_hash in session.execute(query.where(Account.head_seq > 0)):
        try:
            leaf = learner_leaf(learner_id, seq, head_hash)
        except ValueError as error:
            raise Conflict(
                f"The cached head of {learner_id} is malformed ({error}); run an audit"
            ) from None
        heads.append(({"learner_id": learner_id, "seq": seq, "head_hash": head_hash}, leaf))
    heads.sort(key=lambda head: head[0]["learner_id"].encode())
    return heads


def checkpoint_view(row: Checkpoint) -> dict[str, Any]:
    """A checkpoint as ``GET /checkpoints/latest`` serves it."""
    view = {"id": row.id, **{name: getattr(row, name) for name in _FIELDS}}
    view["created_at"] = format_instant(row.created_at)
    return view


def latest(session: Session) -> Checkpoint | None:
    query = select(Checkpoint).order_by(desc(Checkpoint.created_at), desc(Checkpoint.id))
    return session.scalars(query.limit(1)).first()


def latest_checkpoint() -> dict[str, Any]:
    row = latest(db.session())
    if row is None:
        raise NotFound("No checkpoint has been made yet")
    return checkpoint_view(row)


def checkpoint_document(checkpoint_id: str) -> dict[str, Any]:
    """One checkpoint, as ``GET /checkpoints/latest`` serves the newest (404 when none)."""
    row = db.session.get(Checkpoint, checkpoint_id)
    if row is None:
        raise NotFound("No such checkpoint")
    return checkpoint_view(row)


def stored_leaves(session: Session, checkpoint_id: str) -> Iterator[CheckpointLeaf]:
    """A checkpoint's leaves in tree order, streamed."""
    query = select(CheckpointLeaf).where(CheckpointLeaf.checkpoint_id == checkpoint_id)
    return session.scalars(
        query.order_by(CheckpointLeaf.leaf_index).execution_options(yield_per=LEAF_BATCH)
    )


def proof_of(session: Session, checkpoint: Checkpoint, learner_id: str) -> dict[str, Any] | None:
    """RFC 9162 inclusion proof of the learner's head in ``checkpoint`` (None: not in it)."""
    leaf = session.scalar(
        select(CheckpointLeaf).where(
            CheckpointLeaf.checkpoint_id == checkpoint.id, CheckpointLeaf.learner_id == learner_id
        )
    )
    if leaf is None:
        return None
    hashes = [
        leaf_hash(f"{row.learner_id}:{row.seq}:{row.head_hash}".encode())
        for row in stored_leaves(session, checkpoint.id)
    ]
    path = inclusion_proof(leaf.leaf_index, hashes)
    return {
        "leaf_index": leaf.leaf_index,
        "tree_size": checkpoint.tree_size,
        "leaf": f"{leaf.learner_id}:{leaf.seq}:{leaf.head_hash}",
        "audit_path": [base64.b64encode(node).decode("ascii") for node in path],
        "checkpoint_id": checkpoint.id,
        "root": checkpoint.root,
    }


def latest_proof(learner_id: str) -> dict[str, Any]:
    """``GET /checkpoints/latest/proof``: 404 without a checkpoint or a leaf of that learner."""
    row = latest(db.session())
    if row is None:
        raise NotFound("No checkpoint has been made yet")
    proof = proof_of(db.session(), row, learner_id)
    if proof is None:
        raise NotFound("The latest checkpoint has no leaf for this learner")
    return proof


def audit_latest(
    session: Session, learner_id: str | None, findings: list[Finding]
) -> tuple[str | None, bool | None]:
    """The audit's ``checkpoint`` check of the latest checkpoint: its signature, its root over
    the stored leaves, and every signed head (of ``learner_id``, or of all) still in the chain.
    Returns ``(checkpoint id, verified)``; ``(None, None)`` when there is none."""
    row = latest(session)
    if row is None:
        return None, None
    before = len(findings)
    _check_signature(row, findings)
    _check_leaves(session, row, learner_id, findings)
    return row.id, len(findings) == before


def _check_signature(row: Checkpoint, findings: list[Finding]) -> None:
    public = keyring().public_keys().get(row.key_id)
    if public is None:
        findings.append(_bank_finding(f"key {row.key_id} in the JWKS", "no such key"))
        return
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    if not verify_checkpoint(checkpoint_view(row), raw):
        expected = f"a body saying origin, tree_size and root, signed by key {row.key_id}"
        findings.append(_bank_finding(expected, "the signature or the body does not verify"))


def _check_leaves(
    session: Session, row: Checkpoint, learner_id: str | None, findings: list[Finding]
) -> None:
    """One streamed pass over the leaves, each joined to the entry it signed."""
    entry = JournalEntry
    query = (
        select(CheckpointLeaf.learner_id, CheckpointLeaf.seq, CheckpointLeaf.head_hash, entry.hash)
        .outerjoin(
            entry,
            (entry.learner_id == CheckpointLeaf.learner_id) & (entry.seq == CheckpointLeaf.seq),
        )
        .where(CheckpointLeaf.checkpoint_id == row.id)
        .order_by(CheckpointLeaf.leaf_index)
        .execution_options(yield_per=LEAF_BATCH)
    )
    hashes = _leaf_hashes(session.execute(query), row, learner_id, findings)
    count = [0]
    root = root_from_leaf_hashes(_counted(hashes, count))
    if count[0] != row.tree_size:
        findings.append(_bank_finding(f"{row.tree_size} leaves", f"{count[0]} leaves stored"))
    if base64.b64encode(root).decode("ascii") != row.root:
        found = f"root {base64.b64encode(root).decode('ascii')} over the stored leaves"
        findings.append(_bank_finding(f"root {row.root}", found))


def _leaf_hashes(
    rows: Any, row: Checkpoint, learner_id: str | None, findings: list[Finding]
) -> Iterator[bytes]:
    previous: bytes | None = None
    for leaf_learner, seq, signed_hash, chain_hash in rows:
        key = leaf_learner.encode()
        if previous is not None and key <= previous:
            findings.append(
                Finding(
                    leaf_learner, seq, "checkpoint", "leaves in learner_id order", "out of order"
                )
            )
        previous = key
        if learner_id in (None, leaf_learner) and chain_hash != signed_hash:
            found = "no such entry" if chain_hash is None else f"hash {chain_hash}"
            expected = f"hash {signed_hash}, signed by checkpoint {row.id}"
            findings.append(Finding(leaf_learner, seq, "checkpoint", expected, found))
        yield leaf_hash(f"{leaf_learner}:{seq}:{signed_hash}".encode())


def _counted(items: Iterator[bytes], count: list[int]) -> Iterator[bytes]:
    for item in items:
        count[0] += 1
        yield item


def _bank_finding(expected: str, found: str) -> Finding:
    return Finding(None, None, "checkpoint", expected, found)
