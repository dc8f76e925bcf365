"""Filing, reading and listing applications (PROGRAMMES.md § Endpoints, *Applications*).

Filing locks the learner's account first, so that two filings of one learner take turns and
the second finds the first's claims; then it answers in the documented order: learner,
programme, idempotency, disabled, catalogue, courses and sources (the pure rules), enrolment,
claims. Nothing is written unless every check passes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from creditbank.college_models import (
    College,
    Enrolment,
    Programme,
    TransferApplication,
    TransferClaim,
    TransferItem,
)
from creditbank.domain.canonical import canonical_bytes
from creditbank.domain.errors import (
    CollegeDisabled,
    Forbidden,
    IdempotencyConflict,
    NoCatalogue,
    NotEnrolled,
    NotFound,
    ProgrammeDisabled,
    UnknownLearner,
    ValidationFailed,
)
from creditbank.domain.ids import new_id
from creditbank.domain.roles import Principal, Role
from creditbank.events import EventTag, record_event
from creditbank.extensions import db
from creditbank.journal import lock_accounts
from creditbank.services.application_views import application_views
from creditbank.services.catalogue_reads import catalogue_in_force_for
from creditbank.services.college_scope import acting_learner, check_learner_visible
from creditbank.services.colleges import share_lock_college
from creditbank.services.pagination import Page, keyset_page
from creditbank.services.transaction import utcnow, write_transaction
from creditbank.services.transfer_refusals import refuse
from creditbank.services.transfer_state import (
    banked_of,
    claims_of,
    items_of,
    ledger_of,
    outcomes_of,
    pending_courses,
)
from creditbank.transfer import FiledItem, ItemRequest, Refusal, check_claims, file_items


def file_application(principal: Principal, body: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """File (201, True) or answer the same filing again (200, False)."""
    learner_id = acting_learner(principal, body.get("learner_id"), "files")
    normal = {**body, "learner_id": learner_id}
    digest = hashlib.sha256(canonical_bytes(normal)).hexdigest()
    now = utcnow()
    with write_transaction() as session:
        programme = session.get(Programme, body["programme_id"])
        if programme is not None:
            # The college before the account, as disabling takes them: the two take turns.
            share_lock_college(session, programme.college_id)
        if learner_id not in lock_accounts(session, [learner_id]):
            raise UnknownLearner(errors={"learner_id": ["No learner has this id."]})
        if programme is None:
            raise ValidationFailed(errors={"programme_id": ["No programme has this id."]})
        earlier = session.scalar(
            select(TransferApplication).where(
                TransferApplication.learner_id == learner_id,
                TransferApplication.external_ref == body["external_ref"],
            )
        )
        if earlier is not None:
            if earlier.request_hash != digest:
                raise IdempotencyConflict(
                    f"external_ref {body['external_ref']} was filed with another body",
                    errors={"external_ref": ["Already used with a different body."]},
                )
            return application_views(session, [earlier])[0], False
        application = _file(session, principal, programme, normal, digest, now)
        return application_views(session, [application])[0], True


def _file(
    session: Session,
    principal: Principal,
    programme: Programme,
    body: Mapping[str, Any],
    digest: str,
    now: datetime,
) -> TransferApplication:
    learner_id = body["learner_id"]
    college = session.get_one(College, programme.college_id)
    if college.disabled_at is not None:
        raise CollegeDisabled(f"{college.name} is disabled")
    if programme.disabled_at is not None:
        raise ProgrammeDisabled(f"{programme.name} accepts no new application")
    catalogue = catalogue_in_force_for(session, programme.id, now)
    if catalogue is None:
        raise NoCatalogue(f"{programme.name} has no catalogue in force")
    outcomes = outcomes_of(session, learner_id)
    requests = [ItemRequest(i["course_code"], tuple(i["outcome_ids"])) for i in body["items"]]
    filed = file_items(catalogue, requests, banked_of(session, learner_id, outcomes))
    if isinstance(filed, Refusal):
        refuse(filed)
    if not enrolled(session, learner_id, programme.id, now):
        raise NotEnrolled(f"The learner has no open enrolment in {programme.name}")
    items = items_of(session, learner_id)
    refusal = check_claims(
        filed,
        claims_of(session, learner_id),
        ledger_of(session, learner_id, outcomes),
        programme.id,
        pending_courses(programme.id, items),
    )
    if refusal is not None:
        refuse(refusal)
    application = TransferApplication(
        learner_id=learner_id,
        id=new_id("ta"),
        programme_id=programme.id,
        college_id=programme.college_id,
        catalogue_id=catalogue.id,
        external_ref=body["external_ref"],
        request_hash=digest,
        note=body.get("note"),
        status="pending",
        filed_at=now,
        filed_by_role=principal.role.value,
        filed_by_id=principal.subject,
        certificate_revision=0,
    )
    session.add(application)
    session.add_all(_item_rows(learner_id, application.id, filed))
    keys = dict.fromkeys(key for item in filed for key in item.claim_keys)
    session.add_all(
        TransferClaim(learner_id=learner_id, claim_key=k, application_id=application.id)
        for k in keys
    )
    record_event(
        session,
        EventTag.APPLICATION_FILED,
        actor=principal.subject,
        subject_id=application.id,
        occurred_at=now,
        details={"learner_id": learner_id, "programme_id": programme.id, "items": len(filed)},
    )
    session.flush()
    return application


def _item_rows(
    learner_id: str, application_id: str, filed: tuple[FiledItem, ...]
) -> list[TransferItem]:
    return [
        TransferItem(
            learner_id=learner_id,
            id=new_id("ti"),
            application_id=application_id,
            position=position,
            course_code=item.course.code,
            course_name=item.course.name,
            course_credits=item.course.credits,
            kind=item.course.kind.value,
            outcome_ids=json.dumps(list(item.outcome_ids)),
            claim_keys=json.dumps(list(item.claim_keys)),
            equivalence=item.equivalence,
            online=item.online,
            suggested_grade=item.suggested_grade,
            status="pending",
        )
        for position, item in enumerate(filed)
    ]


def enrolled(session: Session, learner_id: str, programme_id: str, now: datetime) -> bool:
    """An enrolment that has not ended (an end date still ahead has not ended yet)."""
    enrolment = session.get(Enrolment, (learner_id, programme_id))
    if enrolment is None:
        return False
    return enrolment.ended_on is None or enrolment.ended_on > now.date()


def find_application(
    session: Session, principal: Principal, application_id: str
) -> TransferApplication:
    """The application (404 when there is none, or when the caller may not see it)."""
    application = session.scalar(
        select(TransferApplication).where(TransferApplication.id == application_id)
    )
    if application is None:
        raise NotFound("No such application")
    check_learner_visible(principal, application.learner_id, application.college_id)
    return application


def get_application(principal: Principal, application_id: str) -> dict[str, Any]:
    session = db.session()
    return application_views(session, [find_application(session, principal, application_id)])[0]


def list_applications(principal: Principal, query: Mapping[str, Any]) -> Page[dict[str, Any]]:
    """Keyset on id (newest last), filtered; a learner sees its own, a college its college's;
    a filter naming another learner or college is 403."""
    learner_id, college_id = query.get("learner_id"), query.get("college_id")
    if principal.role is Role.LEARNER:
        if learner_id not in (None, principal.subject):
            raise Forbidden("A learner lists only its own applications")
        learner_id = principal.subject
    if principal.role is Role.COLLEGE:
        if college_id not in (None, principal.college_id):
            raise Forbidden("A college lists only its own college's applications")
        college_id = principal.college_id
    statement = select(TransferApplication)
    for column, value in (
        (TransferApplication.learner_id, learner_id),
        (TransferApplication.college_id, college_id),
        (TransferApplication.programme_id, query.get("programme_id")),
        (TransferApplication.status, query.get("status")),
    ):
        if value is not None:
            statement = statement.where(column == value)
    flagged = query.get("flagged")
    if flagged is not None:
        has_flag = exists().where(
            TransferItem.learner_id == TransferApplication.learner_id,
            TransferItem.application_id == TransferApplication.id,
            TransferItem.flag.is_not(None),
        )
        statement = statement.where(has_flag if flagged else ~has_flag)
    page = keyset_page(statement, TransferApplication.id, query.get("cursor"), query["limit"])
    return page.map(lambda rows: application_views(db.session(), rows))
