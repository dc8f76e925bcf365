"""Conversion rulesets: the workstation publishes, everyone authenticated reads."""

from __future__ import annotations

from typing import Any

from creditbank.api import Blueprint
from creditbank.api.access import allow, current_principal
from creditbank.api.docs import SCHEMAS
from creditbank.api.ledger_schemas import RulesetPage, RulesetSchema
from creditbank.api.parsing import json_body
from creditbank.api.schemas import PageArgs
from creditbank.domain.roles import EVERYONE, Role
from creditbank.services import rulesets

blp = Blueprint("rulesets", __name__, description="Conversion rulesets (学分转换规则)")


@blp.route("/rulesets", methods=["POST"])
@allow(Role.WORKSTATION)
@blp.doc(
    requestBody={
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"{SCHEMAS}NewRuleset"}}},
    }
)
@blp.response(201, RulesetSchema)
def publish_ruleset() -> Any:
    """Publish the next ruleset version (never edited afterwards)."""
    return rulesets.publish_ruleset(json_body(), current_principal().subject)


@blp.route("/rulesets", methods=["GET"])
@allow(*EVERYONE)
@blp.arguments(PageArgs, location="query")
@blp.page(RulesetPage)
def list_rulesets(query: dict[str, Any]) -> Any:
    """Every published ruleset, by version."""
    return rulesets.list_rulesets(query["cursor"], query["limit"])


@blp.route("/rulesets/active", methods=["GET"])
@allow(*EVERYONE)
@blp.response(200, RulesetSchema)
def active_ruleset() -> Any:
    """The ruleset in force now."""
    return rulesets.active_ruleset()


@blp.route("/rulesets/<ruleset_id>", methods=["GET"])
@allow(*EVERYONE)
@blp.response(200, RulesetSchema)
def get_ruleset(ruleset_id: str) -> Any:
    """One ruleset."""
    return rulesets.get_ruleset(ruleset_id)
