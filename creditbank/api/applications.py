"""Applications to college programmes, the college's decisions on their items, and the
conversion certificate (PROGRAMMES.md § Endpoints: Applications, Decisions, Conversion
certificate)."""

from __future__ import annotations

from typing import Any

from flask import Response

from creditbank.api import Blueprint
from creditbank.api.access import allow, current_principal
from creditbank.api.application_schemas import (
    ApplicationCreate,
    ApplicationPage,
    ApplicationQuery,
    ApplicationSchema,
    ConfirmRequest,
    ConfirmResponse,
    DecisionRequest,
    DecisionResponse,
    EligibilityQuery,
    EligibilitySchema,
    RevokeRequest,
    RevokeResponse,
    WithdrawRequest,
)
from creditbank.api.certificate_schemas import CertificateSchema
from creditbank.api.docs import problem
from creditbank.api.parsing import negotiate
from creditbank.domain.roles import Role
from creditbank.services import (
    application_withdrawal,
    applications,
    document_issuing,
    eligibility,
    transfer_certificates,
    transfers,
)

blp = Blueprint(
    "applications", __name__, description="Applications to college programmes and decisions"
)
_READERS = (Role.LEARNER, Role.WORKSTATION, Role.AUDITOR, Role.COLLEGE)
JSON, HTML, PDF = "application/json", "text/html", "application/pdf"
NO_STORE = "no-store"  # a certificate is personal data: no shared cache, no browser copy
# The problem types of PROGRAMMES.md § Applications and § Decisions, in the order checked.
FILING_CONFLICTS = (
    *("idempotency_conflict", "programme_disabled", "college_disabled", "no_catalogue"),
    *("not_enrolled", "outcome_claimed", "course_already_recognised", "course_in_application"),
)
FILING_INVALID = ("validation_error", "unknown_learner", "invalid_source")
DECISION_CONFLICTS = (
    *("already_decided", "not_pending", "not_enrolled", "source_unavailable"),
    *("source_cap_exceeded", "online_cap_exceeded", "share_cap_exceeded"),
)


@blp.route("/applications", methods=["POST"])
@allow(Role.LEARNER, Role.WORKSTATION)
@blp.arguments(ApplicationCreate)
@blp.response(201, ApplicationSchema)
@blp.alt_response(200, schema=ApplicationSchema, description="The same filing again")
@blp.doc(responses={**problem(409, *FILING_CONFLICTS), **problem(422, *FILING_INVALID)})
def file_application(body: dict[str, Any]) -> Any:
    """File an application: the learner for itself, the workstation for any learner.

    Problems, in the order they are checked: `validation_error`, `unknown_learner`,
    `validation_error` (`programme_id`), `idempotency_conflict`, `programme_disabled`,
    `college_disabled`, `no_catalogue`, `validation_error` (`items.<i>.course_code`),
    `invalid_source`, `not_enrolled`, `outcome_claimed`, `course_already_recognised`,
    `course_in_application`.
    """
    view, created = applications.file_application(current_principal(), body)
    return view if created else (view, 200)


@blp.route("/applications", methods=["GET"])
@allow(*_READERS)
@blp.arguments(ApplicationQuery, location="query")
@blp.page(ApplicationPage)
def list_applications(query: dict[str, Any]) -> Any:
    """List applications (newest last): a learner its own, a college its college's."""
    return applications.list_applications(current_principal(), query)


@blp.route("/applications/<application_id>", methods=["GET"])
@allow(*_READERS)
@blp.response(200, ApplicationSchema)
def get_application(application_id: str) -> Any:
    """One application with its items and the outcomes they name."""
    return applications.get_application(current_principal(), application_id)


