"""scrypt hashing of passwords and client secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from creditbank.security import passwords
from creditbank.security.passwords import (
    dummy_verify,
    hash_secret,
    needs_rehash,
    new_client_secret,
    verify_secret,
)

URL_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_a_hash_verifies_its_secret_and_nothing_else():
    encoded = hash_secret("correct horse battery staple")
    assert verify_secret("correct horse battery staple", encoded)
    assert not verify_secret("correct horse battery stapl", encoded)
    assert not verify_secret("", encoded)


def test_encoding_names_scheme_parameters_salt_and_hash():
    scheme, n, r, p, salt, digest = hash_secret("s3cret").split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert len(base64.b64decode(salt)) == 16
    assert len(base64.b64decode(digest)) == 32


def test_the_hash_is_scrypt_of_the_secret_under_the_stored_salt():
    _, _, _, _, salt, digest = hash_secret("学分银行").split("$")
    expected = hashlib.scrypt(
        "学分银行".encode(), salt=base64.b64decode(salt), n=2**14, r=8, p=1, dklen=32
    )
    assert base64.b64decode(digest) == expected


def test_the_same_secret_hashes_differently_each_time():
    first, second = hash_secret("same"), hash_secret("same")
    assert first != second
    assert verify_secret("same", first)
    assert verify_secret("same", second)


def test_hashes_made_with_other_parameters_still_verify_and_ask_for_a_rehash():
    # What an old row looks like after the cost has been raised (or a new one after lowering).
    salt = b"0123456789abcdef"
    derived = hashlib.scrypt(b"old password", salt=salt, n=2**12, r=8, p=2, dklen=32)
    encoded = (
        f"scrypt$4096$8$2${base64.b64encode(salt).decode()}${base64.b64encode(derived).decode()}"
    )
    assert verify_secret("old password", encoded)
    assert not verify_secret("other", encoded)
    assert needs_rehash(encoded)
    assert not needs_rehash(hash_secret("old password"))


def test_full_width_characters_equal_their_ascii_twins():
    # NFKC: an input method may type ｐａｓｓ１２３ for pass123.
    assert verify_secret("ｐａｓｓ１２３", hash_secret("pass123"))


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "scrypt",
        "bcrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA$extra",
        "scrypt$abc$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$-16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$10000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$16384$0$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$16384$8$0$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        # 2**30 * 8 * 128 bytes = 1 TiB: refused before any allocation
        "scrypt$1073741824$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$16384$8$1$not base64!$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$16384$8$1$$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",  # 3-byte hash: too short to mean much
        "scrypt$１６３８４$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        None,
        b"scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    ],
)
def test_malformed_encodings_verify_nothing_and_never_raise(encoded):
    assert verify_secret("anything", encoded) is False
    assert needs_rehash(encoded)


def test_a_non_string_secret_verifies_nothing():
    assert verify_secret(None, hash_secret("x")) is False  # type: ignore[arg-type]


def test_verification_compares_in_constant_time(monkeypatch):
    calls = []
    real_compare = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real_compare(a, b)

    monkeypatch.setattr(passwords.hmac, "compare_digest", spy)
    assert verify_secret("pw", hash_secret("pw"))
    assert len(calls) == 1


def test_dummy_verify_does_the_work_of_a_real_verification(monkeypatch):
    # Timing itself is too noisy for a unit test; what makes the time equal is that the same
    # scrypt call, with the same parameters and lengths, runs in both cases.
    calls = []
    real_scrypt = hashlib.scrypt

    def spy(data, **kwargs):
        calls.append({k: v if k != "salt" else len(v) for k, v in kwargs.items()})
        return real_scrypt(data, **kwargs)

    encoded = hash_secret("real")
    monkeypatch.setattr(passwords.hashlib, "scrypt", spy)
    assert verify_secret("wrong", encoded) is False
    assert dummy_verify("wrong") is False
    assert len(calls) == 2
    assert calls[0] == calls[1]


def test_dummy_verify_never_accepts():
    assert dummy_verify() is False
    assert dummy_verify("") is False
    assert dummy_verify(None) is False  # type: ignore[arg-type]


def test_client_secrets_are_long_url_safe_and_unique():
    secrets = {new_client_secret() for _ in range(100)}
    assert len(secrets) == 100
    for secret in secrets:
        assert len(secret) >= 43
        assert set(secret) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )
