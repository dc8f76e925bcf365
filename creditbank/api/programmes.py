"""Programmes and enrolments (PROGRAMMES.md § Endpoints, "Programmes and enrolments"):
everyone reads programmes; the workstation or the programme's own college writes them and
enrols its students. Catalogues are :mod:`creditbank.api.catalogues`."""

from __future__ import annotations

from typing import Any

from creditbank.api import Blueprint
from creditbank.api.access import allow, current_principal
from creditbank.api.college_schemas import (
    EnrolmentCreate,
    EnrolmentEnd,
    EnrolmentPage,
    EnrolmentSchema,
    ProgrammeCreate,
    ProgrammePage,
    ProgrammePatch,
    ProgrammeQuery,
    ProgrammeSchema,
)
from creditbank.api.docs import problem
from creditbank.api.schemas import PageArgs
from creditbank.domain.roles import EVERYONE, STAFF, Role
from creditbank.services import enrolments, programmes

blp = Blueprint("programmes", __name__, description="College programmes (专业) and enrolments")

WRITERS = (Role.WORKSTATION, Role.COLLEGE)  # a college: its own programmes only (else 403)
ENROLMENT_INVALID = ("validation_error", "unknown_learner")  # unknown_learner: national_id too


@blp.route("/colleges/<college_id>/programmes", methods=["POST"])
@allow(*WRITERS)
@blp.arguments(ProgrammeCreate)
@blp.response(201, ProgrammeSchema)
@blp.doc(responses=problem(409, "conflict"))  # the college has that code already
def create_programme(body: dict[str, Any], college_id: str) -> Any:
    """Create a programme of a college (its code is unique in the college)."""
    return programmes.create_programme(current_principal(), college_id, body)


@blp.route("/programmes", methods=["GET"])
@allow(*EVERYONE)
@blp.arguments(ProgrammeQuery, location="query")
@blp.page(ProgrammePage)
def list_programmes(query: dict[str, Any]) -> Any:
    """List programmes, all or one college's, each with its catalogue in force."""
    return programmes.list_programmes(query["college_id"], query["cursor"], query["limit"])


@blp.route("/programmes/<programme_id>", methods=["GET"])
@allow(*EVERYONE)
@blp.response(200, ProgrammeSchema)
def get_programme(programme_id: str) -> Any:
    """One programme, with the catalogue version in force now (or null)."""
    return programmes.get_programme_view(programme_id)


@blp.route("/programmes/<programme_id>", methods=["PATCH"])
@allow(*WRITERS)
@blp.arguments(ProgrammePatch)
@blp.response(200, ProgrammeSchema)
def update_programme(body: dict[str, Any], programme_id: str) -> Any:
    """Rename a programme (an audit event); history keeps the names it copied."""
    return programmes.rename_programme(current_principal(), programme_id, body["name"])


@blp.route("/programmes/<programme_id>/disable", methods=["POST"])
@allow(*WRITERS)
@blp.response(200, ProgrammeSchema)
def disable_programme(programme_id: str) -> Any:
    """Disable a programme: no new application; pending ones are still decided."""
    return programmes.disable_programme(current_principal(), programme_id)


@blp.route("/programmes/<programme_id>/enrolments", methods=["POST"])
@allow(*WRITERS)
@blp.arguments(EnrolmentCreate)
@blp.response(201, EnrolmentSchema, description="Enrolled")
@blp.alt_response(200, schema=EnrolmentSchema, description="An ended enrolment, reopened")
@blp.doc(responses={**problem(409, "conflict"), **problem(422, *ENROLMENT_INVALID)})
def create_enrolment(body: dict[str, Any], programme_id: str) -> Any:
    """Enrol a learner with the college's student number; an ended enrolment is reopened.

    ``national_id``, when given, must be the account's; otherwise the answer is the same
    ``422 unknown_learner`` as for an unknown ``learner_id``.
    """
    enrolment, created = enrolments.enrol(current_principal(), programme_id, body)
    return enrolment, 201 if created else 200


@blp.route("/programmes/<programme_id>/enrolments/<learner_id>/end", methods=["POST"])
@allow(*WRITERS)
@blp.arguments(EnrolmentEnd)
@blp.response(200, EnrolmentSchema)
@blp.doc(responses=problem(409, "not_enrolled"))  # ended already
def end_enrolment(body: dict[str, Any], programme_id: str, learner_id: str) -> Any:
    """End an enrolment (graduated, left …); filing and approving then need a new one."""
    return enrolments.end_enrolment(
        current_principal(), programme_id, learner_id, body["ended_on"], body["reason"]
    )


@blp.route("/programmes/<programme_id>/enrolments", methods=["GET"])
@allow(*STAFF, Role.COLLEGE)
@blp.arguments(PageArgs, location="query")
@blp.page(EnrolmentPage)
def list_enrolments(query: dict[str, Any], programme_id: str) -> Any:
    """A programme's enrolments, by learner id: staff, or the programme's college."""
    return enrolments.list_programme_enrolments(
        current_principal(), programme_id, query["cursor"], query["limit"]
    )


@blp.route("/learners/<learner_id>/enrolments", methods=["GET"])
@allow(*STAFF, Role.COLLEGE, Role.LEARNER)
@blp.arguments(PageArgs, location="query")
@blp.page(EnrolmentPage)
def list_learner_enrolments(query: dict[str, Any], learner_id: str) -> Any:
    """A learner's enrolments: its own, staff all, a college those in its own programmes."""
    return enrolments.list_learner_enrolments(
        current_principal(), learner_id, query["cursor"], query["limit"]
    )
