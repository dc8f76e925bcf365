"""Key material on disk and in the environment: generation, races, production, rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import multiprocessing
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.security import key_files
from creditbank.security.keys import (
    KeyRing,
    MalformedSecret,
    MissingSecret,
    generate_signing_key,
    jwk_thumbprint,
    load_keyring,
)
from creditbank.security.tokens import issue_access_token, verify_access_token

NATIONAL_ID = "11010519491231002X"
T1 = datetime(2026, 1, 1, 8, 0, 0, tzinfo=UTC)
T2 = datetime(2026, 7, 1, 8, 0, 0, tzinfo=UTC)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def summary(keyring: KeyRing) -> tuple:
    """What must be identical between two processes that share one keys directory."""
    return (
        keyring.active_kid,
        tuple(keyring.public_keys()),
        keyring.pii.fingerprint(NATIONAL_ID),
        keyring.session_secret,
    )


def env_secrets() -> dict[str, str]:
    return {
        "CREDITBANK_PII_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "CREDITBANK_PII_HMAC_KEY": base64.b64encode(b"k" * 32).decode(),
        "CREDITBANK_SECRET_KEY": "s" * 40,
    }


def test_first_load_generates_everything_and_later_loads_reuse_it(tmp_path):
    keys_dir = tmp_path / "instance" / "keys"
    first = load_keyring(keys_dir, create_missing=True, env={})
    files = {path: path.read_bytes() for path in keys_dir.rglob("*") if path.is_file()}
    second = load_keyring(keys_dir, create_missing=True, env={})
    third = load_keyring(keys_dir, create_missing=False, env={})

    assert summary(first) == summary(second) == summary(third)
    assert {path: path.read_bytes() for path in keys_dir.rglob("*") if path.is_file()} == files
    assert len(list((keys_dir / "signing").glob("*.pem"))) == 1
    assert third.pii.decrypt(first.pii.encrypt(NATIONAL_ID)) == NATIONAL_ID


def test_generated_files_are_0600_and_directories_0700(tmp_path):
    keys_dir = tmp_path / "keys"
    load_keyring(keys_dir, create_missing=True, env={})
    assert mode(keys_dir) == 0o700
    assert mode(keys_dir / "signing") == 0o700
    secret_files = [p for p in keys_dir.rglob("*") if p.is_file()]
    names = {p.name for p in secret_files}
    assert {"pii-encryption.keys", "pii-hmac.key", "session-secret.key"} <= names
    for path in secret_files:
        assert mode(path) == 0o600, path
    assert not list(keys_dir.rglob("*.tmp")), "temporary files must not be left behind"


def test_generated_signing_key_is_an_ed25519_pkcs8_pem_named_by_utc_time(tmp_path):
    keyring = load_keyring(tmp_path, create_missing=True, env={})
    (pem,) = (tmp_path / "signing").glob("*.pem")
    assert datetime.strptime(pem.stem, "%Y%m%dT%H%M%SZ")
    assert pem.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    key = serialization.load_pem_private_key(pem.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    assert keyring.active_kid == jwk_thumbprint(key.public_key())


def _load_in_child(keys_dir, barrier, results):
    barrier.wait()
    keyring = load_keyring(keys_dir, create_missing=True, env={})
    results.put((summary(keyring), keyring.pii.encrypt(NATIONAL_ID)))


def test_concurrent_processes_generate_one_key_set(tmp_path):
    # Gunicorn workers of a fresh workstation all start at once; they must agree on the keys.
    context = multiprocessing.get_context("fork")
    workers = 6
    barrier, results = context.Barrier(workers), context.Queue()
    processes = [
        context.Process(target=_load_in_child, args=(tmp_path, barrier, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0

    assert len({outcome[0] for outcome in outcomes}) == 1
    assert len(list((tmp_path / "signing").glob("*.pem"))) == 1
    parent = load_keyring(tmp_path, create_missing=False, env={})
    assert summary(parent) == outcomes[0][0]
    assert all(parent.pii.decrypt(token) == NATIONAL_ID for _, token in outcomes)


def test_concurrent_threads_generate_one_key_set(tmp_path):
    workers = 8
    barrier = threading.Barrier(workers)
    found: list[tuple] = []

    def load() -> None:
        barrier.wait()
        found.append(summary(load_keyring(tmp_path, create_missing=True, env={})))

    threads = [threading.Thread(target=load) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(found) == workers
    assert len(set(found)) == 1
    assert len(list((tmp_path / "signing").glob("*.pem"))) == 1


def test_the_loser_of_a_creation_race_keeps_the_winners_file(tmp_path):
    path = tmp_path / "pii-hmac.key"
    assert key_files.publish(path, b"winner\n") is True
    assert key_files.publish(path, b"loser\n") is False
    assert path.read_bytes() == b"winner\n"
    assert mode(path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["pii-hmac.key"]


def test_an_existing_file_is_never_replaced(tmp_path):
    hmac_key = base64.b64encode(b"h" * 32) + b"\n"
    (tmp_path / "pii-hmac.key").write_bytes(hmac_key)
    keyring = load_keyring(tmp_path, create_missing=True, env={})
    assert (tmp_path / "pii-hmac.key").read_bytes() == hmac_key
    expected = hmac.new(b"h" * 32, NATIONAL_ID.encode(), hashlib.sha256).hexdigest()
    assert keyring.pii.fingerprint(NATIONAL_ID) == expected


def test_production_without_signing_key_names_the_directory_and_the_command(tmp_path):
    keys_dir = tmp_path / "instance" / "keys"
    with pytest.raises(MissingSecret) as caught:
        load_keyring(keys_dir, create_missing=False, env=env_secrets())
    message = str(caught.value)
    assert str(keys_dir / "signing") in message
    assert "creditbank keys generate" in message
    assert not keys_dir.exists(), "production mode must not create anything"


@pytest.mark.parametrize(
    "missing",
    ["CREDITBANK_PII_ENCRYPTION_KEYS", "CREDITBANK_PII_HMAC_KEY", "CREDITBANK_SECRET_KEY"],
)
def test_production_names_the_missing_secret(tmp_path, missing):
    generate_signing_key(tmp_path)
    env = env_secrets()
    del env[missing]
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(MissingSecret, match=missing):
        load_keyring(tmp_path, create_missing=False, env=env)
    assert sorted(tmp_path.rglob("*")) == before


def test_environment_overrides_files_and_nothing_is_generated_for_it(tmp_path):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    env = env_secrets() | {"CREDITBANK_PII_ENCRYPTION_KEYS": f"{new.decode()}, {old.decode()}"}
    keyring = load_keyring(tmp_path, create_missing=True, env=env)

    assert not (tmp_path / "pii-encryption.keys").exists()
    assert not (tmp_path / "pii-hmac.key").exists()
    assert not (tmp_path / "session-secret.key").exists()
    assert keyring.session_secret == b"s" * 40
    expected = hmac.new(b"k" * 32, NATIONAL_ID.encode(), hashlib.sha256).hexdigest()
    assert keyring.pii.fingerprint(NATIONAL_ID) == expected
    # The first key encrypts; the second still decrypts what it encrypted (rotation).
    assert Fernet(new).decrypt(keyring.pii.encrypt("x").encode()) == b"x"
    assert keyring.pii.decrypt(Fernet(old).encrypt(b"y").decode()) == "y"


def test_environment_wins_over_an_existing_file(tmp_path):
    load_keyring(tmp_path, create_missing=True, env={})
    keyring = load_keyring(tmp_path, create_missing=False, env=env_secrets())
    assert keyring.session_secret == b"s" * 40


def test_key_file_with_several_lines_encrypts_with_the_first(tmp_path):
    first, second = Fernet.generate_key(), Fernet.generate_key()
    (tmp_path / "pii-encryption.keys").write_bytes(b"# newest first\n" + first + b"\n\n" + second)
    env = env_secrets()
    del env["CREDITBANK_PII_ENCRYPTION_KEYS"]
    keyring = load_keyring(tmp_path, create_missing=True, env=env)
    assert Fernet(first).decrypt(keyring.pii.encrypt("a").encode()) == b"a"
    assert keyring.pii.decrypt(Fernet(second).encrypt(b"b").decode()) == "b"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CREDITBANK_PII_ENCRYPTION_KEYS", "not-a-fernet-key-but-secret"),
        ("CREDITBANK_PII_HMAC_KEY", base64.b64encode(b"short-but-secret").decode()),
        ("CREDITBANK_PII_HMAC_KEY", "not base64 at all but secret"),
        ("CREDITBANK_SECRET_KEY", "short-but-secret"),
    ],
)
def test_malformed_secret_is_refused_without_showing_it(tmp_path, variable, value):
    generate_signing_key(tmp_path)
    with pytest.raises(MalformedSecret, match=variable) as caught:
        load_keyring(tmp_path, create_missing=False, env=env_secrets() | {variable: value})
    assert value not in str(caught.value)


def test_a_non_ed25519_key_in_the_signing_directory_is_refused(tmp_path):
    (tmp_path / "signing").mkdir()
    ec_key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "signing" / "20260101T000000Z.pem").write_bytes(
        ec_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(MalformedSecret, match="Ed25519"):
        load_keyring(tmp_path, create_missing=False, env=env_secrets())


def test_kid_is_the_rfc_7638_thumbprint():
    # RFC 8037, appendix A.1 (the key) and A.3 (its thumbprint).
    d = base64.urlsafe_b64decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
    key = Ed25519PrivateKey.from_private_bytes(d)
    assert jwk_thumbprint(key.public_key()) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_jwks_publishes_every_key_in_rfc_8037_form(tmp_path):
    generate_signing_key(tmp_path, now=T1)
    generate_signing_key(tmp_path, now=T2)
    keyring = load_keyring(tmp_path, create_missing=False, env=env_secrets())
    jwks = keyring.jwks()
    assert [jwk["kid"] for jwk in jwks["keys"]] == list(keyring.public_keys())
    for jwk in jwks["keys"]:
        assert set(jwk) == {"kty", "crv", "x", "kid", "use", "alg"}
        assert (jwk["kty"], jwk["crv"], jwk["use"], jwk["alg"]) == (
            "OKP",
            "Ed25519",
            "sig",
            "EdDSA",
        )
        raw = base64.urlsafe_b64decode(jwk["x"] + "=")
        public = keyring.public_keys()[jwk["kid"]]
        assert raw == public.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        assert "d" not in jwk


def test_rotation_activates_the_new_key_and_keeps_the_old_one_published(tmp_path):
    old_kid = generate_signing_key(tmp_path, now=T1)
    before = load_keyring(tmp_path, create_missing=False, env=env_secrets())
    old_token, _ = issue_access_token(
        before, issuer="cb", audience="api", subject="L1", role="learner"
    )

    new_kid = generate_signing_key(tmp_path, now=T2)
    after = load_keyring(tmp_path, create_missing=False, env=env_secrets())

    assert before.active_kid == old_kid
    assert after.active_kid == new_kid != old_kid
    assert {jwk["kid"] for jwk in after.jwks()["keys"]} == {old_kid, new_kid}
    assert verify_access_token(after, old_token, issuer="cb", audience="api")["sub"] == "L1"


def test_two_keys_made_in_the_same_second_both_survive_and_the_later_is_active(tmp_path):
    first = generate_signing_key(tmp_path, now=T1)
    second = generate_signing_key(tmp_path, now=T1)
    keyring = load_keyring(tmp_path, create_missing=False, env=env_secrets())
    assert len(list((tmp_path / "signing").glob("*.pem"))) == 2
    assert set(keyring.public_keys()) == {first, second}
    assert keyring.active_kid == second


def test_signing_key_id_in_the_environment_pins_the_active_key(tmp_path):
    old_kid = generate_signing_key(tmp_path, now=T1)
    new_kid = generate_signing_key(tmp_path, now=T2)
    env = env_secrets() | {"CREDITBANK_SIGNING_KEY_ID": old_kid}
    keyring = load_keyring(tmp_path, create_missing=False, env=env)
    assert keyring.active_kid == old_kid
    assert set(keyring.public_keys()) == {old_kid, new_kid}


def test_signing_key_id_naming_no_key_is_refused(tmp_path):
    generate_signing_key(tmp_path)
    env = env_secrets() | {"CREDITBANK_SIGNING_KEY_ID": "no-such-kid"}
    with pytest.raises(MissingSecret, match="CREDITBANK_SIGNING_KEY_ID"):
        load_keyring(tmp_path, create_missing=False, env=env)


def test_keyring_exposes_keys_by_kid_and_hides_secrets_in_repr(tmp_path):
    keyring = load_keyring(tmp_path, create_missing=True, env={})
    assert keyring.signing_key() is keyring.signing_key(keyring.active_kid)
    with pytest.raises(KeyError):
        keyring.signing_key("unknown")
    text = repr(keyring) + repr(keyring.pii)
    assert keyring.session_secret.decode() not in text
    assert (tmp_path / "pii-hmac.key").read_text().strip() not in text


def test_a_new_key_is_active_even_if_the_clock_went_back(tmp_path):
    generate_signing_key(tmp_path, now=T2)
    earlier = generate_signing_key(tmp_path, now=T1)
    keyring = load_keyring(tmp_path, create_missing=False, env=env_secrets())
    assert keyring.active_kid == earlier
