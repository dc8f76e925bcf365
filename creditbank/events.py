"""Audit events: what was done to data outside the journal, by whom, to whom, and when.

Tags read ``source:subject:action`` and all come from :class:`EventTag`, so the list of things
the bank records is one enum (as pypi/warehouse keeps its ``events/tags.py``). Details say
which fields changed, never their values: an event must not keep the personal data that a
correction replaced or an erasure removed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from creditbank.domain.ids import new_id
from creditbank.models import AuditEvent


class EventTag(StrEnum):
    LEARNER_IDENTITY_CORRECTED = "api:learner:identity_corrected"
    LEARNER_IDENTITY_ERASED = "api:learner:identity_erased"
    # The college half (PROGRAMMES.md § Where it lives).
    COLLEGE_REGISTERED = "api:college:registered"
    COLLEGE_RENAMED = "api:college:renamed"
    COLLEGE_DISABLED = "api:college:disabled"
    COLLEGE_ENABLED = "api:college:enabled"
    PROGRAMME_CREATED = "api:programme:created"
    PROGRAMME_RENAMED = "api:programme:renamed"
    PROGRAMME_DISABLED = "api:programme:disabled"
    CATALOGUE_PUBLISHED = "api:catalogue:published"
    ENROLMENT_CREATED = "api:enrolment:created"
    ENROLMENT_REOPENED = "api:enrolment:reopened"
    ENROLMENT_ENDED = "api:enrolment:ended"
    APPLICATION_FILED = "api:application:filed"
    APPLICATION_WITHDRAWN = "api:application:withdrawn"
    TRANSFER_ITEM_REJECTED = "api:transfer_item:rejected"
    TRANSFER_ITEM_CONFIRMED = "api:transfer_item:confirmed"
    # Deposits and reviews (services/deposits.py, services/reviews.py): the journal keeps the
    # outcome and the decision; the event keeps who acted (a page's staff member, a client).
    OUTCOME_DEPOSITED = "api:outcome:deposited"
    REVIEW_DECIDED = "api:review:decided"
    # The workstation console (creditbank/web): a provider's sheet uploaded on its behalf,
    # from its preview to its end, and a ruleset published from a file.
    WEB_UPLOAD_PREVIEWED = "web:upload:previewed"
    WEB_UPLOAD_CONFIRMED = "web:upload:confirmed"
    WEB_UPLOAD_FINISHED = "web:upload:finished"
    WEB_UPLOAD_FAILED = "web:upload:failed"
    WEB_RULESET_PUBLISHED = "web:ruleset:published"
    # The workstation's pages (creditbank/web/ws_*.py).
    WEB_LEARNER_OPENED = "web:learner:opened"
    WEB_LEARNERS_COLLECTIVE_OPENED = "web:learners:collective_opened"
    WEB_LEARNER_PASSWORD_RESET = "web:learner:password_reset"  # noqa: S105 - a tag
    WEB_OUTCOME_VOIDED = "web:outcome:voided"
    # The workstation's pages (docs/console.md § 概览、审计与账号).
    WEB_PROVIDER_CREATED = "web:provider:created"
    WEB_CLIENT_CREATED = "web:client:created"
    WEB_CLIENT_DISABLED = "web:client:disabled"
    WEB_CLIENT_SECRET_ROTATED = "web:client:secret_rotated"  # noqa: S105 - a tag, not a secret
    WEB_STAFF_CREATED = "web:staff:created"
    WEB_STAFF_DISABLED = "web:staff:disabled"
    WEB_AUDIT_STARTED = "web:audit:started"

    # Verifiable documents (services/documents.py, services/credential_status.py).
    DOCUMENT_ISSUED = "api:document:issued"
    DOCUMENT_REVOKED = "api:document:revoked"
    CREDENTIAL_REVOKED = "api:credential:revoked"


@dataclass(frozen=True)
class EventNote:
    """An event a service records, in its own write transaction, on behalf of the caller that
    asked for it (a page): what the service does is the same, the log says who did it."""

    tag: EventTag
    actor: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def record(self, session: Session, subject_id: str | None, occurred_at: datetime) -> None:
        record_event(
            session,
            self.tag,
            actor=self.actor,
            subject_id=subject_id,
            occurred_at=occurred_at,
            details=self.details,
        )


def record_event(
    session: Session,
    tag: EventTag,
    *,
    actor: str | None,
    subject_id: str | None,
    occurred_at: datetime,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add one event to the caller's transaction (it commits, or not, with the change)."""
    event = AuditEvent(
        id=new_id("ev"),
        tag=tag.value,
        actor=actor,
        subject_id=subject_id,
        occurred_at=occurred_at,
        details=json.dumps(dict(details or {}), ensure_ascii=False, sort_keys=True),
    )
    session.add(event)
    return event
