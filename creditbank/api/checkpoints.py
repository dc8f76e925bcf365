"""Signed checkpoints of the journal (RFC 9162 tree heads in C2SP signed notes, Ed25519)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from creditbank.api import Blueprint
from creditbank.api.access import allow
from creditbank.api.docs import problem
from creditbank.api.schemas import StrictSchema, text
from creditbank.domain.roles import STAFF, Role
from creditbank.services import checkpoints

blp = Blueprint("checkpoints", __name__, description="Signed checkpoints of the journal")


class CheckpointSchema(Schema):
    id = fields.String()
    origin = fields.String()
    tree_size = fields.Integer(metadata={"description": "number of leaves (learners)"})
    root = fields.String(metadata={"description": "base64 RFC 9162 root hash"})
    body = fields.String(metadata={"description": "C2SP tlog-checkpoint note text"})
    note = fields.String(metadata={"description": "C2SP signed note: body and signature line"})
    signature = fields.String(metadata={"description": "base64 Ed25519 signature over body"})
    key_id = fields.String(metadata={"description": "kid of the key in the JWKS"})
    public_key = fields.String(metadata={"description": "base64 of the raw 32-byte key"})
    created_at = fields.String()


class ProofQuery(StrictSchema):
    learner_id = text(40)


class ProofSchema(Schema):
    leaf_index = fields.Integer()
    tree_size = fields.Integer()
    leaf = fields.String(metadata={"description": '"<learner_id>:<seq>:<hex hash>"'})
    audit_path = fields.List(fields.String(), metadata={"description": "base64 hashes"})
    checkpoint_id = fields.String()
    root = fields.String()


@blp.route("/checkpoints", methods=["POST"])
@allow(Role.WORKSTATION)
@blp.response(201, CheckpointSchema)
@blp.doc(responses=problem(409))  # a cached head is malformed
def create_checkpoint() -> Any:
    """Sign the learners' current chain heads into a new checkpoint."""
    return checkpoints.create_checkpoint()


@blp.route("/checkpoints/latest", methods=["GET"])
@allow(*STAFF)
@blp.response(200, CheckpointSchema)
def latest_checkpoint() -> Any:
    """The newest checkpoint (404 before the first)."""
    return checkpoints.latest_checkpoint()


@blp.route("/checkpoints/latest/proof", methods=["GET"])
@allow(*STAFF)
@blp.arguments(ProofQuery, location="query")
@blp.response(200, ProofSchema)
def latest_proof(query: dict[str, Any]) -> Any:
    """RFC 9162 inclusion proof of one learner's head in the newest checkpoint."""
    return checkpoints.latest_proof(query["learner_id"])
