"""Evidence files on disk, content-addressed: ``<instance>/evidence/<sha256[:2]>/<sha256>``.

A file is written once, atomically (a temporary name, then a rename), before the transaction
that records it; a transaction that then fails leaves a file no row names, which nothing serves
and which costs only its bytes. Reading checks the bytes against their name.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from creditbank.context import settings
from creditbank.domain.errors import NotFound

FOLDER = "evidence"
_SHA256 = re.compile(r"[0-9a-f]{64}")


def path_of(sha256: str) -> Path:
    if not _SHA256.fullmatch(sha256):
        raise NotFound("No such evidence file")
    return settings().instance_path / FOLDER / sha256[:2] / sha256


def store(data: bytes) -> str:
    """Keep ``data`` under its SHA-256 (once: the same bytes again are already there)."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_of(digest)
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{digest}.{os.getpid()}.{os.urandom(4).hex()}")
    with open(partial, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(target)  # atomic: a reader sees the whole file or none
    return digest


def load(sha256: str) -> bytes:
    try:
        data = path_of(sha256).read_bytes()
    except FileNotFoundError:
        raise NotFound("No such evidence file") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise NotFound("The evidence file is damaged")
    return data
