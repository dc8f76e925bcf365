"""RFC 9162 Merkle trees over the learners' chain heads (DESIGN.md, invariant 6).

The tree is the one of RFC 9162 §2.1 (identical to RFC 6962 §2.1): SHA-256, leaves hashed
with a 0x00 prefix and interior nodes with 0x01, so a leaf can never be passed off as a node
(second-preimage resistance, RFC 9162 §2.1.1). One leaf per learner, ordered by
``learner_id``; see API.md § "Audits and checkpoints".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
# RFC 9162 §2.1.1: the hash of an empty list is the hash of an empty string.
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_HEX_HASH = re.compile(r"[0-9a-f]{64}")


def leaf_hash(data: bytes) -> bytes:
    """MTH({d0}) = SHA-256(0x00 || d0) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root_from_leaf_hashes(leaf_hashes: Iterable[bytes]) -> bytes:
    """MTH over already-hashed leaves, streamed in O(log n) memory.

    RFC 9162 §2.1.1 splits D[n] at k, the largest power of two below n, so the tree is a
    row of perfect subtrees of decreasing size, joined right to left. ``stack`` holds the
    roots of those perfect subtrees; the count's trailing one bits say how many merge when
    a leaf arrives (a binary counter's carries).
    """
    stack: list[bytes] = []
    for count_before, hashed in enumerate(leaf_hashes):
        node, carries = hashed, count_before
        while carries & 1:
            node = node_hash(stack.pop(), node)
            carries >>= 1
        stack.append(node)
    if not stack:
        return EMPTY_ROOT
    root = stack.pop()
    while stack:
        root = node_hash(stack.pop(), root)
    return root


def root_hash(leaves: Iterable[bytes]) -> bytes:
    """MTH(D[n]) of raw leaf data (hashed here), streamed: the export can be a generator."""
    return root_from_leaf_hashes(leaf_hash(data) for data in leaves)


def _largest_power_of_two_below(n: int) -> int:
    """k of RFC 9162 §2.1.1: the largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]) of RFC 9162 §2.1.3.1, leaf-side sibling first.

    Walks from the root down: at each split the sibling subtree's MTH is part of the path.
    The RFC's recursion appends the top-level sibling last, hence the reversal.
    """
    size = len(leaf_hashes)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of {size} leaves")
    path: list[bytes] = []
    low, high, m = 0, size, index
    while high - low > 1:
        k = _largest_power_of_two_below(high - low)
        if m < k:
            path.append(_subtree_root(leaf_hashes, low + k, high))
            high = low + k
        else:
            path.append(_subtree_root(leaf_hashes, low, low + k))
            low, m = low + k, m - k
    path.reverse()
    return path


def _subtree_root(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH(D[start:end]) without copying the slice."""
    return root_from_leaf_hashes(leaf_hashes[i] for i in range(start, end))


def verify_inclusion(
    index: int, tree_size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """The verification algorithm of RFC 9162 §2.1.3.2, step by step; never raises.

    The path alone does not pin ``tree_size`` (leaf 5's path in a tree of 8 also passes for
    7): take ``tree_size`` and ``root`` from a verified checkpoint, which signs both.
    """
    if not all(len(p) == HASH_SIZE for p in proof) or len(leaf_hash) != HASH_SIZE:
        return False
    # 1. leaf_index must be below tree_size.
    if not 0 <= index < tree_size:
        return False
    # 2.-3. fn = leaf_index, sn = tree_size - 1, r = hash.
    fn, sn, r = index, tree_size - 1, leaf_hash
    # 4. Fold every p in the inclusion path.
    for p in proof:
        # 4a. A path longer than the tree is tall fails.
        if sn == 0:
            return False
        # 4b. fn is a right child, or the last node of its level (its sibling is to the left).
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # 4b.ii. Skip the levels where this node is promoted unpaired (right edge).
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        # 4c. Up one level.
        fn >>= 1
        sn >>= 1
    # 5. The path must reach the root exactly, and hash to it.
    return sn == 0 and r == root


def learner_leaf(learner_id: str, seq: int, head_hash_hex: str) -> bytes:
    """Leaf data for one learner's chain head: UTF-8 ``"<learner_id>:<seq>:<hex hash>"``.

    Only the canonical form (lowercase 64-digit hex, decimal seq) is accepted, so one head
    has exactly one leaf and a checkpoint cannot disagree with an audit over spelling.
    """
    if not learner_id:
        raise ValueError("learner_id is empty")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ValueError(f"seq must be a non-negative integer, not {seq!r}")
    if not _HEX_HASH.fullmatch(head_hash_hex):
        raise ValueError("head hash must be 64 lowercase hex digits")
    return f"{learner_id}:{seq}:{head_hash_hex}".encode()
