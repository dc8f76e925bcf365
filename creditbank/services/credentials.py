"""A learner's record as a verifiable credential a college can check offline.

One Open Badges 3.0 ``AchievementCredential`` per credited outcome, wrapped in a CLR 2.0
``ClrCredential`` issued by the workstation, signed as a VC-JWT (compact JWS, ``EdDSA``, the
``kid`` of a key in ``/.well-known/jwks.json``) through :mod:`creditbank.security.tokens`.

Choices the standards leave open, made here:

- The payload is the credential itself (VC-JOSE-COSE, as Open Badges 3.0.3 does), with the
  JWT claims ``iss``, ``sub``, ``nbf``, ``iat`` and ``exp`` mirroring ``issuer.id``,
  ``credentialSubject.id``, ``validFrom`` and ``validUntil`` for verifiers of the older VC-JWT form.
- VC 2.0 names only: ``validFrom`` and ``validUntil`` (``CREDITBANK_CREDENTIAL_VALID_YEARS``
  later, 5 by default), mirrored by the JWT's ``nbf`` and ``exp``. VC 1.1's ``issuanceDate`` is
  left out: under the VC 2.0 context it is an undefined term, which a JSON-LD processor in safe
  mode refuses (tests/api/test_credential_jsonld.py).
- ``credentialStatus`` is the learner's ``BitstringStatusListEntry``
  (:mod:`creditbank.services.credential_status`); revoking flips that bit.
- The header's ``kid`` is a URL, ``<base>/keys/<thumbprint>``, that answers with the public JWK.
- The learner is identified by its account number (学习账号), an ``IdentityObject`` of
  ``identityType`` ``accountId`` in plain text: random, it says nothing about the person.
  The name is included when the identity still exists.
- The national ID is left out unless the learner itself asks for it
  (``include_national_id``); then it is a second ``IdentityObject`` with ``identityHash`` =
  ``"sha256$" + hex(SHA-256(id + salt))`` and a fresh random salt per issuance, the only
  forms Open Badges allows. A national ID is a region, a birth date and a few digits, so
  whoever holds the credential recovers it by guessing in well under a second: the salt only
  keeps two credentials from being linked without guessing. The hash is for a party that
  already knows the ID and wants to see that it matches (docs/api.md).
- Nested credentials are not signed one by one: the enclosing CLR's signature covers them.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from creditbank.context import keyring, public_base_url, settings
from creditbank.domain.amounts import tenths_to_number
from creditbank.domain.errors import Forbidden, NotFound, ValidationFailed
from creditbank.domain.roles import Principal, Role
from creditbank.security.tokens import sign_jws
from creditbank.services.credential_status import status_entry
from creditbank.services.transcripts import (
    CreditedOutcome,
    LearnerRecord,
    learner_record,
    transcript_line,
)

CREDENTIAL_TYP = "vc+jwt"
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
CLR_SCHEMA = (
    "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"
)
# VC 2.0's type of a JSON Schema reference: "1EdTechJsonSchemaValidator2019", which older Open
# Badges examples use, is defined by neither the VC 2.0 nor the Open Badges 3.0.3 context.
SCHEMA_VALIDATOR = "JsonSchema"
# Open Badges' AchievementType vocabulary, by outcome kind.
ACHIEVEMENT_TYPES = {
    "training_hours": "LearningProgram",
    "certificate": "Certificate",
    "skill_level": "Certification",
    "competition": "Award",
    "course": "Course",
    "informal": "Achievement",
}


def issue_credential(
    principal: Principal, learner_id: str, *, include_national_id: bool = False
) -> str:
    """The learner's CLR as a compact JWS; 404 when nothing is credited (a CLR needs one).

    ``include_national_id`` adds a salted hash of the national ID, for the learner alone:
    anyone holding the credential can recover the ID from it by guessing.
    """
    if include_national_id and principal.role is not Role.LEARNER:
        raise Forbidden(
            "Only the learner may ask for a hash of its national ID in its credential: "
            "whoever holds the credential can recover the ID from it"
        )
    record = learner_record(principal, learner_id)
    if not record.outcomes:
        raise NotFound("Nothing is credited yet, so there is no credential to issue")
    national_id = _national_id(record) if include_national_id else None
    status = status_entry(learner_id)
    payload = clr_credential(record, national_id=national_id, status=status)
    return sign_jws(keyring(), payload, typ=CREDENTIAL_TYP, kid_prefix=f"{public_base_url()}keys/")


def identity_hash(national_id: str, salt: str) -> str:
    """Open Badges' salted IdentityHash: ``sha256$`` and the hex digest of the ID + salt."""
    return "sha256$" + hashlib.sha256((national_id + salt).encode("utf-8")).hexdigest()


