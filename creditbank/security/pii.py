"""Personal data at rest (DESIGN.md, personal data).

The national ID number is kept encrypted (Fernet: AES-128-CBC + HMAC-SHA-256, with a timestamp)
so the national export and a credential's salted ``identityHash`` can still be produced, and as
an HMAC-SHA-256 fingerprint under a bank-wide key so that one account per person is enforced
and a lookup by ID works without decrypting every row.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from cryptography.fernet import Fernet, MultiFernet
from cryptography.fernet import InvalidToken as _FernetInvalidToken

# A fingerprint is only as strong as its key: an unkeyed or short key would let anyone who
# reads the table enumerate the (small) space of valid ID numbers.
MIN_HMAC_KEY_BYTES = 32


class PersonalDataError(ValueError):
    """Stored personal data cannot be decrypted: wrong or missing key, or corrupted text."""


class PersonalDataCipher:
    """Encrypts, decrypts and fingerprints personal data; holds its keys, never shows them."""

    __slots__ = ("_fernet", "_hmac_key")

    def __init__(self, fernet_keys: Sequence[bytes], hmac_key: bytes) -> None:
        if not fernet_keys:
            raise ValueError("at least one Fernet key is needed")
        if len(hmac_key) < MIN_HMAC_KEY_BYTES:
            raise ValueError(f"the HMAC key must be at least {MIN_HMAC_KEY_BYTES} bytes")
        # MultiFernet encrypts with the first key and tries every key to decrypt: a new key is
        # put first, and the old ones stay until every row has been rotated to the new one.
        self._fernet = MultiFernet([Fernet(key) for key in fernet_keys])
        self._hmac_key = bytes(hmac_key)

    def __repr__(self) -> str:
        return "PersonalDataCipher(<keys hidden>)"

    def encrypt(self, text: str) -> str:
        """A Fernet token (URL-safe ASCII) holding ``text``; a new random IV every call."""
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The text inside a token made by :meth:`encrypt` under any of the keys."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (_FernetInvalidToken, UnicodeError) as exc:
            raise PersonalDataError("personal data could not be decrypted") from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt ``token`` under the first (current) key, for a key rotation job."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (_FernetInvalidToken, UnicodeError) as exc:
            raise PersonalDataError("personal data could not be decrypted") from exc

    def fingerprint(self, national_id: str) -> str:
        """HMAC-SHA-256 (lowercase hex) of a national ID in its canonical form.

        Pass the output of ``validate_national_id``: the fingerprint is of the exact text, so a
        lowercase ``x`` would give a different one.
        """
        return hmac.new(self._hmac_key, national_id.encode("utf-8"), hashlib.sha256).hexdigest()
