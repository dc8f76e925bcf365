"""What a learner declares when depositing a learning outcome (存入) and the evidence files it
attaches: the fields by kind, and each file's type found from its bytes (``filetype``), never
from the name or the type the browser claims.

A deposit is an outcome like a provider's (intake/outcomes.py) without the provider's keys
(``learner_id`` is the account it is deposited to, ``external_ref`` is not the learner's to
give) and with who issued it; it always waits for a workstation review.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import filetype
from marshmallow import ValidationError, fields, validate

from creditbank.domain.errors import ValidationFailed
from creditbank.intake.fields import Amount, FullMatch, PastDate, StrictSchema, text
from creditbank.intake.json_documents import flatten_errors
from creditbank.intake.outcomes import kind_field

DEPOSIT_KINDS = ("training_hours", "certificate", "skill_level", "informal")
EVIDENCE_FIELD = "evidence"
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_EVIDENCE_FILES = 10
# What a file may be, by the type its bytes show, and the extension it is served with.
EVIDENCE_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
_CODE = [validate.Length(min=1, max=64)]
CATEGORY_PATTERN = r"^[A-Za-z0-9_.-]+$"


class DepositCommon(StrictSchema):
    kind = kind_field(*DEPOSIT_KINDS)
    title = text(200)
    issuer = text(200)
    achieved_on = PastDate(
        required=True, metadata={"description": "Not after today (Asia/Shanghai)."}
    )
    certificate_no = text(64, required=False)
    description = text(2000, required=False)


class TrainingHoursDeposit(DepositCommon):
    kind = kind_field("training_hours")
    hours = Amount(required=True, minimum=1, maximum=20000)
    # A name, as every category is named; whether the ruleset knows it is the review's business
    # (the workstation grants the credits in a category of its choosing).
    category = fields.String(
        required=True, validate=[validate.Length(min=1, max=64), FullMatch(CATEGORY_PATTERN)]
    )


class CertificateDeposit(DepositCommon):
    kind = kind_field("certificate")
    certificate_code = fields.String(load_default=None, allow_none=True, validate=_CODE)
    level = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["junior", "intermediate", "senior"]),
    )


class SkillLevelDeposit(DepositCommon):
    kind = kind_field("skill_level")
    occupation_code = fields.String(load_default=None, allow_none=True, validate=_CODE)
    level = fields.Integer(required=True, validate=validate.Range(min=1, max=5))


class InformalDeposit(DepositCommon):
    kind = kind_field("informal")
    description = text(2000)


DEPOSIT_SCHEMAS: dict[str, type[DepositCommon]] = {
    "training_hours": TrainingHoursDeposit,
    "certificate": CertificateDeposit,
    "skill_level": SkillLevelDeposit,
    "informal": InformalDeposit,
}
_LOADERS = {kind: schema() for kind, schema in DEPOSIT_SCHEMAS.items()}


def load_deposit(form: Mapping[str, str]) -> dict[str, Any]:
    """The declared fields, validated by the kind's schema (a page leaves out the fields its
    form sent empty; the API takes the fields as sent)."""
    raw = dict(form)
    loader = _LOADERS.get(raw.get("kind", ""))
    if loader is None:
        raise ValidationFailed(errors={"kind": [f"Must be one of: {', '.join(DEPOSIT_KINDS)}."]})
    try:
        loaded: dict[str, Any] = loader.load(raw)
    except ValidationError as exc:
        raise ValidationFailed(errors=flatten_errors(exc.messages, "")) from exc
    loaded["achieved_on"] = loaded["achieved_on"].isoformat()
    return loaded


@dataclass(frozen=True)
class EvidenceFile:
    """One accepted file: its bytes, their SHA-256 and sniffed type, the name it came with."""

    data: bytes
    sha256: str
    media_type: str
    name: str

    @property
    def size(self) -> int:
        return len(self.data)


def check_evidence(files: list[tuple[str, bytes]]) -> list[EvidenceFile]:
    """Every file accepted, or a 422 keyed ``evidence`` naming each refused file and why."""
    if not files:
        raise ValidationFailed(errors={EVIDENCE_FIELD: ["Attach at least one evidence file."]})
    if len(files) > MAX_EVIDENCE_FILES:
        message = f"At most {MAX_EVIDENCE_FILES} files."
        raise ValidationFailed(errors={EVIDENCE_FIELD: [message]})
    problems: list[str] = []
    accepted: list[EvidenceFile] = []
    for name, data in files:
        shown = safe_name(name)
        if len(data) > MAX_EVIDENCE_BYTES:
            problems.append(f"{shown}: larger than 10 MB.")
            continue
        media_type = sniff(data)
        if media_type is None:
            problems.append(f"{shown}: not a PDF, JPEG or PNG file (judged by its content).")
            continue
        digest = hashlib.sha256(data).hexdigest()
        accepted.append(EvidenceFile(data, digest, media_type, shown))
    if problems:
        raise ValidationFailed(errors={EVIDENCE_FIELD: problems})
    return accepted


def sniff(data: bytes) -> str | None:
    """The file's type as its bytes show it, if it is one evidence may be."""
    guess = filetype.guess(data)
    mime = str(guess.mime) if guess is not None else ""
    return mime if mime in EVIDENCE_TYPES else None


def safe_name(name: str) -> str:
    """The uploaded file's own name, without any folder, printable, at most 255 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return (cleaned or "evidence")[:255]