def clr_credential(
    record: LearnerRecord,
    now: datetime | None = None,
    *,
    national_id: str | None = None,
    status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ClrCredential with its JWT claims, ready to sign; with ``national_id``, a salted
    hash of it among the learner's identifiers."""
    issued = (now or record.read_at).astimezone(UTC).replace(microsecond=0)
    context = _Issuance(record, issued, national_id)
    credential = {
        "@context": [VC_CONTEXT, CLR_CONTEXT, OB_CONTEXT],
        "id": _urn(),
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": context.issuer,
        "name": "学分银行学习成果记录 Credit bank learning record",
        "description": f"{context.issuer['name']}认定的全部学分（{len(record.outcomes)} 项成果）。",
        "validFrom": context.instant,
        "validUntil": context.until,
        "credentialSubject": {
            "id": context.subject_id,
            "type": ["ClrSubject"],
            **context.person,
            "identifier": context.identifiers,
            "verifiableCredential": [
                achievement_credential(outcome, context) for outcome in record.outcomes
            ],
        },
        "credentialSchema": [{"id": CLR_SCHEMA, "type": SCHEMA_VALIDATOR}],
    }
    if status is not None:
        credential["credentialStatus"] = status
    return {**credential, **_jwt_claims(credential, issued, context.expires)}


def achievement_credential(outcome: CreditedOutcome, context: _Issuance) -> dict[str, Any]:
    """One credited outcome as an Open Badges 3.0 AchievementCredential."""
    line = transcript_line(outcome)
    subject: dict[str, Any] = {
        "id": context.subject_id,
        "type": ["AchievementSubject"],
        # A JSON number, as Open Badges requires; tenths print exactly (shortest float repr).
        "creditsEarned": float(tenths_to_number(outcome.state.credits)),
        "activityEndDate": f"{line['achieved_on']}T00:00:00+08:00",
        "achievement": _achievement(line, context),
        "identifier": context.identifiers,
    }
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": _urn(),
        "type": ["VerifiableCredential", "AchievementCredential"],
        "issuer": context.issuer,
        "name": line["title"],
        "validFrom": context.instant,
        "validUntil": context.until,
        "awardedDate": _seconds(line["credited_at"]),
        "credentialSubject": subject,
        "credentialSchema": [{"id": OB_SCHEMA, "type": SCHEMA_VALIDATOR}],
    }


def _achievement(line: dict[str, Any], context: _Issuance) -> dict[str, Any]:
    details = line["details"]
    code = details.get("certificate_code") or details.get("occupation_code")
    code = code or details.get("course_code")
    provider = line["provider"]
    achievement = {
        "id": context.stable_urn("outcomes", line["outcome_id"]),
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPES.get(line["kind"], "Achievement"),
        "name": line["title"],
        "description": f"{line['kind_label']['zh']}：{line['summary']['zh']}。"
        f" {line['kind_label']['en']}: {line['summary']['en']}.",
        "criteria": {"narrative": _narrative(line)},
        "creditsAvailable": float(line["credits"]),
        "fieldOfStudy": line["category_label"]["zh"],
        "creator": {
            "id": context.stable_urn("providers", provider["id"])
            if provider["id"]
            else context.stable_urn("self-declared", line["outcome_id"]),
            "type": ["Profile"],
            "name": provider["name"] or provider["id"],
        },
    }
    if code:
        achievement["humanCode"] = code
    return achievement


def _narrative(line: dict[str, Any]) -> str:
    ruleset = line["ruleset"]
    under = f"《{ruleset['name']}》第 {ruleset['version']} 版，" if ruleset else ""
    return (
        f"{under}{line['rule_label']['zh']}（{line['rule'] or '—'}）：{line['reason_text']['zh']}"
        f"\n\n{line['rule_label']['en']} ({line['rule'] or '-'}): {line['reason_text']['en']}"
    )


class _Issuance:
    """What every part of one issuance shares: the instant, the issuer, the subject and how
    it is identified."""

    def __init__(self, record: LearnerRecord, issued: datetime, national_id: str | None) -> None:
        config = settings()
        self.base = config.issuer_profile_url
        self.instant = issued.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.expires = _years_later(issued, config.credential_valid_years)
        self.until = self.expires.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.issuer = {
            "id": self.base,
            "type": ["Profile"],
            "name": config.credential_issuer_name,
            "url": self.base,
        }
        self.subject_id = self.stable_urn("learners", record.account.learner_id)
        self.person = {"name": record.identity.name} if record.identity else {}
        self.identifiers = [_account_identifier(record.account.account_number)]
        if national_id is not None:
            self.identifiers.append(_national_id_identifier(national_id))

    def stable_urn(self, kind: str, key: str) -> str:
        """A name-based UUID (RFC 4122 v5) under the issuer's URL: the same thing, the same id."""
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{self.base}{kind}/{key}')}"


def _account_identifier(account_number: str) -> dict[str, Any]:
    """The account number in plain text: random, it says nothing about the person."""
    return {
        "type": "IdentityObject",
        "identityHash": account_number,
        "identityType": "accountId",
        "hashed": False,
    }


def _national_id_identifier(national_id: str) -> dict[str, Any]:
    """A salted hash of the national ID, a fresh salt per issuance (see the module's notes)."""
    salt = secrets.token_hex(16)
    return {
        "type": "IdentityObject",
        "identityHash": identity_hash(national_id, salt),
        "identityType": "nationalIdentityNumber",
        "hashed": True,
        "salt": salt,
    }


def _national_id(record: LearnerRecord) -> str:
    """The learner's national ID, decrypted; 422 (``include``) when none is on file."""
    identity = record.identity
    if identity is None or not identity.national_id_encrypted:
        raise ValidationFailed(errors={"include": ["No national ID is on file for this learner."]})
    return keyring().pii.decrypt(identity.national_id_encrypted)


def _jwt_claims(credential: dict[str, Any], issued: datetime, expires: datetime) -> dict[str, Any]:
    """The registered claims the VC 2.0 context defines (``jti`` it does not: left out)."""
    moment = int(issued.timestamp())
    return {
        "iss": credential["issuer"]["id"],
        "sub": credential["credentialSubject"]["id"],
        "nbf": moment,
        "iat": moment,
        "exp": int(expires.timestamp()),
    }


def _years_later(instant: datetime, years: int) -> datetime:
    try:
        return instant.replace(year=instant.year + years)
    except ValueError:  # 29 February
        return instant.replace(year=instant.year + years, day=28)


def _seconds(instant: str) -> str:
    """``2026-04-16T02:11:09.123456Z`` → ``2026-04-16T02:11:09Z``."""
    return instant.split(".")[0].removesuffix("Z") + "Z"


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"
