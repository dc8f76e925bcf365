"""A learner's password: changed by the learner, giving the old one, or reset by the workstation.

Its own blueprint because a wrong old password is a failed login: :mod:`creditbank.api.throttle`
counts it per learner and per address, together with the token endpoint's failures.
"""

from __future__ import annotations

from typing import Any

from creditbank.api import Blueprint
from creditbank.api.access import allow, current_principal
from creditbank.api.schemas import PasswordChange
from creditbank.api.throttle import THROTTLED_RESPONSE
from creditbank.domain.roles import Role
from creditbank.services import learners

blp = Blueprint("passwords", __name__, description="Learners' passwords")


@blp.route("/learners/<learner_id>/password", methods=["PUT"])
@allow(Role.WORKSTATION, Role.LEARNER)
@blp.arguments(PasswordChange)
@blp.doc(responses={"429": THROTTLED_RESPONSE})
@blp.response(204)
def change_password(body: dict[str, Any], learner_id: str) -> None:
    """Change a password (the learner, giving the old one) or reset it (the workstation).

    A wrong ``old_password`` (401) counts as a failed login, for this learner and for the
    caller's address, with the token endpoint's failures: past the limit every change by the
    learner is refused with 429 and ``Retry-After``, the right password too. A reset (no
    ``old_password``) neither counts nor is refused.
    """
    learners.change_password(
        current_principal(), learner_id, body["new_password"], body["old_password"]
    )
