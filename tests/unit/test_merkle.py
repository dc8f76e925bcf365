"""RFC 9162 Merkle tree: reference vectors, and properties against the RFC's own recursion."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.domain.merkle import (
    EMPTY_ROOT,
    inclusion_proof,
    leaf_hash,
    learner_leaf,
    node_hash,
    root_from_leaf_hashes,
    root_hash,
    verify_inclusion,
)

# The certificate-transparency reference tree (RFC 6962 test data, also used by
# transparency-dev/merkle): eight leaves and the root of every prefix of them.
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (0-based leaf index, tree size, audit path) from the same test data.
CT_PROOFS = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


def naive_mth(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) exactly as RFC 9162 §2.1.1 writes it."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(leaves[:k]) + naive_mth(leaves[k:])).digest()


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) exactly as RFC 9162 §2.1.3.1 writes it (over raw leaf data)."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*naive_path(m, leaves[:k]), naive_mth(leaves[k:])]
    return [*naive_path(m - k, leaves[k:]), naive_mth(leaves[:k])]


def test_empty_tree_is_the_hash_of_nothing() -> None:
    assert root_hash([]).hex() == CT_ROOTS[0]
    assert EMPTY_ROOT.hex() == CT_ROOTS[0]
    assert root_from_leaf_hashes([]) == EMPTY_ROOT


def test_leaf_and_node_prefixes() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    left, right = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()


@pytest.mark.parametrize("size", range(len(CT_ROOTS)))
def test_reference_roots(size: int) -> None:
    assert root_hash(CT_LEAVES[:size]).hex() == CT_ROOTS[size]


def test_root_streams_from_a_generator() -> None:
    assert root_hash(leaf for leaf in CT_LEAVES).hex() == CT_ROOTS[8]


@pytest.mark.parametrize(("index", "size", "path"), CT_PROOFS)
def test_reference_inclusion_proofs(index: int, size: int, path: list[str]) -> None:
    hashes = [leaf_hash(leaf) for leaf in CT_LEAVES[:size]]
    proof = inclusion_proof(index, hashes)
    assert [p.hex() for p in proof] == path
    root = bytes.fromhex(CT_ROOTS[size])
    assert verify_inclusion(index, size, hashes[index], proof, root)


@pytest.mark.parametrize("index", [-1, 3, 4])
def test_inclusion_proof_rejects_an_index_outside_the_tree(index: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(index, [leaf_hash(leaf) for leaf in CT_LEAVES[:3]])


def test_verify_rejects_malformed_input_without_raising() -> None:
    hashes = [leaf_hash(leaf) for leaf in CT_LEAVES]
    root = bytes.fromhex(CT_ROOTS[8])
    proof = inclusion_proof(5, hashes)
    assert not verify_inclusion(5, 0, hashes[5], proof, root)
    assert not verify_inclusion(8, 8, hashes[5], proof, root)
    assert not verify_inclusion(-1, 8, hashes[5], proof, root)
    assert not verify_inclusion(5, 8, hashes[5][:31], proof, root)
    assert not verify_inclusion(5, 8, hashes[5], [proof[0][:31], *proof[1:]], root)
    assert not verify_inclusion(5, 8, hashes[5], proof[:-1], root)
    assert not verify_inclusion(5, 8, hashes[5], [*proof, bytes(32)], root)
    assert not verify_inclusion(5, 8, hashes[5], [proof[1], proof[0], proof[2]], root)
    assert not verify_inclusion(5, 6, hashes[5], proof, root)


unique_leaves = st.lists(st.binary(max_size=12), min_size=1, max_size=70, unique=True)


@settings(max_examples=150, deadline=None)
@given(leaves=unique_leaves)
def test_streaming_root_equals_the_rfc_recursion(leaves: list[bytes]) -> None:
    assert root_hash(iter(leaves)) == naive_mth(leaves)
    assert root_from_leaf_hashes(leaf_hash(leaf) for leaf in leaves) == naive_mth(leaves)


@settings(max_examples=150, deadline=None)
@given(leaves=unique_leaves, data=st.data())
def test_every_proof_verifies_and_nothing_else_does(
    leaves: list[bytes], data: st.DataObject
) -> None:
    n = len(leaves)
    hashes = [leaf_hash(leaf) for leaf in leaves]
    root = root_hash(leaves)
    for i in range(n):
        proof = inclusion_proof(i, hashes)
        assert proof == naive_path(i, leaves)
        assert verify_inclusion(i, n, hashes[i], proof, root)
        # Another leaf at this index, this leaf at another index, or another root: all fail.
        # (Leaves are unique: with duplicates a proof can honestly hold at two indexes.)
        if n > 1:
            other = (i + data.draw(st.integers(1, n - 1), label="offset")) % n
            assert not verify_inclusion(i, n, hashes[other], proof, root)
            assert not verify_inclusion(other, n, hashes[i], proof, root)
        assert not verify_inclusion(i, n, leaf_hash(b"longer than any generated leaf"), proof, root)
        assert not verify_inclusion(i, n, hashes[i], proof, node_hash(root, root))


def test_learner_leaf_layout() -> None:
    head = "ab" * 32
    assert learner_leaf("L01J0000000000000000000000", 7, head) == (
        f"L01J0000000000000000000000:7:{head}".encode()
    )
    assert learner_leaf("学员", 0, "0" * 64) == ("学员:0:" + "0" * 64).encode("utf-8")


@pytest.mark.parametrize(
    ("learner_id", "seq", "head"),
    [
        ("", 1, "ab" * 32),
        ("L1", -1, "ab" * 32),
        ("L1", True, "ab" * 32),
        ("L1", 1, "AB" * 32),
        ("L1", 1, "ab" * 31),
        ("L1", 1, "zz" * 32),
    ],
)
def test_learner_leaf_accepts_only_the_canonical_form(learner_id: str, seq: int, head: str) -> None:
    with pytest.raises(ValueError):
        learner_leaf(learner_id, seq, head)
