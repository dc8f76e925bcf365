"""Helpers for the college half's HTTP tests: a college with a client, a programme, an
enrolment, and (while the filing API is not there) applications, items, claims and
catalogue versions written straight through the models."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from creditbank.college_models import (
    CatalogueVersion,
    TransferApplication,
    TransferClaim,
    TransferItem,
)
from creditbank.domain.canonical import canonical_bytes
from creditbank.domain.ids import new_id
from creditbank.extensions import db
from creditbank.models import AuditEvent
from creditbank.services.transaction import write_transaction
from creditbank.transfer import validate_catalogue_document
from tests.support.programmes import programme_code

COLLEGES = "/api/v1/colleges"
PROGRAMMES = "/api/v1/programmes"


def new_college(api: Any, school_code: str | None = None, name: str | None = None):
    """A college and the headers of a client of it: ``(college, headers)``."""
    school_code = school_code or f"C{os.urandom(3).hex().upper()}"
    body = {"school_code": school_code, "name": name or f"{school_code} 职业技术学院"}
    response = api.post(COLLEGES, api.workstation, json=body)
    assert response.status_code == 201, response.get_json()
    college = response.get_json()
    return college, college_client(api, college["id"])


def college_client(api: Any, college_id: str, name: str = "教务处 李老师") -> dict[str, str]:
    response = api.post(f"{COLLEGES}/{college_id}/clients", api.workstation, json={"name": name})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    return api.token_for(body["client_id"], body["client_secret"])


def new_programme(api: Any, college_id: str, headers=None, **fields: Any) -> dict[str, Any]:
    body = {
        "code": programme_code(),
        "name": "软件技术",
        "level_code": "21",
        "category_code": "30",
        **fields,
    }
    path = f"{COLLEGES}/{college_id}/programmes"
    response = api.post(path, headers or api.workstation, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def enrol(api: Any, programme_id: str, learner_id: str, headers=None, **fields: Any):
    body = {
        "learner_id": learner_id,
        "student_no": "2026510203001",
        "enrolled_on": "2026-09-01",
        **fields,
    }
    path = f"{PROGRAMMES}/{programme_id}/enrolments"
    return api.post(path, headers or api.workstation, json=body)


def catalogue_document(
    effective_from: str = "2026-09-01T00:00:00+08:00", **overrides: Any
) -> dict[str, Any]:
    document = {
        "name": "软件技术专业学分转换目录",
        "effective_from": effective_from,
        "total_credits": "120.0",
        "courses": [
            {
                "code": "WEB101",
                "name": "Web前端开发",
                "credits": "4.0",
                "equivalences": [{"kind": "certificate", "certificate_code": "1X-WEB"}],
            }
        ],
        **overrides,
    }
    return validate_catalogue_document(document)


def insert_catalogue(programme_id: str, version: int, **document: Any) -> str:
    """A catalogue version stored as publishing stores it (the normalised document)."""
    normal = catalogue_document(**document)
    row = CatalogueVersion(
        id=new_id("cat"),
        programme_id=programme_id,
        version=version,
        name=normal["name"],
        effective_from=datetime.fromisoformat(normal["effective_from"]).astimezone(UTC),
        document=canonical_bytes(normal).decode("utf-8"),
        published_at=datetime.now(UTC),
        published_by=None,
    )
    with write_transaction() as session:
        session.add(row)
    return row.id


def insert_application(
    learner_id: str, programme: dict[str, Any], items: list[tuple[str, list[str]]]
) -> tuple[str, list[str]]:
    """An application of ``items`` (status, claim keys), claiming every key an item names."""
    application_id = new_id("ta")
    statuses = {status for status, _ in items}
    item_ids = [new_id("ti") for _ in items]
    with write_transaction() as session:
        session.add(
            TransferApplication(
                learner_id=learner_id,
                id=application_id,
                programme_id=programme["id"],
                college_id=programme["college_id"],
                catalogue_id=new_id("cat"),
                external_ref=f"ref-{application_id}",
                request_hash="0" * 64,
                status="pending" if "pending" in statuses else "closed",
                filed_at=datetime.now(UTC),
                filed_by_role="learner",
                filed_by_id=learner_id,
                certificate_revision=0,
            )
        )
        for position, (item_id, (status, keys)) in enumerate(zip(item_ids, items, strict=True)):
            session.add(_item(learner_id, application_id, item_id, position, status, keys))
        for key in sorted({key for _, keys in items for key in keys}):
            session.add(
                TransferClaim(learner_id=learner_id, claim_key=key, application_id=application_id)
            )
    return application_id, item_ids


def _item(learner_id, application_id, item_id, position, status, keys) -> TransferItem:
    return TransferItem(
        learner_id=learner_id,
        id=item_id,
        application_id=application_id,
        position=position,
        course_code=f"C{position}",
        course_name=f"课程{position}",
        course_credits=20,
        kind="theory",
        outcome_ids=json.dumps([f"o_{position}"]),
        claim_keys=json.dumps(keys),
        equivalence=f"courses.C{position}.equivalences.0",
        online=False,
        suggested_grade="合格",
        status=status,
        grade="合格" if status == "approved" else None,
    )


def stored_application(application_id: str) -> TransferApplication:
    db.session.expire_all()
    query = select(TransferApplication).where(TransferApplication.id == application_id)
    return db.session.scalars(query).one()


def stored_items(application_id: str) -> list[TransferItem]:
    db.session.expire_all()
    query = (
        select(TransferItem)
        .where(TransferItem.application_id == application_id)
        .order_by(TransferItem.position)
    )
    return list(db.session.scalars(query))


def claims_of(learner_id: str) -> dict[str, str]:
    db.session.expire_all()
    query = select(TransferClaim).where(TransferClaim.learner_id == learner_id)
    return {claim.claim_key: claim.application_id for claim in db.session.scalars(query)}


def events(tag: str, subject_id: str | None = None) -> list[dict[str, Any]]:
    db.session.expire_all()
    query = select(AuditEvent).where(AuditEvent.tag == tag)
    if subject_id is not None:
        query = query.where(AuditEvent.subject_id == subject_id)
    return [
        {"actor": e.actor, "subject_id": e.subject_id, "details": json.loads(e.details)}
        for e in db.session.scalars(query.order_by(AuditEvent.id))
    ]
