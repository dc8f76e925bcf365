"""Hashing of learner passwords and client secrets with scrypt.

The encoding names its own parameters (``scrypt$16384$8$1$<b64 salt>$<b64 hash>``), so the cost
can be raised later: old hashes keep verifying under the parameters they were made with, and
:func:`needs_rehash` tells the login path when to store a fresh hash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import unicodedata

SCHEME = "scrypt"
# 2**14, 8, 1: the interactive-login parameters of the scrypt paper and of RFC 7914 §2;
# about 16 MiB and some tens of milliseconds per hash.
COST_N = 2**14
BLOCK_SIZE_R = 8
PARALLELISM_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
# A corrupted or hostile stored hash must not make one login allocate gigabytes.
_MAX_MEMORY = 1024 * 1024 * 1024
_MIN_KEY_BYTES = 16


def hash_secret(secret: str) -> str:
    """A new salted scrypt hash of ``secret`` in the self-describing encoding."""
    salt = secrets.token_bytes(SALT_BYTES)
    derived = _scrypt(secret, salt, COST_N, BLOCK_SIZE_R, PARALLELISM_P, KEY_BYTES)
    return "$".join(
        (SCHEME, str(COST_N), str(BLOCK_SIZE_R), str(PARALLELISM_P), _b64(salt), _b64(derived))
    )


def verify_secret(secret: str, encoded: str) -> bool:
    """True when ``secret`` matches ``encoded``; False for a mismatch or a malformed encoding."""
    parsed = _parse(encoded)
    if parsed is None or not isinstance(secret, str):
        return False
    n, r, p, salt, expected = parsed
    try:
        derived = _scrypt(secret, salt, n, r, p, len(expected))
    except (ValueError, OverflowError, MemoryError):
        return False
    # Constant time: how many leading bytes matched must not show in the response time.
    return hmac.compare_digest(derived, expected)


def dummy_verify(secret: str = "") -> bool:
    """Spend the time of a real verification and return False.

    Call it when the account or client does not exist, so that "no such user" and "wrong
    password" take the same time and cannot be told apart (user enumeration by timing).
    """
    verify_secret(secret if isinstance(secret, str) else "", _DUMMY_ENCODED)
    return False


def needs_rehash(encoded: str) -> bool:
    """True when ``encoded`` was made with other parameters than the current ones."""
    parsed = _parse(encoded)
    if parsed is None:
        return True
    n, r, p, salt, expected = parsed
    current = (COST_N, BLOCK_SIZE_R, PARALLELISM_P, SALT_BYTES, KEY_BYTES)
    return (n, r, p, len(salt), len(expected)) != current


def new_client_secret() -> str:
    """A new client secret: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    # NFKC (NIST SP 800-63B §5.1.1.2): a full-width character typed by an input method and its
    # ASCII twin are the same password.
    data = unicodedata.normalize("NFKC", secret).encode("utf-8")
    return hashlib.scrypt(
        data, salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=_memory_needed(n, r, p) + 2**20
    )


def _memory_needed(n: int, r: int, p: int) -> int:
    # What OpenSSL allocates: the V array 128*r*(N+2) plus the B blocks 128*r*p.
    return 128 * r * (n + p + 2)


def _parse(encoded: object) -> tuple[int, int, int, bytes, bytes] | None:
    if not isinstance(encoded, str):
        return None
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return None
    if not all(part.isascii() and part.isdigit() for part in parts[1:4]):
        return None
    n, r, p = (int(part) for part in parts[1:4])
    if n < 2 or n & (n - 1) or not 1 <= r <= 64 or not 1 <= p <= 16:
        return None
    if _memory_needed(n, r, p) > _MAX_MEMORY:
        return None
    try:
        salt = base64.b64decode(parts[4], validate=True)
        expected = base64.b64decode(parts[5], validate=True)
    except (binascii.Error, ValueError):
        return None
    if not salt or len(expected) < _MIN_KEY_BYTES:
        return None
    return n, r, p, salt, expected


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


# No scrypt run at import: any well-formed encoding with the current parameters costs a
# verification the same time, and a random "hash" that nothing can match is enough.
_DUMMY_ENCODED = "$".join(
    (
        SCHEME,
        str(COST_N),
        str(BLOCK_SIZE_R),
        str(PARALLELISM_P),
        _b64(secrets.token_bytes(SALT_BYTES)),
        _b64(secrets.token_bytes(KEY_BYTES)),
    )
)
