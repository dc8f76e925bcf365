"""Signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed notes, Ed25519.

Following the two C2SP specs rather than inventing a format means a checkpoint can be
checked by tools nobody here wrote (DESIGN.md, invariant 6; API.md § "Audits and
checkpoints"). The body is ``"<origin>\\n<tree_size>\\n<base64 root>\\n"``; the note is the
body, a blank line and ``"— <key name> <base64(key hash || signature)>\\n"``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from creditbank.domain.merkle import HASH_SIZE

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
KEY_HASH_SIZE = 4
# signed-note § "Format": a signature line starts with an em dash (U+2014) and a space.
SIGNATURE_PREFIX = "\u2014 "
# signed-note § "Signature types": 0x01 is Ed25519.
_ED25519_TYPE = b"\x01"
# tlog-checkpoint § "Note text": ASCII decimal, no leading zeroes unless the tree is empty.
_TREE_SIZE = re.compile(r"0|[1-9][0-9]*")
# signed-note § "Format": no ASCII control characters other than newline.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_FIELDS = ("origin", "tree_size", "root", "body", "note", "signature", "public_key")


def _b64(raw: bytes) -> str:
    """Standard base64 with padding (RFC 4648 §4), as both C2SP specs require."""
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str, size: int) -> bytes:
    """Strict decoding: only the one canonical spelling of exactly ``size`` bytes."""
    raw = base64.b64decode(text.encode("ascii"), validate=True)
    if len(raw) != size or _b64(raw) != text:
        raise ValueError(f"not the canonical base64 of {size} bytes")
    return raw


def _check_key_name(key_name: str) -> None:
    """signed-note: key names are non-empty, with no Unicode spaces and no ``+``."""
    if not key_name or "+" in key_name or any(c.isspace() for c in key_name):
        raise ValueError(f"invalid note key name {key_name!r}")
    if _CONTROL.search(key_name):
        raise ValueError("note key names cannot hold control characters")


def _check_origin(origin: str) -> None:
    """tlog-checkpoint: a non-empty single line; signed notes forbid control characters."""
    if not origin or "\n" in origin or _CONTROL.search(origin):
        raise ValueError(f"invalid checkpoint origin {origin!r}")


def checkpoint_body(origin: str, tree_size: int, root: bytes) -> str:
    """The note text of C2SP tlog-checkpoint: origin, tree size, base64 root, each + ``\\n``."""
    _check_origin(origin)
    if isinstance(tree_size, bool) or not isinstance(tree_size, int) or tree_size < 0:
        raise ValueError(f"tree size must be a non-negative integer, not {tree_size!r}")
    if len(root) != HASH_SIZE:
        raise ValueError(f"root must be {HASH_SIZE} bytes")
    return f"{origin}\n{tree_size}\n{_b64(root)}\n"


def parse_body(body: str) -> tuple[str, int, bytes]:
    """``(origin, tree_size, root)`` of a checkpoint body; ``ValueError`` if malformed.

    Stricter than tlog-checkpoint, which allows extension lines: this bank never writes any,
    so a body with more than three lines was not made here.
    """
    if not body.endswith("\n"):
        raise ValueError("a checkpoint body ends with a newline")
    lines = body[:-1].split("\n")
    if len(lines) != 3:
        raise ValueError("a checkpoint body has exactly three lines")
    origin, size_line, root_line = lines
    _check_origin(origin)
    if not _TREE_SIZE.fullmatch(size_line):
        raise ValueError(f"tree size {size_line!r} is not canonical ASCII decimal")
    try:
        root = _unb64(root_line, HASH_SIZE)
    except ValueError as error:
        raise ValueError(f"root hash line {root_line!r} is malformed") from error
    return origin, int(size_line), root


def note_key_hash(key_name: str, public_key_raw: bytes) -> bytes:
    """signed-note § "Ed25519 signatures": SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    _check_key_name(key_name)
    if len(public_key_raw) != PUBLIC_KEY_SIZE:
        raise ValueError(f"an Ed25519 public key is {PUBLIC_KEY_SIZE} bytes")
    digest = hashlib.sha256(key_name.encode() + b"\n" + _ED25519_TYPE + public_key_raw)
    return digest.digest()[:KEY_HASH_SIZE]


