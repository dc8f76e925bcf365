"""Colleges and their API clients (PROGRAMMES.md § Endpoints, "Colleges and their clients"):
the workstation writes, everyone authenticated reads."""

from __future__ import annotations

from typing import Any

from creditbank.api import Blueprint
from creditbank.api.access import allow, current_principal
from creditbank.api.college_schemas import CollegeCreate, CollegePage, CollegePatch, CollegeSchema
from creditbank.api.docs import problem
from creditbank.api.schemas import ClientCreate, CredentialsSchema, PageArgs
from creditbank.domain.roles import EVERYONE, Role
from creditbank.services import colleges

blp = Blueprint("colleges", __name__, description="Colleges (院校) and their API clients")


@blp.route("/colleges", methods=["POST"])
@allow(Role.WORKSTATION)
@blp.arguments(CollegeCreate)
@blp.response(201, CollegeSchema)
@blp.doc(responses=problem(409, "conflict"))  # the school code is taken
def register_college(body: dict[str, Any]) -> Any:
    """Register a college (its school code is unique)."""
    return colleges.register_college(current_principal(), body["school_code"], body["name"])


@blp.route("/colleges", methods=["GET"])
@allow(*EVERYONE)
@blp.arguments(PageArgs, location="query")
@blp.page(CollegePage)
def list_colleges(query: dict[str, Any]) -> Any:
    """List colleges."""
    return colleges.list_colleges(query["cursor"], query["limit"])


@blp.route("/colleges/<college_id>", methods=["GET"])
@allow(*EVERYONE)
@blp.response(200, CollegeSchema)
def get_college(college_id: str) -> Any:
    """One college."""
    return colleges.get_college(college_id)


@blp.route("/colleges/<college_id>", methods=["PATCH"])
@allow(Role.WORKSTATION)
@blp.arguments(CollegePatch)
@blp.response(200, CollegeSchema)
def update_college(body: dict[str, Any], college_id: str) -> Any:
    """Rename a college (an audit event); its school code never changes."""
    return colleges.rename_college(current_principal(), college_id, body["name"])


@blp.route("/colleges/<college_id>/disable", methods=["POST"])
@allow(Role.WORKSTATION)
@blp.response(200, CollegeSchema)
def disable_college(college_id: str) -> Any:
    """Disable a college: its clients' tokens are refused and every pending item of its
    programmes is withdrawn (reason ``college_disabled``), in one transaction."""
    return colleges.disable_college(current_principal(), college_id)


@blp.route("/colleges/<college_id>/enable", methods=["POST"])
@allow(Role.WORKSTATION)
@blp.response(200, CollegeSchema)
def enable_college(college_id: str) -> Any:
    """Enable a college again: its clients' tokens work again; withdrawn items stay so."""
    return colleges.enable_college(current_principal(), college_id)


@blp.route("/colleges/<college_id>/clients", methods=["POST"])
@allow(Role.WORKSTATION)
@blp.arguments(ClientCreate, required=False)
@blp.response(201, CredentialsSchema)
def create_college_client(body: dict[str, Any], college_id: str) -> Any:
    """Create an API client for a college (named after its officer or system; by default the
    college's name); the secret is shown only this once."""
    return colleges.create_college_client(college_id, (body or {}).get("name"))
