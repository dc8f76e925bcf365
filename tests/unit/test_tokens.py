"""Access tokens and generic JWS: what verifies, and every way a forgery is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.security.keys import KeyRing, jwk_thumbprint
from creditbank.security.pii import PersonalDataCipher
from creditbank.security.tokens import (
    InvalidToken,
    issue_access_token,
    sign_jws,
    verify_access_token,
    verify_jws,
)

ISSUER, AUDIENCE = "https://creditbank.example", "creditbank-api"


def make_keyring(*private_keys: Ed25519PrivateKey) -> KeyRing:
    keys = private_keys or (Ed25519PrivateKey.generate(),)
    by_kid = {jwk_thumbprint(key.public_key()): key for key in keys}
    return KeyRing(
        by_kid,
        active_kid=list(by_kid)[-1],
        pii=PersonalDataCipher([Fernet.generate_key()], os.urandom(32)),
        session_secret=os.urandom(32),
    )


@pytest.fixture
def keyring() -> KeyRing:
    return make_keyring()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(token: str) -> tuple[dict, dict, str]:
    header, payload, signature = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload)), signature


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def valid_claims(**changes) -> dict:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "L01JTEST",
        "role": "learner",
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "jti": "a" * 32,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def signed(keyring: KeyRing, claims: dict, **header) -> str:
    """A token signed with our own key, built without going through tokens.py."""
    headers = {"kid": keyring.active_kid, "typ": "at+jwt"} | header
    return jwt.encode(claims, keyring.signing_key(), algorithm="EdDSA", headers=headers)


def unsigned(header: dict, claims: dict, signature: bytes = b"") -> str:
    parts = (json.dumps(header).encode(), json.dumps(claims).encode(), signature)
    return ".".join(b64url(part) for part in parts)


def ed25519_signed(key: Ed25519PrivateKey, header: dict, claims: dict) -> str:
    """Sign by hand, for headers that PyJWT itself would refuse to write."""
    signing_input = unsigned(header, claims).rsplit(".", 1)[0]
    return f"{signing_input}.{b64url(key.sign(signing_input.encode()))}"


def refused(keyring: KeyRing, token, reason: str | None = None) -> InvalidToken:
    with pytest.raises(InvalidToken) as caught:
        verify_access_token(keyring, token, issuer=ISSUER, audience=AUDIENCE)
    if reason is not None:
        assert caught.value.reason == reason
    message = str(caught.value)
    assert len(message) < 60
    if isinstance(token, str):
        for part in token.split("."):
            assert len(part) < 8 or part not in message, "the token must never be echoed"
    return caught.value


def test_round_trip_gives_back_every_claim(keyring):
    now = datetime.now(UTC)
    token, expires_in = issue_access_token(
        keyring,
        issuer=ISSUER,
        audience=AUDIENCE,
        subject="p_01JPROVIDER",
        role="provider",
        ttl_seconds=600,
        extra_claims={"provider_id": "p_01JPROVIDER", "ver": 3},
        now=now,
    )
    claims = verify_access_token(keyring, token, issuer=ISSUER, audience=AUDIENCE)

    assert expires_in == 600
    assert claims["iss"] == ISSUER and claims["aud"] == AUDIENCE
    assert claims["sub"] == "p_01JPROVIDER" and claims["role"] == "provider"
    assert claims["provider_id"] == "p_01JPROVIDER" and claims["ver"] == 3
    assert claims["iat"] == claims["nbf"] == int(now.timestamp())
    assert claims["exp"] == claims["iat"] + 600
    assert len(claims["jti"]) == 32 and int(claims["jti"], 16) >= 0
    header, _, _ = segments(token)
    assert header == {"alg": "EdDSA", "kid": keyring.active_kid, "typ": "at+jwt"}


def test_default_lifetime_is_fifteen_minutes_and_every_token_has_its_own_jti(keyring):
    tokens = [
        issue_access_token(keyring, issuer=ISSUER, audience=AUDIENCE, subject="s", role="auditor")
        for _ in range(3)
    ]
    assert {expires_in for _, expires_in in tokens} == {900}
    assert len({segments(token)[1]["jti"] for token, _ in tokens}) == 3


def test_extra_claims_may_not_replace_registered_ones(keyring):
    with pytest.raises(ValueError, match="role"):
        issue_access_token(
            keyring,
            issuer=ISSUER,
            audience=AUDIENCE,
            subject="L1",
            role="learner",
            extra_claims={"role": "workstation"},
        )


def test_expired_token_is_refused(keyring):
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    token, _ = issue_access_token(
        keyring, issuer=ISSUER, audience=AUDIENCE, subject="L1", role="learner", now=long_ago
    )
    refused(keyring, token, "token expired")


def test_expiry_allows_the_leeway_for_clock_skew_and_no_more(keyring):
    token = signed(keyring, valid_claims(exp=int(time.time()) - 10))
    assert verify_access_token(keyring, token, issuer=ISSUER, audience=AUDIENCE)
    with pytest.raises(InvalidToken, match="expired"):
        verify_access_token(keyring, token, issuer=ISSUER, audience=AUDIENCE, leeway=0)


def test_token_from_the_future_is_refused(keyring):
    later = datetime.now(UTC) + timedelta(minutes=5)
    token, _ = issue_access_token(
        keyring, issuer=ISSUER, audience=AUDIENCE, subject="L1", role="learner", now=later
    )
    refused(keyring, token, "token not yet valid")


def test_wrong_audience_is_refused(keyring):
    token, _ = issue_access_token(
        keyring, issuer=ISSUER, audience="another-api", subject="L1", role="learner"
    )
    refused(keyring, token, "wrong audience")


def test_wrong_issuer_is_refused(keyring):
    token, _ = issue_access_token(
        keyring, issuer="https://evil.example", audience=AUDIENCE, subject="L1", role="learner"
    )
    refused(keyring, token, "wrong issuer")


@pytest.mark.parametrize("alg", ["none", "None", "NONE", ""])
def test_alg_none_is_refused(keyring, alg):
    header = {"alg": alg, "kid": keyring.active_kid, "typ": "at+jwt"}
    refused(keyring, unsigned(header, valid_claims()), "algorithm not allowed")


def test_missing_alg_is_refused(keyring):
    refused(keyring, unsigned({"kid": keyring.active_kid, "typ": "at+jwt"}, valid_claims()))


def _public_key_forms(keyring: KeyRing) -> list[bytes]:
    public = keyring.signing_key().public_key()
    return [
        public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        json.dumps(keyring.jwks()["keys"][0]).encode(),
    ]


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_signed_with_the_public_key_is_refused(keyring, alg):
    # Algorithm confusion: the public key is public, so an HMAC under it is forgeable by anyone.
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    header = {"alg": alg, "kid": keyring.active_kid, "typ": "at+jwt"}
    claims = valid_claims(role="workstation")
    for secret in _public_key_forms(keyring):
        signing_input = unsigned(header, claims).rsplit(".", 1)[0]
        mac = hmac.new(secret, signing_input.encode(), digest).digest()
        refused(keyring, f"{signing_input}.{b64url(mac)}", "algorithm not allowed")


def test_other_asymmetric_algorithm_headers_are_refused(keyring):
    token = signed(keyring, valid_claims())
    _, payload, signature = token.split(".")
    for alg in ("ES256", "RS256", "PS256", "Ed25519"):
        header = {"alg": alg, "kid": keyring.active_kid, "typ": "at+jwt"}
        forged = f"{b64url(json.dumps(header).encode())}.{payload}.{signature}"
        refused(keyring, forged, "algorithm not allowed")


def test_tampered_payload_is_refused(keyring):
    token, _ = issue_access_token(
        keyring, issuer=ISSUER, audience=AUDIENCE, subject="L1", role="learner"
    )
    header, _, signature = token.split(".")
    claims = segments(token)[1] | {"role": "workstation"}
    forged = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"
    refused(keyring, forged, "bad signature")


def test_tampered_signature_is_refused(keyring):
    token, _ = issue_access_token(
        keyring, issuer=ISSUER, audience=AUDIENCE, subject="L1", role="learner"
    )
    head, signature = token.rsplit(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[0] ^= 1
    refused(keyring, f"{head}.{b64url(bytes(raw))}", "bad signature")


def test_token_signed_by_a_stranger_is_refused(keyring):
    stranger = make_keyring()
    token, _ = issue_access_token(
        stranger, issuer=ISSUER, audience=AUDIENCE, subject="L1", role="workstation"
    )
    refused(keyring, token, "unknown signing key")


def test_stranger_claiming_our_kid_fails_on_the_signature(keyring):
    stranger = make_keyring()
    token = jwt.encode(
        valid_claims(),
        stranger.signing_key(),
        algorithm="EdDSA",
        headers={"kid": keyring.active_kid, "typ": "at+jwt"},
    )
    refused(keyring, token, "bad signature")


@pytest.mark.parametrize("kid", [None, 7, "", "x" * 43, ["k"]])
def test_missing_or_unknown_kid_is_refused(keyring, kid):
    header = {"alg": "EdDSA", "typ": "at+jwt"} | ({} if kid is None else {"kid": kid})
    token = ed25519_signed(keyring.signing_key(), header, valid_claims())
    refused(keyring, token)


@pytest.mark.parametrize("claim", ["iss", "aud", "sub", "role", "iat", "exp", "jti"])
def test_missing_claim_is_refused(keyring, claim):
    refused(keyring, signed(keyring, valid_claims(**{claim: None})), f"missing claim {claim}")


@pytest.mark.parametrize(
    "changes",
    [{"role": 5}, {"role": ["workstation"]}, {"sub": 12}, {"sub": ""}, {"iat": "yesterday"}],
)
def test_claims_of_the_wrong_type_are_refused(keyring, changes):
    refused(keyring, signed(keyring, valid_claims(**changes)), "malformed claims")


def test_a_credential_cannot_pass_as_an_access_token(keyring):
    credential = sign_jws(keyring, valid_claims(), typ="vc+jwt")
    refused(keyring, credential, "wrong token type")
    refused(keyring, signed(keyring, valid_claims(), typ="JWT"), "wrong token type")


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b", "a.b.c", "...", "e30.e30.", "%%%.%%%.%%%", None, b"a.b.c", "x" * 20_000],
)
def test_garbage_is_refused(keyring, token):
    refused(keyring, token)


def test_unsupported_critical_header_is_refused(keyring):
    refused(keyring, signed(keyring, valid_claims(), crit=["exp-policy"], **{"exp-policy": 1}))


def test_generic_jws_round_trip_with_its_own_type(keyring):
    payload = {"iss": ISSUER, "vc": {"name": "学分记录", "credits": 12.5}}
    token = sign_jws(keyring, payload, typ="vc+jwt", headers={"cty": "vc"})
    header, _, _ = segments(token)
    assert header == {"alg": "EdDSA", "kid": keyring.active_kid, "typ": "vc+jwt", "cty": "vc"}
    assert verify_jws(keyring, token, typ="vc+jwt") == payload
    assert verify_jws(keyring, token, typ="application/VC+JWT") == payload
    with pytest.raises(InvalidToken, match="wrong token type"):
        verify_jws(keyring, token, typ="at+jwt")


def test_generic_jws_still_checks_expiry(keyring):
    token = sign_jws(keyring, {"exp": int(time.time()) - 3600}, typ="vc+jwt")
    with pytest.raises(InvalidToken, match="expired"):
        verify_jws(keyring, token, typ="vc+jwt")


@pytest.mark.parametrize("name", ["alg", "kid", "typ", "crit", "jku", "jwk", "x5u"])
def test_headers_that_steer_verification_cannot_be_set(keyring, name):
    with pytest.raises(ValueError, match=name):
        sign_jws(keyring, {}, typ="vc+jwt", headers={name: "x"})


def test_every_published_key_verifies():
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    before, after = make_keyring(old), make_keyring(old, new)
    token, _ = issue_access_token(
        before, issuer=ISSUER, audience=AUDIENCE, subject="L1", role="learner"
    )
    assert after.active_kid != before.active_kid
    assert verify_access_token(after, token, issuer=ISSUER, audience=AUDIENCE)["sub"] == "L1"


def test_a_remembered_token_still_expires(keyring):
    """Verified tokens are remembered per process; the expiry is checked on every use."""
    expires = int(time.time()) + 1
    token = signed(keyring, valid_claims(exp=expires))
    assert verify_access_token(keyring, token, issuer=ISSUER, audience=AUDIENCE, leeway=0)
    while time.time() <= expires:
        time.sleep(0.05)
    with pytest.raises(InvalidToken, match="expired"):
        verify_access_token(keyring, token, issuer=ISSUER, audience=AUDIENCE, leeway=0)


def test_a_remembered_token_stops_working_once_its_key_is_retired(keyring):
    token = signed(keyring, valid_claims())
    assert verify_access_token(keyring, token, issuer=ISSUER, audience=AUDIENCE)
    refused(make_keyring(), token, "unknown signing key")


def test_a_remembered_token_is_good_only_for_its_own_issuer_and_audience(keyring):
    token = signed(keyring, valid_claims())
    assert verify_access_token(keyring, token, issuer=ISSUER, audience=AUDIENCE)
    with pytest.raises(InvalidToken, match="audience"):
        verify_access_token(keyring, token, issuer=ISSUER, audience="another-api")