def signed_note(body: str, key_name: str, public_key_raw: bytes, signature: bytes) -> str:
    """The C2SP signed note: text, blank line, one ``— <name> <base64>`` signature line."""
    if not body.endswith("\n") or "\n\n" in body:
        raise ValueError("the note text ends with one newline and holds no blank line")
    if len(signature) != SIGNATURE_SIZE:
        raise ValueError(f"an Ed25519 signature is {SIGNATURE_SIZE} bytes")
    blob = note_key_hash(key_name, public_key_raw) + signature
    return f"{body}\n{SIGNATURE_PREFIX}{key_name} {_b64(blob)}\n"


def _raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign_checkpoint(
    private_key: Ed25519PrivateKey, key_name: str, origin: str, tree_size: int, root: bytes
) -> dict[str, Any]:
    """A checkpoint document as served by ``GET /checkpoints/latest`` (minus the key id/time).

    signed-note § "Ed25519 signatures": the signature is RFC 8032 Ed25519 over the note text,
    which is exactly the body; ``signature`` repeats it for clients that do not parse notes.
    """
    body = checkpoint_body(origin, tree_size, root)
    public_key_raw = _raw_public_key(private_key)
    signature = private_key.sign(body.encode())
    return {
        "origin": origin,
        "tree_size": tree_size,
        "root": _b64(root),
        "body": body,
        "note": signed_note(body, key_name, public_key_raw, signature),
        "signature": _b64(signature),
        "public_key": _b64(public_key_raw),
    }


def _ed25519_verifies(public_key_raw: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key_raw).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _signature_lines(note: str, body: str) -> list[tuple[str, bytes]]:
    """``(key name, key hash || signature)`` per signature line; ``ValueError`` if malformed.

    signed-note § "Format": the text is separated from the signatures by a blank line, and
    every signature line is ``— <key name> <base64>\\n``.
    """
    head = body + "\n"
    if not note.startswith(head) or not note.endswith("\n") or len(note) == len(head):
        raise ValueError("the note is not this body followed by signature lines")
    lines = []
    for line in note[len(head) : -1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise ValueError("a signature line starts with an em dash and a space")
        key_name, _, blob_text = line[len(SIGNATURE_PREFIX) :].partition(" ")
        _check_key_name(key_name)
        blob = base64.b64decode(blob_text.encode("ascii"), validate=True)
        if len(blob) <= KEY_HASH_SIZE or _b64(blob) != blob_text:
            raise ValueError("malformed signature in a signature line")
        lines.append((key_name, blob))
    return lines


def _note_is_signed(note: str, body: str, public_key_raw: bytes, signature: bytes) -> bool:
    """Whether the note carries ``signature`` under this key's name and key hash.

    signed-note § "Signatures": lines from unknown keys are ignored, but at least one line
    must come from this key, and every line from this key must hold the verified signature.
    """
    ours = 0
    for key_name, blob in _signature_lines(note, body):
        if blob[:KEY_HASH_SIZE] != note_key_hash(key_name, public_key_raw):
            continue
        if blob[KEY_HASH_SIZE:] != signature:
            return False
        ours += 1
    return ours > 0


def verify_checkpoint(document: dict[str, Any], public_key_raw: bytes | None = None) -> bool:
    """Whether a checkpoint document is whole and signed; never raises on bad input.

    Checks the Ed25519 signature over ``body``, that ``body`` says what ``origin``,
    ``tree_size`` and ``root`` say, and that ``note`` is ``body`` signed by the same key with
    the same signature. Without ``public_key_raw`` the document's own key is trusted, which
    proves only integrity: pass the bank's published key to prove who signed it.
    """
    try:
        return _verify(document, public_key_raw)
    except (KeyError, TypeError, ValueError):
        # ValueError covers binascii.Error and UnicodeError from malformed base64.
        return False


def _verify(document: dict[str, Any], expected_key: bytes | None) -> bool:
    origin, tree_size, root_text, body, note, signature_text, key_text = (
        document[field] for field in _FIELDS
    )
    texts = (origin, root_text, body, note, signature_text, key_text)
    if not all(isinstance(v, str) for v in texts) or type(tree_size) is not int:
        return False
    public_key_raw = _unb64(key_text, PUBLIC_KEY_SIZE)
    if expected_key is not None and public_key_raw != expected_key:
        return False
    if parse_body(body) != (origin, tree_size, _unb64(root_text, HASH_SIZE)):
        return False
    signature = _unb64(signature_text, SIGNATURE_SIZE)
    if not _ed25519_verifies(public_key_raw, body.encode(), signature):
        return False
    if _CONTROL.search(note):
        return False
    return _note_is_signed(note, body, public_key_raw, signature)
