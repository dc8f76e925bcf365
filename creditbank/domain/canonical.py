"""Canonical bytes and hashes of journal entries (DESIGN.md, invariant 2).

JSON with sorted keys, separators ``,`` and ``:``, UTF-8 (not ASCII-escaped); amounts are
already decimal strings and instants RFC 3339 UTC with microseconds by the time they get here.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_bytes(document: dict[str, Any]) -> bytes:
    """The one byte form that is hashed, exported and verified."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 (lowercase hex) of an entry's canonical bytes; ``entry`` must not hold ``hash``."""
    if "hash" in entry:
        raise ValueError("an entry's hash is not part of what is hashed")
    return hashlib.sha256(canonical_bytes(entry)).hexdigest()


# A batch formats the same instant for every entry and view it writes (one instant per request).
@lru_cache(maxsize=1024)
def format_instant(instant: datetime) -> str:
    """RFC 3339 UTC with microseconds: ``2026-04-16T02:11:09.123456Z``."""
    if instant.tzinfo is None:
        raise ValueError("instants must carry a time zone")
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(text: str) -> datetime:
    """The inverse of :func:`format_instant` (accepts any RFC 3339 offset)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("instant without a time zone")
    return value.astimezone(UTC)
