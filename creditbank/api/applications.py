"""Applications to college programmes and the college's decisions on their items
(PROGRAMMES.md § Endpoints: Applications, Decisions)."""

from __future__ import annotations

from typing import Any

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
from creditbank.api.docs import problem
from creditbank.domain.roles import Role
from creditbank.services import application_withdrawal, applications, eligibility, transfers

blp = Blueprint(
    "applications", __name__, description="Applications to college programmes and decisions"
)
_READERS = (Role.LEARNER, Role.WORKSTATION, Role.AUDITOR, Role.COLLEGE)


@blp.route("/applications", methods=["POST"])
@allow(Role.LEARNER, Role.WORKSTATION)
@blp.arguments(ApplicationCreate)
@blp.response(201, ApplicationSchema)
@blp.alt_response(200, schema=ApplicationSchema, description="The same filing again")
@blp.doc(responses={**problem(409), **problem(422)})
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


@blp.route("/applications/<application_id>/withdraw", methods=["POST"])
@allow(Role.LEARNER, Role.WORKSTATION)
@blp.arguments(WithdrawRequest, required=False)
@blp.response(200, ApplicationSchema)
@blp.doc(responses=problem(409))  # not_pending
def withdraw_application(body: dict[str, Any] | None, application_id: str) -> Any:
    """Withdraw the pending items; decided ones stand."""
    reason = (body or {}).get("reason")
    return application_withdrawal.withdraw_application(current_principal(), application_id, reason)


@blp.route("/applications/<application_id>/items/<item_id>/decision", methods=["POST"])
@allow(Role.COLLEGE)
@blp.arguments(DecisionRequest)
@blp.response(201, DecisionResponse)
@blp.alt_response(200, schema=DecisionResponse, description="The same decision again")
@blp.doc(responses={**problem(409), **problem(422)})
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
@blp.doc(responses=problem(409))  # not_approved, already_revoked
def revoke_item(body: dict[str, Any], application_id: str, item_id: str) -> Any:
    """Revoke an approved item: a `reversal` entry returns what its transfer debited."""
    return transfers.revoke_item(current_principal(), application_id, item_id, body["reason"])


@blp.route("/applications/<application_id>/items/<item_id>/confirm", methods=["POST"])
@allow(Role.COLLEGE)
@blp.arguments(ConfirmRequest, required=False)
@blp.response(200, ConfirmResponse)
@blp.doc(responses=problem(409))  # not_flagged
def confirm_item(body: dict[str, Any] | None, application_id: str, item_id: str) -> Any:
    """Confirm a flagged item: the exemption stands, the flag clears."""
    note = (body or {}).get("note")
    return transfers.confirm_item(current_principal(), application_id, item_id, note)


@blp.route("/programmes/<programme_id>/eligibility", methods=["GET"])
@allow(*_READERS)
@blp.arguments(EligibilityQuery, location="query")
@blp.response(200, EligibilitySchema)
@blp.doc(responses=problem(409))  # no_catalogue
def preview_eligibility(query: dict[str, Any], programme_id: str) -> Any:
    """What the learner could offer for each course of the catalogue in force, and the room
    left under the caps; writes nothing. A learner previews itself; staff name the learner; a
    college only a learner with an open enrolment in this programme of its own (else 404)."""
    return eligibility.preview(current_principal(), programme_id, query["learner_id"])
