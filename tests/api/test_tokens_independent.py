"""Access tokens made by an independent JOSE library (joserfc, not the PyJWT the service uses)
with the bank's own Ed25519 key: a genuine one is accepted; every forgery, stale or
misaddressed token is 401 (API.md § Auth; RFC 8725, JWT best current practices)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from joserfc import jws, jwt
from joserfc.jwk import OctKey, OKPKey
from joserfc.registry import HeaderParameter

from tests.api.helpers import assert_problem, bearer

pytestmark = pytest.mark.filterwarnings("ignore::joserfc.errors.SecurityWarning")

ALGORITHMS = ["EdDSA", "Ed25519", "HS256", "none"]
PROTECTED = "/api/v1/outcomes"  # a provider reads its own outcomes here


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


@pytest.fixture
def bank_key(keys_dir: Path) -> OKPKey:
    """The bank's active signing key, read from its PEM file (the newest), not via creditbank."""
    newest = sorted((keys_dir / "signing").glob("*.pem"))[-1]
    return OKPKey.import_key(newest.read_bytes())


@pytest.fixture
def provider(api) -> dict[str, str]:
    """A real provider client: its id, provider id and secret."""
    provider_id, _ = api.new_provider()
    body = api.post(f"/api/v1/providers/{provider_id}/clients", api.workstation).get_json()
    return {"client_id": body["client_id"], "provider_id": provider_id, **body}


def claims_for(api, provider: dict[str, str], **changes: Any) -> dict[str, Any]:
    settings = api.app.extensions["creditbank.settings"]
    now = int(time.time())
    claims = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": provider["client_id"],
        "role": "provider",
        "provider_id": provider["provider_id"],
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "jti": uuid.uuid4().hex,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def mint(key: Any, claims: dict[str, Any], **header: Any) -> str:
    """A compact JWS made by joserfc; ``header`` overrides alg, kid and typ."""
    protected = {"alg": "EdDSA", "typ": "at+jwt", **header}
    if isinstance(key, OKPKey):
        protected.setdefault("kid", key.thumbprint())
    protected = {name: value for name, value in protected.items() if value is not None}
    return jwt.encode(protected, claims, key, registry=_REGISTRY)


# A private header parameter that joserfc lets a token mark critical (the bank knows none).
_REGISTRY = jws.JWSRegistry(
    header_registry={"x-bank": HeaderParameter("an extension the bank does not know", "str")},
    algorithms=ALGORITHMS,
)


def hs256_with(secret: bytes, claims: dict[str, Any], kid: str) -> str:
    """HS256 keyed with public key material, by hand: joserfc refuses such a key, which is the
    point — a naive verifier that reads ``alg`` from the token would accept it."""
    header = {"alg": "HS256", "typ": "at+jwt", "kid": kid}
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def assert_refused(api, token: str) -> None:
    response = api.get(PROTECTED, bearer(token))
    assert_problem(response, 401, "unauthorized")
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")


# -- the control -------------------------------------------------------------------------------


def test_a_token_minted_by_joserfc_with_the_bank_key_is_accepted(api, provider, bank_key):
    published = {key["kid"] for key in api.get("/.well-known/jwks.json").get_json()["keys"]}
    assert bank_key.thumbprint() in published  # the kid is the RFC 7638 thumbprint

    response = api.get(PROTECTED, bearer(mint(bank_key, claims_for(api, provider))))

    assert response.status_code == 200, response.get_json()


def test_a_token_issued_by_the_bank_verifies_with_joserfc_and_the_jwks(api, provider):
    token = api.post(
        "/api/v1/auth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": provider["client_id"],
            "client_secret": provider["client_secret"],
        },
    ).get_json()["access_token"]
    jwks = api.get("/.well-known/jwks.json").get_json()
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    public = OKPKey.import_key(next(k for k in jwks["keys"] if k["kid"] == header["kid"]))

    decoded = jwt.decode(token, public, algorithms=["EdDSA"])

    assert decoded.header["typ"] == "at+jwt"
    assert decoded.claims["sub"] == provider["client_id"]


# -- not genuine, not current, not for us --------------------------------------------------------


HOUR = 3600


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": -HOUR, "iat": -HOUR - 900, "nbf": -HOUR - 900},
        {"exp": -120, "iat": -1020, "nbf": -1020},
        {"nbf": HOUR},
        {"iat": HOUR, "nbf": None},
        {"aud": "someone-else"},
        {"aud": ["someone-else"]},
        {"iss": "https://evil.example/"},
        {"role": "workstation"},
        {"role": "root"},
        {"provider_id": "p_someone_else"},
        {"sub": "c_nobody"},
        {"ver": 7},
    ],
    ids=[
        "expired",
        "expired-beyond-leeway",
        "not-yet-valid",
        "issued-in-the-future",
        "wrong-aud",
        "wrong-aud-list",
        "wrong-iss",
        "role-raised",
        "unknown-role",
        "other-provider",
        "unknown-subject",
        "stale-version",
    ],
)
def test_a_well_signed_token_with_wrong_claims_is_401(api, provider, bank_key, changes):
    now = int(time.time())
    relative = {"exp", "iat", "nbf"}
    claims = claims_for(
        api,
        provider,
        **{k: (now + v if k in relative and v is not None else v) for k, v in changes.items()},
    )
    if "nbf" in changes and changes["nbf"] is None:
        claims.pop("nbf", None)

    assert_refused(api, mint(bank_key, claims))


