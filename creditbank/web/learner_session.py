"""Who is signed in to the learner portal (``/learner/``): the same signed cookie as the staff's
pages, under its own key, checked against the identity on every request.

The cookie holds the learner id, the identity's ``token_version`` at sign-in (raised by every
password change and by erasure, so older sessions die with older tokens), when it signed in and
when it was last used; the staff session's idle and absolute limits apply.
"""

from __future__ import annotations

import time

from flask import current_app, session

from creditbank.extensions import db
from creditbank.models import Identity

SESSION_KEY = "learner"
_VERSION, _SINCE, _SEEN = "learner_version", "learner_since", "learner_seen"


def sign_in(identity: Identity) -> None:
    session.clear()  # a fresh session (and CSRF token) for the new identity
    session.permanent = True
    now = int(time.time())
    session.update(
        {
            SESSION_KEY: identity.learner_id,
            _VERSION: identity.token_version,
            _SINCE: now,
            _SEEN: now,
        }
    )


def renew(learner_id: str) -> None:
    """Sign in again under the identity as it is now (after a password change raised its
    version, which ends every other session)."""
    identity = db.session.get(Identity, learner_id)
    if identity is not None:
        db.session.refresh(identity)
        sign_in(identity)


def sign_out() -> None:
    session.clear()


def signed_in_learner() -> Identity | None:
    """The identity of this session while the session is still valid; else the session ends."""
    learner_id = session.get(SESSION_KEY)
    if not isinstance(learner_id, str):
        return None
    identity = db.session.get(Identity, learner_id)
    now = time.time()
    if identity is None or identity.password_hash is None or not _still_valid(identity, now):
        session.clear()
        return None
    session[_SEEN] = int(now)
    return identity


def _still_valid(identity: Identity, now: float) -> bool:
    settings = current_app.extensions["creditbank.settings"]
    version, since, seen = (session.get(key) for key in (_VERSION, _SINCE, _SEEN))
    if not (isinstance(version, int) and isinstance(since, int) and isinstance(seen, int)):
        return False
    return (
        version == identity.token_version
        and now - since <= settings.staff_session_max_hours * 3600
        and now - seen <= settings.staff_session_idle_minutes * 60
    )