@blp.route("/applications/<application_id>/certificate", methods=["GET"])
@allow(*_READERS)
@blp.response(200, CertificateSchema, description="The certificate (JSON, HTML or PDF by Accept)")
@blp.doc(
    responses={
        200: {
            "content": {
                JSON: {"schema": CertificateSchema},
                HTML: {"schema": {"type": "string"}},
                PDF: {"schema": {"type": "string", "format": "binary"}},
            }
        },
        **problem(406, "not_acceptable"),
        **problem(409, "certificate_not_issued"),
    }
)
def certificate(application_id: str) -> Any:
    """The conversion certificate (学分转换证明): JSON, a printable page (text/html) or a PDF
    (application/pdf); `certificate_not_issued` before closing or when nothing was approved."""
    media = negotiate(JSON, HTML, PDF)
    if media in (HTML, PDF):
        # A page or a PDF is issued: numbered, registered, its verify URL printed on it.
        document, number, content = document_issuing.issue_certificate(
            current_principal(), application_id, media
        )
        response = Response(content, mimetype=media)
        response.headers["X-Document-Number"] = number
        if media == PDF:
            name = f"certificate-{document['certificate_no']}.pdf"
            response.headers["Content-Disposition"] = f'inline; filename="{name}"'
        return _private(response)
    document = transfer_certificates.certificate(current_principal(), application_id)
    return document, 200, {"Cache-Control": NO_STORE}


@blp.route("/applications/<application_id>/withdraw", methods=["POST"])
@allow(Role.LEARNER, Role.WORKSTATION)
@blp.arguments(WithdrawRequest, required=False)
@blp.response(200, ApplicationSchema)
@blp.doc(responses=problem(409, "not_pending"))
def withdraw_application(body: dict[str, Any] | None, application_id: str) -> Any:
    """Withdraw the pending items; decided ones stand."""
    reason = (body or {}).get("reason")
    return application_withdrawal.withdraw_application(current_principal(), application_id, reason)


@blp.route("/applications/<application_id>/items/<item_id>/decision", methods=["POST"])
@allow(Role.COLLEGE)
@blp.arguments(DecisionRequest)
@blp.response(201, DecisionResponse)
@blp.alt_response(200, schema=DecisionResponse, description="The same decision again")
@blp.doc(responses={**problem(409, *DECISION_CONFLICTS), **problem(422, "validation_error")})
def decide_item(body: dict[str, Any], application_id: str, item_id: str) -> Any:
    """Approve (a `transfer` entry) or reject an item.

    Checks, in order: `not_found`, `already_decided` / `not_pending`, `not_enrolled`,
    `source_unavailable`, `source_cap_exceeded`, `online_cap_exceeded`, `share_cap_exceeded`
    (the three cap problems carry `cap`).
    """
    decided = transfers.decide(current_principal(), application_id, item_id, body)
    return decided.body if decided.created else (decided.body, 200)


@blp.route("/applications/<application_id>/items/<item_id>/revoke", methods=["POST"])
@allow(Role.COLLEGE)
@blp.arguments(RevokeRequest)
@blp.response(201, RevokeResponse)
@blp.doc(responses=problem(409, "not_approved", "already_revoked"))
def revoke_item(body: dict[str, Any], application_id: str, item_id: str) -> Any:
    """Revoke an approved item: a `reversal` entry returns what its transfer debited."""
    return transfers.revoke_item(current_principal(), application_id, item_id, body["reason"])


@blp.route("/applications/<application_id>/items/<item_id>/confirm", methods=["POST"])
@allow(Role.COLLEGE)
@blp.arguments(ConfirmRequest, required=False)
@blp.response(200, ConfirmResponse)
@blp.doc(responses=problem(409, "not_flagged"))
def confirm_item(body: dict[str, Any] | None, application_id: str, item_id: str) -> Any:
    """Confirm a flagged item: the exemption stands, the flag clears."""
    note = (body or {}).get("note")
    return transfers.confirm_item(current_principal(), application_id, item_id, note)


@blp.route("/programmes/<programme_id>/eligibility", methods=["GET"])
@allow(*_READERS)
@blp.arguments(EligibilityQuery, location="query")
@blp.response(200, EligibilitySchema)
@blp.doc(responses=problem(409, "no_catalogue"))
def preview_eligibility(query: dict[str, Any], programme_id: str) -> Any:
    """What the learner could offer for each course of the catalogue in force, and the room
    left under the caps; writes nothing. A learner previews itself; staff name the learner; a
    college only a learner with an open enrolment in this programme of its own (else 404)."""
    return eligibility.preview(current_principal(), programme_id, query["learner_id"])


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = NO_STORE
    return response
