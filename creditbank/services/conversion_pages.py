"""What the console's conversion pages read (the college's queue and application page, the
learner's and the workstation's applications): the same applications the API shows, with the
names a person reads beside them (learner, student number, programme, college) and the room
the caps of the catalogue an application was filed under leave now. It writes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from creditbank.college_models import (
    College,
    Enrolment,
    Programme,
    TransferApplication,
    TransferItem,
)
from creditbank.domain.roles import Principal
from creditbank.extensions import db
from creditbank.models import Identity
from creditbank.services.application_views import application_views
from creditbank.services.applications import enrolled, find_application
from creditbank.services.catalogue_reads import catalogue_for
from creditbank.services.eligibility import evaluate
from creditbank.services.named_outcomes import named_outcomes
from creditbank.services.pagination import Page, keyset_page
from creditbank.services.transaction import utcnow


def college_queue(principal: Principal, cursor: str | None, limit: int) -> Page[dict[str, Any]]:
    """The college's applications that need it: pending, or with a flagged item; oldest
    first (by id), with names."""
    flagged = exists().where(
        TransferItem.learner_id == TransferApplication.learner_id,
        TransferItem.application_id == TransferApplication.id,
        TransferItem.flag.is_not(None),
    )
    query = select(TransferApplication).where(
        TransferApplication.college_id == principal.college_id,
        or_(TransferApplication.status == "pending", flagged),
    )
    page = keyset_page(query, TransferApplication.id, cursor, limit)
    return page.map(lambda rows: named(db.session(), application_views(db.session(), rows)))


def named(session: Session, views: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Application views with ``learner_name``, ``student_no``, ``programme_name``,
    ``college_name`` and counts of pending and flagged items (one query each)."""
    learners = {view["learner_id"] for view in views}
    names = _pairs(session, Identity.learner_id, Identity.name, learners)
    colleges = _pairs(session, College.id, College.name, {v["college_id"] for v in views})
    programmes = {
        row.id: row
        for row in session.scalars(
            select(Programme).where(Programme.id.in_({v["programme_id"] for v in views}))
        )
    }
    numbers = {
        (row.learner_id, row.programme_id): row.student_no
        for row in session.scalars(select(Enrolment).where(Enrolment.learner_id.in_(learners)))
    }
    return [
        {
            **view,
            "learner_name": names.get(view["learner_id"]),
            "student_no": numbers.get((view["learner_id"], view["programme_id"])),
            "programme_name": programmes[view["programme_id"]].name,
            "programme_code": programmes[view["programme_id"]].code,
            "college_name": colleges.get(view["college_id"]),
            "pending_items": sum(1 for i in view["items"] if i["status"] == "pending"),
            "flagged_items": sum(1 for i in view["items"] if i["flag"]),
        }
        for view in views
    ]


def _pairs(session: Session, key: Any, value: Any, keys: set[str]) -> dict[str, Any]:
    return dict(session.execute(select(key, value).where(key.in_(keys))).all())


def application_detail(principal: Principal, application_id: str) -> dict[str, Any]:
    """One application as its page shows it (404 when the caller may not see it): the named
    view, the learner's masked national ID, and ``room``: the preview under the catalogue it
    was filed under (the caps' remaining room now)."""
    session = db.session()
    application = find_application(session, principal, application_id)
    view = named(session, application_views(session, [application]))[0]
    identity = session.get(Identity, application.learner_id)
    view["national_id_masked"] = identity.national_id_masked if identity else None
    catalogue = catalogue_for(session, application.catalogue_id)
    is_enrolled = enrolled(session, application.learner_id, application.programme_id, utcnow())
    view["room"] = evaluate(session, application.learner_id, catalogue, is_enrolled)
    return view


def open_enrolments(learner_id: str) -> list[dict[str, Any]]:
    """The learner's enrolments that have not ended, with programme and college names."""
    session = db.session()
    today = utcnow().date()
    rows = session.execute(
        select(Enrolment, Programme, College)
        .join(Programme, Programme.id == Enrolment.programme_id)
        .join(College, College.id == Programme.college_id)
        .where(Enrolment.learner_id == learner_id)
        .order_by(Programme.id)
    ).all()
    return [
        {
            "programme_id": programme.id,
            "programme_code": programme.code,
            "programme_name": programme.name,
            "college_name": college.name,
            "student_no": enrolment.student_no,
        }
        for enrolment, programme, college in rows
        if enrolment.ended_on is None or enrolment.ended_on > today
    ]


def outcome_titles(learner_id: str, outcome_ids: Iterable[str]) -> dict[str, str]:
    """The titles of the learner's outcomes, by id (for the options of a preview)."""
    probe = TransferItem(  # never added to the session: only what named_outcomes reads
        learner_id=learner_id, outcome_ids=json.dumps(sorted(set(outcome_ids)))
    )
    found = named_outcomes(db.session(), [probe])
    return {outcome_id: outcome.title for (_, outcome_id), outcome in found.items()}


def filed_under_ref(learner_id: str, external_ref: str) -> str | None:
    """The id of the learner's application filed under ``external_ref``, if one was."""
    return db.session.scalar(
        select(TransferApplication.id).where(
            TransferApplication.learner_id == learner_id,
            TransferApplication.external_ref == external_ref,
        )
    )


def programme_name(programme_id: str) -> str | None:
    programme = db.session.get(Programme, programme_id)
    return None if programme is None else programme.name
