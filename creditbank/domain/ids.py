"""Identifiers: a prefix and a ULID (48-bit millisecond time, 80 random bits, Crockford base32).

They sort by creation time, which makes keyset pagination follow the order things happened,
and need no global sequence, which lets the journal shard by learner.
"""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_PATTERN = "[0-9A-HJKMNP-TV-Z]{26}"  # a ULID as ulid() writes it: 26 of _ALPHABET


def ulid(now_ms: int | None = None) -> str:
    """A new 26-character ULID."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        value, index = divmod(value, 32)
        chars.append(_ALPHABET[index])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """``new_id("o")`` → ``"o_01J..."``; learners use ``"L"`` with no underscore (``L01J...``)."""
    return f"{prefix}{ulid()}" if prefix == "L" else f"{prefix}_{ulid()}"
