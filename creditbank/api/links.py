"""OpenAPI links: from an operation that creates something to the operations that use it, and
from each page of a list to the next.

``(operationId, status) → {target operationId: {parameter: runtime expression}}``, added to the
served document by :func:`creditbank.api.docs.add_links`. A client generator shows them as the
way on from a response; schemathesis' stateful phase follows them (create, then read, change,
void; a page, then the next with its cursor), so they chain real resources and cursors
instead of guessing them.
"""

from __future__ import annotations

_LEARNER = {"learner_id": "$response.body#/learner_id"}
_PROVIDER = {"provider_id": "$response.body#/id"}
_CLIENT = {"client_id": "$response.body#/client_id"}
_COLLEGE = {"college_id": "$response.body#/id"}
_PROGRAMME = {"programme_id": "$response.body#/id"}
_OUTCOME = {"outcome_id": "$response.body#/outcome/id"}
_RULESET = {"ruleset_id": "$response.body#/id"}
_AUDIT = {"audit_id": "$response.body#/id"}
_CATALOGUE = {"catalogue_id": "$response.body#/id"}
_APPLICATION = {"application_id": "$response.body#/id"}
_ITEM = {"application_id": "$response.body#/id", "item_id": "$response.body#/items/0/id"}
_USE_APPLICATION = {
    "get_application": _APPLICATION,
    "withdraw_application": _APPLICATION,
    "decide_item": _ITEM,
    "get_certificate": _APPLICATION,
}

_USE_LEARNER = {
    target: _LEARNER
    for target in (
        "get_learner",
        "get_balance",
        "get_ledger",
        "get_transcript",
        "get_credential",
        "correct_identity",
        "change_password",
    )
}
_USE_OUTCOME = {"get_outcome": _OUTCOME, "void_outcome": _OUTCOME, "decide_review": _OUTCOME}
_USE_AUDIT = {"get_audit": _AUDIT, "list_findings": _AUDIT}

_NEXT = {"cursor": "$response.body#/next_cursor"}
_LISTS = {
    "find_learners": _NEXT,
    "list_providers": _NEXT,
    "list_outcomes": _NEXT,
    "list_rulesets": _NEXT,
    "list_catalogues": {**_NEXT, "programme_id": "$request.path.programme_id"},
    "list_reviews": _NEXT,
    "get_ledger": {**_NEXT, "learner_id": "$request.path.learner_id"},
    "list_findings": {**_NEXT, "audit_id": "$request.path.audit_id"},
    "list_colleges": _NEXT,
    "list_programmes": _NEXT,
    "list_enrolments": {**_NEXT, "programme_id": "$request.path.programme_id"},
    "list_learner_enrolments": {**_NEXT, "learner_id": "$request.path.learner_id"},
    "list_applications": _NEXT,
}

LINKS: dict[tuple[str, str], dict[str, dict[str, str]]] = {
    **{(page, "200"): {page: parameters} for page, parameters in _LISTS.items()},
    ("open_learner", "201"): _USE_LEARNER,
    ("register_provider", "201"): {"get_provider": _PROVIDER, "create_provider_client": _PROVIDER},
    ("create_provider_client", "201"): {"disable_client": _CLIENT, "rotate_client": _CLIENT},
    ("register_college", "201"): {"get_college": _COLLEGE, "create_college_client": _COLLEGE},
    ("create_college_client", "201"): {"disable_client": _CLIENT, "rotate_client": _CLIENT},
    ("create_programme", "201"): {"get_programme": _PROGRAMME, "list_enrolments": _PROGRAMME},
    ("post_outcomes", "201"): _USE_OUTCOME,
    ("post_outcomes", "200"): _USE_OUTCOME,
    ("publish_ruleset", "201"): {"get_ruleset": _RULESET},
    ("publish_catalogue", "201"): {"get_catalogue": _CATALOGUE},
    ("upload_catalogue", "201"): {"get_catalogue": _CATALOGUE},
    ("file_application", "201"): _USE_APPLICATION,
    ("file_application", "200"): _USE_APPLICATION,
    ("start_audit", "201"): _USE_AUDIT,
    ("start_audit", "202"): _USE_AUDIT,
}
