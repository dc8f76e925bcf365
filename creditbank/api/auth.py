"""``POST /auth/token``: client credentials for clients, password for learners."""

from __future__ import annotations

from typing import Any

from creditbank.api import Blueprint
from creditbank.api.docs import SCHEMAS, problem
from creditbank.api.schemas import TokenRequest, TokenResponse
from creditbank.api.throttle import THROTTLED_RESPONSE
from creditbank.services import clients

blp = Blueprint("auth", __name__, description="Tokens (OAuth 2 style, JWT signed with EdDSA)")
_GRANT = {"$ref": f"{SCHEMAS}TokenRequest"}


@blp.route("/auth/token", methods=["POST"])
@blp.arguments(TokenRequest, location="json_or_form")
# flask-smorest documents no body for "json_or_form"; the document states both encodings, each
# one of the grants (docs.init_docs registers TokenRequest as their oneOf).
@blp.doc(
    requestBody={
        "required": True,
        "content": {
            "application/json": {"schema": _GRANT},
            "application/x-www-form-urlencoded": {"schema": _GRANT},
        },
    },
    responses={**problem(401), "429": THROTTLED_RESPONSE},  # 401: wrong credentials
)
@blp.response(200, TokenResponse)
def issue_token(body: dict[str, Any]) -> Any:
    """Exchange client credentials or a learner's password for an access token.

    A learner's ``username`` is its learner id or its account number (学习账号).
    """
    if body["grant_type"] == "client_credentials":
        token = clients.issue_client_token(body["client_id"], body["client_secret"])
    else:
        token = clients.issue_learner_token(body["username"], body["password"])
    return token
