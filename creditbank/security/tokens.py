"""Signed tokens: the one module that talks to PyJWT.

Access tokens and, later, VC-JWT credentials are compact JWS signed with Ed25519 (``EdDSA``).
Verification follows RFC 8725 (JWT best current practices): the algorithm is pinned, not read
from the token; the key is chosen by ``kid`` among our own published keys only; the ``typ``
header is checked so that a credential can never pass as an access token or the reverse; and
every failure is one exception whose message is a fixed phrase, never a piece of the token.

A client sends the same access token with every request until it expires, so each process
remembers the last few thousand tokens it verified (the token itself is the key): a repeat
costs a dictionary look-up and the expiry check instead of parsing and an Ed25519 check.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import jwt
from jwt import exceptions as jwt_errors

from creditbank.security.keys import KeyRing

ALGORITHM = "EdDSA"
# RFC 9068 media type of OAuth 2.0 JWT access tokens.
ACCESS_TOKEN_TYP = "at+jwt"  # noqa: S105 - a media type
ACCESS_TOKEN_CLAIMS = ("iss", "aud", "sub", "role", "iat", "exp", "jti")
# A bearer token is a few hundred bytes; refusing huge ones before parsing costs nothing.
MAX_TOKEN_LENGTH = 16 * 1024
VERIFIED_TOKENS_KEPT = 4096  # per process
_VERIFIED: OrderedDict[tuple[str, str, str], tuple[dict[str, Any], str]] = OrderedDict()
_VERIFIED_LOCK = threading.Lock()
# Headers a caller may not set: they decide how the token is verified.
_RESERVED_HEADERS = frozenset({"alg", "kid", "typ", "crit", "b64", "jku", "jwk", "x5u", "x5c"})

# Fixed phrases per PyJWT failure; PyJWT's own messages can quote attacker-chosen header values.
_REASONS: tuple[tuple[type[Exception], str], ...] = (
    (jwt_errors.ExpiredSignatureError, "token expired"),
    (jwt_errors.ImmatureSignatureError, "token not yet valid"),
    (jwt_errors.InvalidAudienceError, "wrong audience"),
    (jwt_errors.InvalidIssuerError, "wrong issuer"),
    (jwt_errors.InvalidSignatureError, "bad signature"),
    (jwt_errors.InvalidAlgorithmError, "algorithm not allowed"),
    (jwt_errors.InvalidIssuedAtError, "malformed claims"),
    (jwt_errors.InvalidSubjectError, "malformed claims"),
    (jwt_errors.InvalidJTIError, "malformed claims"),
    (jwt_errors.DecodeError, "malformed token"),
)


class InvalidToken(Exception):
    """A token that must not be trusted; ``reason`` is a short fixed phrase safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def issue_access_token(
    keyring: KeyRing,
    *,
    issuer: str,
    audience: str,
    subject: str,
    role: str,
    ttl_seconds: int = 900,
    extra_claims: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> tuple[str, int]:
    """Sign an access token with the active key; return it with its lifetime in seconds.

    ``extra_claims`` adds claims such as ``provider_id`` or ``ver``; it may not replace a
    registered one.
    """
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    issued_at = int((now or datetime.now(UTC)).timestamp())
    registered = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "role": str(role),
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    extras = dict(extra_claims or {})
    clash = sorted(extras.keys() & registered.keys())
    if clash:
        raise ValueError(f"extra_claims may not replace registered claims: {clash}")
    token = sign_jws(keyring, {**extras, **registered}, typ=ACCESS_TOKEN_TYP)
    return token, ttl_seconds


def verify_access_token(
    keyring: KeyRing, token: str, *, issuer: str, audience: str, leeway: int = 30
) -> dict[str, Any]:
    """The claims of a valid access token; :class:`InvalidToken` for anything else."""
    key = (token, issuer, audience)
    with _VERIFIED_LOCK:
        remembered = _VERIFIED.get(key)
    if remembered is not None:
        claims, kid = remembered
        # Only the passing of time or a retired key can change the verdict on the same bytes.
        if time.time() < claims["exp"] + leeway and kid in keyring.public_keys():
            return dict(claims)
        with _VERIFIED_LOCK:
            _VERIFIED.pop(key, None)
    claims = verify_jws(
        keyring,
        token,
        typ=ACCESS_TOKEN_TYP,
        issuer=issuer,
        audience=audience,
        leeway=leeway,
        required=ACCESS_TOKEN_CLAIMS,
    )
    if not isinstance(claims["role"], str) or not claims["sub"]:
        raise InvalidToken("malformed claims")
    if isinstance(claims["exp"], int | float):
        with _VERIFIED_LOCK:
            _VERIFIED[key] = (dict(claims), jwt.get_unverified_header(token)["kid"])
            while len(_VERIFIED) > VERIFIED_TOKENS_KEPT:
                _VERIFIED.popitem(last=False)
    return claims


def sign_jws(
    keyring: KeyRing,
    payload: Mapping[str, Any],
    *,
    typ: str,
    headers: Mapping[str, Any] | None = None,
    kid_prefix: str = "",
) -> str:
    """A compact JWS of ``payload`` (a JSON object) signed with the active key.

    The header carries ``alg`` EdDSA, the active ``kid`` and ``typ`` (e.g. ``vc+jwt``);
    ``headers`` may add others but not those that steer verification. ``kid_prefix`` makes
    the ``kid`` a URL that resolves to the key (credentials: ``<base>/keys/<kid>``).
    """
    extra = dict(headers or {})
    reserved = sorted(extra.keys() & _RESERVED_HEADERS)
    if reserved:
        raise ValueError(f"headers may not set {reserved}")
    return jwt.encode(
        dict(payload),
        keyring.signing_key(),
        algorithm=ALGORITHM,
        headers={**extra, "kid": kid_prefix + keyring.active_kid, "typ": typ},
    )


def verify_jws(
    keyring: KeyRing,
    token: str,
    *,
    typ: str,
    issuer: str | None = None,
    audience: str | None = None,
    leeway: int = 30,
    required: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The payload of a JWS made by :func:`sign_jws` with one of the keyring's keys.

    ``exp``, ``nbf`` and ``iat`` are checked when present; a payload that names an audience
    is refused unless ``audience`` matches it. Raises :class:`InvalidToken`.
    """
    public_key = _verification_key(keyring, token, typ)
    try:
        return jwt.decode(
            token,
            public_key,
            algorithms=[ALGORITHM],
            issuer=issuer,
            audience=audience,
            leeway=leeway,
            options={"require": list(required)},
        )
    except jwt_errors.MissingRequiredClaimError as exc:
        # The claim name comes from our own list, never from the token.
        raise InvalidToken(f"missing claim {exc.claim}") from None
    except jwt_errors.PyJWTError as exc:
        raise InvalidToken(_reason(exc)) from None


def _verification_key(keyring: KeyRing, token: str, typ: str) -> Any:
    """Read the (still untrusted) header and pick our key by ``kid``; never trust ``alg``."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("malformed token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt_errors.InvalidTokenError:
        raise InvalidToken("malformed token") from None
    if header.get("alg") != ALGORITHM:
        raise InvalidToken("algorithm not allowed")
    if not _same_typ(header.get("typ"), typ):
        raise InvalidToken("wrong token type")
    kid = header.get("kid")
    public_key = keyring.public_keys().get(kid) if isinstance(kid, str) else None
    if public_key is None:
        raise InvalidToken("unknown signing key")
    return public_key


def _same_typ(found: object, expected: str) -> bool:
    # RFC 7515 §4.1.9: media types compare case-insensitively, "application/" may be omitted.
    def bare(value: str) -> str:
        return value.lower().removeprefix("application/")

    return isinstance(found, str) and bare(found) == bare(expected)


def _reason(exc: Exception) -> str:
    for kind, reason in _REASONS:
        if isinstance(exc, kind):
            return reason
    return "invalid token"
