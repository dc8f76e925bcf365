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
import contextlib
import hashlib
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from creditbank.security import key_files
from creditbank.security.key_files import (
    FILE_TIMESTAMP,
    SIGNING_DIR,
    MalformedSecret,
    MissingSecret,
)
from creditbank.security.pii import PersonalDataCipher

ENV_SIGNING_KEY_ID = "CREDITBANK_SIGNING_KEY_ID"


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
        with key_files.creation_lock(keys_dir):
            if not _signing_key_files(keys_dir / SIGNING_DIR):
                generate_signing_key(keys_dir)
            key_files.create_missing_secrets(keys_dir, env)
    signing_dir = keys_dir / SIGNING_DIR
    signing = _load_signing_keys(signing_dir)
    return KeyRing(
        dict(signing),
        active_kid=_active_kid(signing, signing_dir, env),
        pii=PersonalDataCipher(
            key_files.fernet_keys(keys_dir, env), key_files.hmac_key(keys_dir, env)
        ),
        session_secret=key_files.session_secret(keys_dir, env),
    )


def generate_signing_key(keys_dir: Path, *, now: datetime | None = None) -> str:
    """Add a new Ed25519 key to ``keys_dir/signing`` and return its kid.

    The new key is the newest file, so it signs from the next start of each process on. Every
    process must reload before clients see tokens signed with it, or an old process will not
    know its kid; to stage a key, pin the current one with ``CREDITBANK_SIGNING_KEY_ID`` first.
    """
    signing_dir = key_files.private_dir(Path(keys_dir)) / SIGNING_DIR
    key_files.private_dir(signing_dir)
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
            named = datetime.strptime(newest.stem, FILE_TIMESTAMP).replace(tzinfo=UTC)
            moment = max(moment, named + timedelta(seconds=1))
    for offset in range(60):
        name = (moment + timedelta(seconds=offset)).strftime(FILE_TIMESTAMP) + ".pem"
        if key_files.publish(signing_dir / name, pem):
            return jwk_thumbprint(key.public_key())
    raise FileExistsError(f"could not find a free key file name in {signing_dir}")


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


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
