"""C2SP tlog-checkpoint bodies and signed notes: reference vectors, round trip, tampering."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from creditbank.domain.checkpoint import (
    checkpoint_body,
    note_key_hash,
    parse_body,
    sign_checkpoint,
    signed_note,
    verify_checkpoint,
)
from creditbank.domain.merkle import root_hash

# The example of golang.org/x/mod/sumdb/note, the reference implementation of signed-note:
# keys are "<name>+<key hash>+base64(0x01 || key)". Ed25519 is deterministic (RFC 8032),
# so the note must come out byte for byte.
GO_SIGNER_KEY = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER_KEY = "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
# The example body of the tlog-checkpoint spec.
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"

ORIGIN = "creditbank.example/yunyang"
ROOT = root_hash([b"L01:1:" + b"a" * 64, b"L02:3:" + b"b" * 64])


def raw_public(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def document(key: Ed25519PrivateKey) -> dict[str, Any]:
    return sign_checkpoint(key, ORIGIN, ORIGIN, 2, ROOT)


def test_reference_key_hash_and_note() -> None:
    seed = base64.b64decode(GO_SIGNER_KEY)[1:]
    public = base64.b64decode(GO_VERIFIER_KEY)[1:]
    private_key = Ed25519PrivateKey.from_private_bytes(seed)
    assert raw_public(private_key) == public
    assert note_key_hash("PeterNeumann", public).hex() == "c74f20a3"
    signature = private_key.sign(GO_TEXT.encode())
    assert signed_note(GO_TEXT, "PeterNeumann", public, signature) == GO_NOTE


def test_key_hash_definition() -> None:
    public = bytes(range(32))
    expected = hashlib.sha256(b"log.example\n\x01" + public).digest()[:4]
    assert note_key_hash("log.example", public) == expected


def test_body_layout() -> None:
    body = checkpoint_body(ORIGIN, 2, ROOT)
    assert body == f"{ORIGIN}\n2\n{base64.b64encode(ROOT).decode()}\n"
    assert parse_body(body) == (ORIGIN, 2, ROOT)


def test_spec_example_parses() -> None:
    origin, size, root = parse_body(SPEC_BODY)
    assert (origin, size, len(root)) == ("example.com/behind-the-sofa", 20852163, 32)
    assert checkpoint_body(origin, size, root) == SPEC_BODY


def test_empty_tree_checkpoint() -> None:
    body = checkpoint_body(ORIGIN, 0, root_hash([]))
    assert body.split("\n")[1] == "0"
    assert parse_body(body) == (ORIGIN, 0, root_hash([]))


def test_document_layout(document: dict[str, Any], key: Ed25519PrivateKey) -> None:
    public = raw_public(key)
    body = f"{ORIGIN}\n2\n{base64.b64encode(ROOT).decode()}\n"
    signature = base64.b64decode(document["signature"])
    blob = base64.b64encode(note_key_hash(ORIGIN, public) + signature).decode()
    assert document == {
        "origin": ORIGIN,
        "tree_size": 2,
        "root": base64.b64encode(ROOT).decode(),
        "body": body,
        "note": f"{body}\n\u2014 {ORIGIN} {blob}\n",
        "signature": document["signature"],
        "public_key": base64.b64encode(public).decode(),
    }
    assert len(signature) == 64
    key.public_key().verify(signature, body.encode())  # raises if not over the body bytes


def test_round_trip(document: dict[str, Any], key: Ed25519PrivateKey) -> None:
    assert verify_checkpoint(document)
    assert verify_checkpoint(document, raw_public(key))
    assert verify_checkpoint(dict(document, created_at="2026-04-16T02:11:09.123456Z"))


def test_other_key_is_refused(document: dict[str, Any]) -> None:
    assert not verify_checkpoint(document, raw_public(Ed25519PrivateKey.generate()))


def test_document_resigned_by_another_key_is_refused(key: Ed25519PrivateKey) -> None:
    forged = sign_checkpoint(Ed25519PrivateKey.generate(), ORIGIN, ORIGIN, 2, ROOT)
    assert verify_checkpoint(forged)  # consistent in itself ...
    assert not verify_checkpoint(forged, raw_public(key))  # ... but not the bank's


def _flip(text: str) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def test_altered_root(document: dict[str, Any]) -> None:
    other = base64.b64encode(root_hash([b"x"])).decode()
    assert not verify_checkpoint(dict(document, root=other))
    body = checkpoint_body(ORIGIN, 2, root_hash([b"x"]))
    assert not verify_checkpoint(dict(document, root=other, body=body))


def test_altered_tree_size(document: dict[str, Any]) -> None:
    assert not verify_checkpoint(dict(document, tree_size=3))
    body = checkpoint_body(ORIGIN, 3, ROOT)
    note = body + document["note"][len(document["body"]) :]
    assert not verify_checkpoint(dict(document, tree_size=3, body=body, note=note))
    assert not verify_checkpoint(dict(document, tree_size="2"))
    assert not verify_checkpoint(dict(document, tree_size=2.0))


def test_altered_signature(document: dict[str, Any]) -> None:
    assert not verify_checkpoint(dict(document, signature=_flip(document["signature"])))


def test_note_must_carry_the_same_signature(
    document: dict[str, Any], key: Ed25519PrivateKey
) -> None:
    public = raw_public(key)
    signature = base64.b64decode(document["signature"])
    wrong_hash = signed_note(document["body"], "someone.else", public, signature)
    assert not verify_checkpoint(dict(document, note=wrong_hash.replace("someone.else", ORIGIN)))
    tampered = bytearray(signature)
    tampered[-1] ^= 1
    bad_line = signed_note(document["body"], ORIGIN, public, bytes(tampered))
    assert not verify_checkpoint(dict(document, note=bad_line))
    assert not verify_checkpoint(dict(document, note=document["body"]))
    assert not verify_checkpoint(dict(document, note=document["note"].replace("\u2014", "--")))


def test_foreign_signature_lines_are_ignored(document: dict[str, Any]) -> None:
    witness = Ed25519PrivateKey.generate()
    line = signed_note(
        document["body"],
        "witness.example",
        raw_public(witness),
        witness.sign(document["body"].encode()),
    ).split("\n\n", 1)[1]
    assert verify_checkpoint(dict(document, note=document["note"] + line))
    only_witness = document["body"] + "\n" + line
    assert not verify_checkpoint(dict(document, note=only_witness))


@pytest.mark.parametrize(
    "change",
    [
        {"public_key": "not base64!"},
        {"public_key": base64.b64encode(bytes(31)).decode()},
        {"signature": ""},
        {"root": None},
        {"body": b"bytes"},
    ],
)
def test_malformed_documents_are_refused(document: dict[str, Any], change: dict) -> None:
    assert not verify_checkpoint(dict(document, **change))


def test_missing_field_is_refused(document: dict[str, Any]) -> None:
    del document["note"]
    assert not verify_checkpoint(document)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "origin\n1\n",
        f"origin\n1\n{base64.b64encode(ROOT).decode()}",  # no final newline
        f"origin\n01\n{base64.b64encode(ROOT).decode()}\n",  # leading zero
        f"origin\n+1\n{base64.b64encode(ROOT).decode()}\n",
        f"origin\n١\n{base64.b64encode(ROOT).decode()}\n",  # a non-ASCII digit
        f"\n1\n{base64.b64encode(ROOT).decode()}\n",  # empty origin
        f"origin\n1\n{base64.b64encode(ROOT[:31]).decode()}\n",  # short root
        f"origin\n1\n{base64.b64encode(ROOT).decode().rstrip('=')}\n",  # unpadded
        f"origin\n1\n{base64.b64encode(ROOT).decode()}\nextension\n",
    ],
)
def test_malformed_bodies(body: str) -> None:
    with pytest.raises(ValueError):
        parse_body(body)


@pytest.mark.parametrize("name", ["", "has space", "a+b", "tab\there"])
def test_invalid_key_names(name: str) -> None:
    with pytest.raises(ValueError):
        note_key_hash(name, bytes(32))


def test_invalid_body_arguments() -> None:
    with pytest.raises(ValueError):
        checkpoint_body("two\nlines", 1, ROOT)
    with pytest.raises(ValueError):
        checkpoint_body(ORIGIN, -1, ROOT)
    with pytest.raises(ValueError):
        checkpoint_body(ORIGIN, 1, ROOT[:31])
