"""Key material: Ed25519 signing keys, the personal-data keys and the session secret.

Layout of the keys directory::

    signing/<YYYYmmddTHHMMSSZ>.pem   Ed25519 private keys (PKCS8 PEM); every one is published
    pii-encryption.keys              Fernet keys, one a line; the first encrypts, all decrypt
    pii-hmac.key                     32 random bytes, base64: the national-ID fingerprint key
    session-secret.key               the Flask secret key

In production the last three come from ``CREDITBANK_PII_ENCRYPTION_KEYS`` (comma-separated),
``CREDITBANK_PII_HMAC_KEY`` and ``CREDITBANK_SECRET_KEY`` instead, and nothing is generated:
a missing secret stops the process with a message that says what to set.

A signing key's id (``kid``) is its RFC 7638 JWK thumbprint, so the id follows from the key and
cannot be mislabelled. The active key is the newest file unless ``CREDITBANK_SIGNING_KEY_ID``
pins one; older keys stay published so that tokens, credentials and checkpoints they signed
still verify after a rotation.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from creditbank.security.pii import MIN_HMAC_KEY_BYTES, PersonalDataCipher

SIGNING_DIR = "signing"
PII_ENCRYPTION_FILE = "pii-encryption.keys"
PII_HMAC_FILE = "pii-hmac.key"
SESSION_SECRET_FILE = "session-secret.key"  # noqa: S105 - a file name, not a secret
ENV_SIGNING_KEY_ID = "CREDITBANK_SIGNING_KEY_ID"
ENV_PII_ENCRYPTION_KEYS = "CREDITBANK_PII_ENCRYPTION_KEYS"
ENV_PII_HMAC_KEY = "CREDITBANK_PII_HMAC_KEY"
ENV_SECRET_KEY = "CREDITBANK_SECRET_KEY"  # noqa: S105 - a variable name
MIN_SESSION_SECRET_BYTES = 32
_FILE_TIMESTAMP = "%Y%m%dT%H%M%SZ"
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


class KeyRing:
    """The keys one process works with; build it with :func:`load_keyring`."""

    __slots__ = ("_public", "_signing", "active_kid", "pii", "session_secret")

    def __init__(
        self,
        signing_keys: Mapping[str, Ed25519PrivateKey],
        *,
        active_kid: str,
        pii: PersonalDataCipher,
        session_secret: bytes,
    ) -> None:
        if active_kid not in signing_keys:
            raise ValueError("the active key must be one of the signing keys")
        self._signing = dict(signing_keys)
        # Derived once: every token check needs them (deriving costs a scalar multiplication).
        self._public = {kid: key.public_key() for kid, key in self._signing.items()}
        self.active_kid = active_kid
        self.pii = pii
        self.session_secret = session_secret

    def __repr__(self) -> str:
        return f"KeyRing(active_kid={self.active_kid!r}, kids={list(self._signing)!r})"

    def signing_key(self, kid: str | None = None) -> Ed25519PrivateKey:
        """The private key ``kid`` (the active one when None); KeyError when unknown."""
        return self._signing[self.active_kid if kid is None else kid]

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        """Every published public key by kid, oldest file first."""
        return dict(self._public)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The RFC 7517 JWK set served at ``/.well-known/jwks.json``."""
        keys = [
            {**public_jwk(public), "kid": kid, "use": "sig", "alg": "EdDSA"}
            for kid, public in self.public_keys().items()
        ]
        return {"keys": keys}


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    """The RFC 8037 JWK members of an Ed25519 public key (``kty``, ``crv``, ``x``)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}


def jwk_thumbprint(public_key: Ed25519PublicKey) -> str:
    """RFC 7638 thumbprint: SHA-256 of the required members, sorted, no blanks; base64url."""
    jwk = public_jwk(public_key)
    members = {name: jwk[name] for name in ("crv", "kty", "x")}
    required = json.dumps(members, sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(required.encode("utf-8")).digest())


def load_keyring(
    keys_dir: Path, *, create_missing: bool, env: Mapping[str, str] = os.environ
) -> KeyRing:
    """Load every key; with ``create_missing`` generate, once, whatever is absent.

    Generation is for a workstation's first start (and development): several gunicorn workers
    start at the same moment, so creation happens under an exclusive lock and never replaces a
    file, and all of them end up with the same keys.
    """
    keys_dir = Path(keys_dir)
    if create_missing:
        with _creation_lock(keys_dir):
            _create_missing(keys_dir, env)
    signing_dir = keys_dir / SIGNING_DIR
    signing = _load_signing_keys(signing_dir)
    return KeyRing(
        dict(signing),
        active_kid=_active_kid(signing, signing_dir, env),
        pii=PersonalDataCipher(_fernet_keys(keys_dir, env), _hmac_key(keys_dir, env)),
        session_secret=_session_secret(keys_dir, env),
    )


def generate_signing_key(keys_dir: Path, *, now: datetime | None = None) -> str:
    """Add a new Ed25519 key to ``keys_dir/signing`` and return its kid.

    The new key is the newest file, so it signs from the next start of each process on. Every
    process must reload before clients see tokens signed with it, or an old process will not
    know its kid; to stage a key, pin the current one with ``CREDITBANK_SIGNING_KEY_ID`` first.
    """
    signing_dir = _private_dir(Path(keys_dir)) / SIGNING_DIR
    _private_dir(signing_dir)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    # The new key must sort last even if the clock stepped back or two keys are made within
    # one second: then it takes the second after the newest name, and never overwrites a file.
    for newest in _signing_key_files(signing_dir)[-1:]:
        with contextlib.suppress(ValueError):
            named = datetime.strptime(newest.stem, _FILE_TIMESTAMP).replace(tzinfo=UTC)
            moment = max(moment, named + timedelta(seconds=1))
    for offset in range(60):
        name = (moment + timedelta(seconds=offset)).strftime(_FILE_TIMESTAMP) + ".pem"
        if _publish(signing_dir / name, pem):
            return jwk_thumbprint(key.public_key())
    raise FileExistsError(f"could not find a free key file name in {signing_dir}")


def _create_missing(keys_dir: Path, env: Mapping[str, str]) -> None:
    if not _signing_key_files(keys_dir / SIGNING_DIR):
        generate_signing_key(keys_dir)
    for variable, (file_name, _, _, generate) in _SECRETS.items():
        path = keys_dir / file_name
        if not env.get(variable, "").strip() and not path.exists():
            _publish(path, generate() + b"\n")


@contextlib.contextmanager
def _creation_lock(keys_dir: Path) -> Iterator[None]:
    # flock, not a lock file that must be removed: the kernel releases it when a process dies,
    # so a crashed first start cannot wedge every later one.
    _private_dir(keys_dir)
    fd = os.open(keys_dir / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _publish(path: Path, data: bytes) -> bool:
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


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _signing_key_files(signing_dir: Path) -> list[Path]:
    if not signing_dir.is_dir():
        return []
    return sorted(signing_dir.glob("*.pem"), key=lambda path: path.name)


def _load_signing_keys(signing_dir: Path) -> list[tuple[str, Ed25519PrivateKey]]:
    loaded = []
    for path in _signing_key_files(signing_dir):
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise MalformedSecret(f"{path} is not an unencrypted PKCS8 PEM private key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise MalformedSecret(f"{path} is not an Ed25519 key")
        loaded.append((jwk_thumbprint(key.public_key()), key))
    return loaded


def _active_kid(
    signing: list[tuple[str, Ed25519PrivateKey]], signing_dir: Path, env: Mapping[str, str]
) -> str:
    if not signing:
        raise MissingSecret(
            f"no Ed25519 signing key in {signing_dir}: run `creditbank keys generate`"
        )
    pinned = env.get(ENV_SIGNING_KEY_ID, "").strip()
    if not pinned:
        return signing[-1][0]
    if pinned not in {kid for kid, _ in signing}:
        raise MissingSecret(
            f"{ENV_SIGNING_KEY_ID} names key {pinned!r}, which is not in {signing_dir}: "
            f"put its .pem file there or unset {ENV_SIGNING_KEY_ID}"
        )
    return pinned


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


def _fernet_keys(keys_dir: Path, env: Mapping[str, str]) -> list[bytes]:
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


def _hmac_key(keys_dir: Path, env: Mapping[str, str]) -> bytes:
    where, text = _secret_text(keys_dir, env, ENV_PII_HMAC_KEY)
    key = _decode_base64(text.strip())
    if key is None or len(key) < MIN_HMAC_KEY_BYTES:
        raise MalformedSecret(f"{where} must be at least {MIN_HMAC_KEY_BYTES} random bytes, base64")
    return key


def _session_secret(keys_dir: Path, env: Mapping[str, str]) -> bytes:
    where, text = _secret_text(keys_dir, env, ENV_SECRET_KEY)
    secret = text.strip().encode("utf-8")
    if len(secret) < MIN_SESSION_SECRET_BYTES:
        raise MalformedSecret(f"{where} must be at least {MIN_SESSION_SECRET_BYTES} characters")
    return secret


def _decode_base64(text: str) -> bytes | None:
    # `openssl rand -base64` gives the standard alphabet; accept the URL-safe one as well.
    for altchars in (None, b"-_"):
        try:
            return base64.b64decode(text, altchars=altchars, validate=True)
        except (binascii.Error, ValueError):
            continue
    return None


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
