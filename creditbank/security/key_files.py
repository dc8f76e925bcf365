"""The key files and secrets: read from the environment in production, from the keys
directory in development, and created there, once and atomically, on a first start.

Several gunicorn workers start at the same moment, so creation happens under an exclusive lock
and never replaces a file: all of them end up with the same keys.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from cryptography.fernet import Fernet

from creditbank.security.pii import MIN_HMAC_KEY_BYTES

SIGNING_DIR = "signing"
FILE_TIMESTAMP = "%Y%m%dT%H%M%SZ"  # a signing key file's name: when it was made
PII_ENCRYPTION_FILE = "pii-encryption.keys"
PII_HMAC_FILE = "pii-hmac.key"
SESSION_SECRET_FILE = "session-secret.key"  # noqa: S105 - a file name, not a secret
ENV_PII_ENCRYPTION_KEYS = "CREDITBANK_PII_ENCRYPTION_KEYS"
ENV_PII_HMAC_KEY = "CREDITBANK_PII_HMAC_KEY"
ENV_SECRET_KEY = "CREDITBANK_SECRET_KEY"  # noqa: S105 - a variable name
MIN_SESSION_SECRET_BYTES = 32
# Environment variable -> (file name, what it is, how to make one, generator for a first start).
_SECRETS: dict[str, tuple[str, str, str, Callable[[], bytes]]] = {
    ENV_PII_ENCRYPTION_KEYS: (
        PII_ENCRYPTION_FILE,
        "personal-data encryption key",
        "comma-separated Fernet keys, the first encrypts; make one with `python -c "
        '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`',
        Fernet.generate_key,
    ),
    ENV_PII_HMAC_KEY: (
        PII_HMAC_FILE,
        "personal-data HMAC key",
        "32 random bytes, base64: `openssl rand -base64 32`; never change it once learners "
        "exist, every national-ID fingerprint depends on it",
        lambda: base64.b64encode(secrets.token_bytes(32)),
    ),
    ENV_SECRET_KEY: (
        SESSION_SECRET_FILE,
        "session secret",
        'e.g. `python -c "import secrets; print(secrets.token_urlsafe(32))"`',
        lambda: secrets.token_urlsafe(32).encode("ascii"),
    ),
}
_LOCK_FILE = ".lock"


class KeyMaterialError(RuntimeError):
    """Key material is missing or unusable; the message says which and how to fix it."""


class MissingSecret(KeyMaterialError):
    """A key or secret is absent and may not be generated (production)."""


class MalformedSecret(KeyMaterialError):
    """A key or secret is present but not in the expected form (the message never holds it)."""


def create_missing_secrets(keys_dir: Path, env: Mapping[str, str]) -> None:
    """Write a file for each secret that neither the environment nor a file provides."""
    for variable, (file_name, _, _, generate) in _SECRETS.items():
        path = keys_dir / file_name
        if not env.get(variable, "").strip() and not path.exists():
            publish(path, generate() + b"\n")


@contextlib.contextmanager
def creation_lock(keys_dir: Path) -> Iterator[None]:
    # flock, not a lock file that must be removed: the kernel releases it when a process dies,
    # so a crashed first start cannot wedge every later one.
    private_dir(keys_dir)
    fd = os.open(keys_dir / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def publish(path: Path, data: bytes) -> bool:
    """Create ``path`` (mode 0600) holding ``data`` unless it exists; True if this call did.

    The data goes to a private temporary file first (O_CREAT|O_EXCL, 0600) and is then
    hard-linked to its name: link(2) fails when the name exists, so two writers can never both
    win, and a reader never sees a half-written key.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        _fsync_dir(path.parent)
        return True
    finally:
        temporary.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    # A key that vanishes in a power cut after data was encrypted with it is data lost for good.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _secret_text(keys_dir: Path, env: Mapping[str, str], variable: str) -> tuple[str, str]:
    """(where it came from, text): the environment wins over the file."""
    file_name, what, how, _ = _SECRETS[variable]
    value = env.get(variable, "").strip()
    if value:
        return variable, value
    path = keys_dir / file_name
    if path.is_file():
        return str(path), path.read_text("utf-8")
    raise MissingSecret(f"no {what}: set {variable} ({how}) or create {path}")


def fernet_keys(keys_dir: Path, env: Mapping[str, str]) -> list[bytes]:
    where, text = _secret_text(keys_dir, env, ENV_PII_ENCRYPTION_KEYS)
    # Comma (environment) or newline (file); '#' starts a comment line in the file.
    entries = [item.strip() for item in text.replace(",", "\n").splitlines()]
    keys = [item.encode("ascii", "replace") for item in entries if item and item[0] != "#"]
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, binascii.Error):
            raise MalformedSecret(f"{where}: key {number} is not a Fernet key") from None
    if not keys:
        raise MalformedSecret(f"{where} holds no Fernet key")
    return keys


def hmac_key(keys_dir: Path, env: Mapping[str, str]) -> bytes:
    where, text = _secret_text(keys_dir, env, ENV_PII_HMAC_KEY)
    key = decode_base64(text.strip())
    if key is None or len(key) < MIN_HMAC_KEY_BYTES:
        raise MalformedSecret(f"{where} must be at least {MIN_HMAC_KEY_BYTES} random bytes, base64")
    return key


def session_secret(keys_dir: Path, env: Mapping[str, str]) -> bytes:
    where, text = _secret_text(keys_dir, env, ENV_SECRET_KEY)
    secret = text.strip().encode("utf-8")
    if len(secret) < MIN_SESSION_SECRET_BYTES:
        raise MalformedSecret(f"{where} must be at least {MIN_SESSION_SECRET_BYTES} characters")
    return secret


def decode_base64(text: str) -> bytes | None:
    # `openssl rand -base64` gives the standard alphabet; accept the URL-safe one as well.
    for altchars in (None, b"-_"):
        try:
            return base64.b64decode(text, altchars=altchars, validate=True)
        except (binascii.Error, ValueError):
            continue
    return None
