"""Deposits (存入): a learner declares a learning outcome with evidence files, for itself (or the
workstation for a learner); the files are read back by that learner, the workstation and the
auditor. A deposit's source is ``self_declared``: no provider vouches for it, so it always waits
for a review (``GET /reviews``)."""

from __future__ import annotations

from typing import Any

from flask import request

from creditbank.api import Blueprint
from creditbank.api.access import allow, current_principal
from creditbank.api.docs import BINARY, problem
from creditbank.api.ledger_schemas import PostedSchema
from creditbank.body_limits import body_limit
from creditbank.documents.evidence import evidence_response
from creditbank.domain.amounts import amount_pattern
from creditbank.domain.roles import EVERYONE, Role
from creditbank.intake.deposits import (
    CATEGORY_PATTERN,
    DEPOSIT_KINDS,
    EVIDENCE_FIELD,
    EVIDENCE_TYPES,
    MAX_EVIDENCE_BYTES,
    MAX_EVIDENCE_FILES,
)
from creditbank.services import deposits

blp = Blueprint("deposits", __name__, description="Outcomes learners deposit with evidence")

# Every file at its largest, and the form's fields.
DEPOSIT_BODY_BYTES = MAX_EVIDENCE_FILES * MAX_EVIDENCE_BYTES + 1024 * 1024
_TEXT = {"type": "string", "minLength": 1}
_COMMON: dict[str, Any] = {
    "title": {**_TEXT, "maxLength": 200},
    "issuer": {**_TEXT, "maxLength": 200, "description": "Who issued or taught it."},
    "achieved_on": {"type": "string", "format": "date", "description": "Not in the future."},
    "certificate_no": {**_TEXT, "maxLength": 64},
    "description": {**_TEXT, "maxLength": 2000},
    EVIDENCE_FIELD: {
        **BINARY,
        "description": f"A PDF, JPEG or PNG file of at most 10 MB, the type judged by its bytes "
        f"(a name or a declared type that disagrees is a 422 on evidence). Send the part once "
        f"for each file, up to {MAX_EVIDENCE_FILES}.",
    },
}
_CODE = {**_TEXT, "maxLength": 64}
# What each kind adds to the common fields, and which of them it requires.
_BY_KIND: dict[str, tuple[dict[str, Any], list[str]]] = {
    "training_hours": (
        {
            "hours": {"type": "string", "pattern": amount_pattern(1, 20000)},
            "category": {
                "type": "string",
                "pattern": CATEGORY_PATTERN,
                "maxLength": 64,
                "description": "Which hours, e.g. a key of hours_per_credit in the ruleset in "
                "force (the review decides the category the credits go to).",
            },
        },
        ["hours", "category"],
    ),
    "certificate": (
        {
            "certificate_code": _CODE,
            "level": {"type": "string", "enum": ["junior", "intermediate", "senior"]},
        },
        [],
    ),
    "skill_level": (
        {
            "occupation_code": _CODE,
            "level": {
                "type": "string",
                "pattern": "^[1-5]$",
                "description": "5 初级工 … 1 高级技师",
            },
        },
        ["level"],
    ),
    "informal": ({}, ["description"]),
}


def _deposit_form(kind: str) -> dict[str, Any]:
    extra, required = _BY_KIND[kind]
    return {
        "type": "object",
        "title": f"Deposit ({kind})",
        "required": ["kind", "title", "issuer", "achieved_on", *required, EVIDENCE_FIELD],
        "additionalProperties": False,
        "properties": {"kind": {"type": "string", "enum": [kind]}, **_COMMON, **extra},
    }


# Every field at the top (a client, schemathesis too, finds each part's type there: the files
# are sent as files), each kind's exact form in the oneOf.
_DEPOSIT_FORM = {
    "type": "object",
    "required": ["kind", "title", "issuer", "achieved_on", EVIDENCE_FIELD],
    "properties": {
        "kind": {"type": "string", "enum": list(DEPOSIT_KINDS)},
        **_COMMON,
        **{name: field for extra, _ in _BY_KIND.values() for name, field in extra.items()},
        "level": {
            "type": "string",
            "description": "certificate: junior, intermediate or senior; skill_level: 1-5.",
        },
    },
    "oneOf": [_deposit_form(kind) for kind in DEPOSIT_KINDS],
}
_MEDIA = ", ".join(EVIDENCE_TYPES)


@blp.route("/learners/<learner_id>/deposits", methods=["POST"])
@body_limit(DEPOSIT_BODY_BYTES)
@allow(Role.WORKSTATION, Role.LEARNER)
@blp.doc(
    requestBody={
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": _DEPOSIT_FORM,
                "encoding": {EVIDENCE_FIELD: {"contentType": _MEDIA}},
            }
        },
    },
    responses=problem(413),
)
@blp.response(
    201,
    PostedSchema,
    description="Deposited: the outcome waits for review (source self_declared, provider_id "
    "null, evidence: the files' SHA-256, also in its journal entry)",
)
def create_deposit(learner_id: str) -> Any:
    """Deposit a learning outcome with evidence files (that learner, or the workstation).

    Another learner's account is a 404, as if it did not exist. Nothing is written when any
    field or file is refused."""
    files = [
        (upload.filename or "", upload.read()) for upload in request.files.getlist(EVIDENCE_FIELD)
    ]
    fields = {name: request.form.get(name, "") for name in request.form}
    posted = deposits.deposit(current_principal(), learner_id, fields, files)
    return {"outcome": posted.outcome, "credits": posted.credits, "replayed": False}, 201


@blp.route("/learners/<learner_id>/evidence/<sha256:sha256>", methods=["GET"])
@allow(*EVERYONE)
@blp.response(
    200, description="The file as deposited, as an attachment, with the type its bytes show"
)
@blp.doc(responses={200: {"content": {media: {"schema": BINARY} for media in EVIDENCE_TYPES}}})
def get_evidence(learner_id: str, sha256: str) -> Any:
    """One evidence file of a learner: that learner, the workstation, the auditor (to anyone
    else, 404)."""
    row, data = deposits.evidence_file(current_principal(), learner_id, sha256)
    return evidence_response(row.media_type, row.original_name, data)