@pytest.mark.parametrize("claim", ["iss", "aud", "sub", "role", "iat", "exp", "jti"])
def test_a_token_missing_a_required_claim_is_401(api, provider, bank_key, claim):
    claims = claims_for(api, provider)
    del claims[claim]

    assert_refused(api, mint(bank_key, claims))


@pytest.mark.parametrize(
    "header",
    [
        {"typ": None},
        {"typ": "JWT"},
        {"typ": "vc+jwt"},
        {"kid": None},
        {"kid": "../../signing/other"},
        {"alg": "Ed25519"},
        {"crit": ["x-bank"], "x-bank": "must-understand"},
    ],
    ids=["no-typ", "typ-jwt", "typ-credential", "no-kid", "kid-path", "alg-ed25519", "crit"],
)
def test_a_token_whose_header_departs_from_ours_is_401(api, provider, bank_key, header):
    assert_refused(api, mint(bank_key, claims_for(api, provider), **header))


def test_a_token_signed_with_another_key_is_401(api, provider, bank_key):
    stranger = OKPKey.generate_key("Ed25519")
    claims = claims_for(api, provider)

    assert_refused(api, mint(stranger, claims, kid=bank_key.thumbprint()))  # our kid
    assert_refused(api, mint(stranger, claims))  # its own kid
    # ...or with the stranger's public key embedded in the header for "verification".
    embedded = stranger.as_dict(private=False)
    assert_refused(api, mint(stranger, claims, kid=bank_key.thumbprint(), jwk=embedded))


def test_alg_none_is_401(api, provider, bank_key):
    claims = claims_for(api, provider)
    unsigned = mint(None, claims, alg="none", kid=bank_key.thumbprint())
    genuine = mint(bank_key, claims)
    none_header = {"alg": "none", "typ": "at+jwt", "kid": bank_key.thumbprint()}
    head = b64url(json.dumps(none_header).encode())
    _, payload, signature = genuine.split(".")

    assert unsigned.endswith(".")
    assert_refused(api, unsigned)
    assert_refused(api, f"{head}.{payload}.{signature}")  # none, but a signature kept


def test_hs256_keyed_with_the_public_key_is_401(api, provider, bank_key):
    """Algorithm confusion: the public key, in any of its published forms, as an HMAC secret."""
    kid = bank_key.thumbprint()
    claims = claims_for(api, provider)
    public_jwk = bank_key.as_dict(private=False)
    raw = base64.urlsafe_b64decode(public_jwk["x"] + "==")
    pem = bank_key.as_pem(private=False)
    jwks_entry = json.dumps(public_jwk).encode()

    assert_refused(api, mint(OctKey.import_key(raw), claims, alg="HS256", kid=kid))
    assert_refused(api, hs256_with(pem, claims, kid))
    assert_refused(api, hs256_with(jwks_entry, claims, kid))
    assert_refused(api, hs256_with(public_jwk["x"].encode(), claims, kid))


def test_a_tampered_payload_or_header_is_401(api, provider, bank_key):
    genuine = mint(bank_key, claims_for(api, provider))
    head, payload, signature = genuine.split(".")
    raised = claims_for(api, provider, role="workstation", provider_id=None)
    forged_payload = b64url(json.dumps(raised).encode())
    forged_head = b64url(json.dumps({"alg": "EdDSA", "typ": "at+jwt", "kid": "x"}).encode())
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BA")

    assert api.get(PROTECTED, bearer(genuine)).status_code == 200
    assert_refused(api, f"{head}.{forged_payload}.{signature}")
    assert_refused(api, f"{forged_head}.{payload}.{signature}")
    assert_refused(api, f"{head}.{payload}.{flipped}")
    assert_refused(api, f"{head}.{payload}")
    assert_refused(api, f"{head}.{payload}.{signature}.{signature}")


def test_a_json_serialized_jws_is_401(api, provider, bank_key):
    """Only the compact form is a bearer token; the JSON serialization is not parsed."""
    protected = {"alg": "EdDSA", "typ": "at+jwt", "kid": bank_key.thumbprint()}
    payload = json.dumps(claims_for(api, provider)).encode()
    member = jws.serialize_json({"protected": protected}, payload, bank_key, ["EdDSA"])

    assert_refused(api, json.dumps(member))


def test_a_disabled_clients_tokens_stop_working(api, provider, bank_key):
    token = mint(bank_key, claims_for(api, provider))
    assert api.get(PROTECTED, bearer(token)).status_code == 200

    response = api.post(f"/api/v1/clients/{provider['client_id']}/disable", api.workstation)

    assert response.status_code == 200
    assert_refused(api, token)
    assert_refused(api, mint(bank_key, claims_for(api, provider)))  # a newly minted one too
