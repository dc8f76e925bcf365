"""A college's programmes (专业, PROGRAMMES.md § Domain model, *Programmes*): created, renamed
and disabled by the workstation or their own college (another college's: 403), read by every
role with the catalogue in force (:mod:`creditbank.services.catalogue_reads`).

Only the name changes; journal entries copy the names they need, so a rename never changes
history. A disabled programme accepts no new application (filing checks it); its pending ones
are still decided.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditbank.college_models import College, Programme
from creditbank.domain.errors import Conflict, Forbidden, ValidationFailed
from creditbank.domain.ids import new_id
from creditbank.domain.roles import Principal, Role
from creditbank.events import EventTag, record_event
from creditbank.extensions import db
from creditbank.labels import PROGRAMME_CATEGORY_NAMES, PROGRAMME_LEVEL_NAMES
from creditbank.services.catalogue_reads import catalogue_summary, catalogues_in_force
from creditbank.services.college_scope import get_college, get_programme, writable_programme
from creditbank.services.pagination import Page, keyset_page
from creditbank.services.transaction import utcnow, write_transaction

PROGRAMME_CODE = re.compile(r"[A-Za-z0-9]{1,16}")
MAX_NAME = 100


def create_programme(
    principal: Principal, college_id: str, fields: dict[str, str]
) -> dict[str, Any]:
    """A programme of the college (the workstation, or that college); its code is unique in
    the college (409 ``conflict``)."""
    _check_errors(_programme_errors(fields))
    code = fields["code"]
    taken = f"The college has a programme with code {code} already"
    try:
        with write_transaction() as session:
            college = get_college(session, college_id)
            if principal.role is Role.COLLEGE and principal.college_id != college.id:
                raise Forbidden("A college creates programmes only for itself")
            exists = select(Programme.id).where(
                Programme.college_id == college.id, Programme.code == code
            )
            if session.scalar(exists) is not None:
                raise Conflict(taken)
            programme = Programme(
                id=new_id("pg"),
                college_id=college.id,
                code=code,
                name=fields["name"],
                level_code=fields["level_code"],
                category_code=fields["category_code"],
                created_at=utcnow(),
            )
            session.add(programme)
            _event(session, EventTag.PROGRAMME_CREATED, principal, programme, code=code)
    except IntegrityError as exc:  # a concurrent creation took the code first
        raise Conflict(taken) from exc
    return get_programme_view(programme.id)


def get_programme_view(programme_id: str) -> dict[str, Any]:
    return programme_views([get_programme(db.session(), programme_id)])[0]


def list_programmes(college_id: str | None, cursor: str | None, limit: int) -> Page[dict[str, Any]]:
    """Every programme, or one college's; in creation order."""
    query = select(Programme)
    if college_id is not None:
        query = query.where(Programme.college_id == college_id)
    return keyset_page(query, Programme.id, cursor, limit).map(programme_views)


def rename_programme(principal: Principal, programme_id: str, name: str) -> dict[str, Any]:
    """A new name (an audit event); codes never change."""
    _check_errors(_name_errors(name))
    with write_transaction() as session:
        programme = writable_programme(session, principal, programme_id)
        if programme.name != name:
            programme.name = name
            _event(session, EventTag.PROGRAMME_RENAMED, principal, programme, fields=["name"])
    return get_programme_view(programme_id)


def disable_programme(principal: Principal, programme_id: str) -> dict[str, Any]:
    """No new application from now on; pending ones are still decided."""
    with write_transaction() as session:
        programme = writable_programme(session, principal, programme_id)
        if programme.disabled_at is None:
            programme.disabled_at = utcnow()
            _event(session, EventTag.PROGRAMME_DISABLED, principal, programme)
    return get_programme_view(programme_id)


def programme_views(programmes: list[Programme]) -> list[dict[str, Any]]:
    """The programmes as the API shows them, with their college's code and the catalogue in
    force now (one query for the colleges, two for the catalogues)."""
    session = db.session()
    college_ids = sorted({programme.college_id for programme in programmes})
    query = select(College.id, College.school_code).where(College.id.in_(college_ids))
    codes = {row.id: row.school_code for row in session.execute(query)}
    catalogues = catalogues_in_force(session, (p.id for p in programmes), utcnow())
    return [
        {
            "id": programme.id,
            "college_id": programme.college_id,
            "school_code": codes.get(programme.college_id),
            "code": programme.code,
            "name": programme.name,
            "level_code": programme.level_code,
            "level": PROGRAMME_LEVEL_NAMES.get(programme.level_code),
            "category_code": programme.category_code,
            "category": PROGRAMME_CATEGORY_NAMES.get(programme.category_code),
            "created_at": programme.created_at,
            "disabled_at": programme.disabled_at,
            "catalogue": catalogue_summary(catalogues.get(programme.id)),
        }
        for programme in programmes
    ]


def _programme_errors(fields: dict[str, str]) -> dict[str, list[str]]:
    errors = _name_errors(fields.get("name", ""))
    if not PROGRAMME_CODE.fullmatch(fields.get("code", "")):
        errors["code"] = ["1–16 letters and digits (the national programme code)."]
    if fields.get("level_code") not in PROGRAMME_LEVEL_NAMES:
        errors["level_code"] = [f"One of {', '.join(PROGRAMME_LEVEL_NAMES)}."]
    if fields.get("category_code") not in PROGRAMME_CATEGORY_NAMES:
        errors["category_code"] = [f"One of {', '.join(PROGRAMME_CATEGORY_NAMES)}."]
    return errors


def _name_errors(name: str) -> dict[str, list[str]]:
    if not 1 <= len(name) <= MAX_NAME:
        return {"name": [f"1–{MAX_NAME} characters."]}
    return {}


def _check_errors(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationFailed(errors=errors)


def _event(
    session: Session,
    tag: EventTag,
    principal: Principal,
    programme: Programme,
    **details: Any,
) -> None:
    record_event(
        session,
        tag,
        actor=principal.subject,
        subject_id=programme.id,
        occurred_at=utcnow(),
        details={"college_id": programme.college_id, **details},
    )
