"""Publishing and reading programmes' catalogues (PROGRAMMES.md § Domain model, *Catalogues*):
one immutable document per version per programme, versions counting 1, 2, … per programme.

Publishing is for the workstation and the programme's own college (another college's
programme is 403, :mod:`creditbank.services.college_scope`); every role reads. What the
transfer rules read (parsed, in force at an instant) is :mod:`creditbank.services.catalogue_reads`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from creditbank.college_models import CatalogueVersion, College, Programme
from creditbank.domain.canonical import canonical_bytes, format_instant, parse_instant
from creditbank.domain.errors import NotFound, ValidationFailed
from creditbank.domain.ids import new_id
from creditbank.domain.roles import Principal
from creditbank.events import EventTag, record_event
from creditbank.extensions import db
from creditbank.services.catalogue_reads import catalogue_in_force_for
from creditbank.services.college_scope import get_programme, writable_programme
from creditbank.services.pagination import Page, keyset_page
from creditbank.services.transaction import utcnow, write_transaction
from creditbank.transfer import CatalogueInvalid, validate_catalogue_document


def publish_catalogue(
    principal: Principal, programme_id: str, document: Mapping[str, Any]
) -> dict[str, Any]:
    """Validate and publish the programme's next version: 404 for no such programme, 403 for
    another college's, then 422 naming every bad path of the document."""
    writable_programme(db.session(), principal, programme_id)
    return publish_normalised(principal, programme_id, validated(document))


def validated(document: Mapping[str, Any]) -> dict[str, Any]:
    """The normalised document (defaults filled in), or 422 naming every bad path."""
    try:
        return validate_catalogue_document(document)
    except CatalogueInvalid as exc:
        raise ValidationFailed(errors=exc.errors) from exc


def publish_normalised(
    principal: Principal, programme_id: str, normal: Mapping[str, Any]
) -> dict[str, Any]:
    """Append a validated, normalised document as the programme's next version."""
    with write_transaction() as session:
        # Publishes of one programme take turns on its row, so no two count the same version
        # (on SQLite writers take turns anyway); the unique (programme_id, version) backs it up.
        session.execute(select(Programme.id).where(Programme.id == programme_id).with_for_update())
        writable_programme(session, principal, programme_id)
        latest = session.scalar(
            select(func.max(CatalogueVersion.version)).where(
                CatalogueVersion.programme_id == programme_id
            )
        )
        now = utcnow()
        row = CatalogueVersion(
            id=new_id("cat"),
            programme_id=programme_id,
            version=(latest or 0) + 1,
            name=normal["name"],
            effective_from=parse_instant(normal["effective_from"]),
            document=canonical_bytes(dict(normal)).decode("utf-8"),
            published_at=now,
            published_by=principal.subject,
        )
        session.add(row)
        record_event(
            session,
            EventTag.CATALOGUE_PUBLISHED,
            actor=principal.subject,
            subject_id=row.id,
            occurred_at=now,
            details={"programme_id": programme_id, "version": row.version},
        )
    return catalogue_view(row)


def get_catalogue(catalogue_id: str) -> dict[str, Any]:
    row = db.session.get(CatalogueVersion, catalogue_id)
    if row is None:
        raise NotFound("No such catalogue")
    return catalogue_view(row)


def list_catalogues(programme_id: str, cursor: str | None, limit: int) -> Page[dict[str, Any]]:
    """The programme's catalogue versions, by version (404 for no such programme)."""
    get_programme(db.session(), programme_id)
    query = select(CatalogueVersion).where(CatalogueVersion.programme_id == programme_id)
    page = keyset_page(query, CatalogueVersion.version, cursor, limit)
    return page.map(lambda rows: [catalogue_view(row) for row in rows])


def active_catalogue(programme_id: str, at: datetime | None = None) -> dict[str, Any]:
    """The programme's catalogue in force at ``at`` (now by default); 404 when none is."""
    session = db.session()
    get_programme(session, programme_id)
    in_force = catalogue_in_force_for(session, programme_id, at or utcnow())
    if in_force is None:
        raise NotFound("No catalogue of this programme is in force")
    return get_catalogue(in_force.id)


def programme_by_codes(school_code: str, programme_code: str) -> Programme:
    """The programme ``programme_code`` of the college ``school_code`` (as the CLI names it)."""
    programme = db.session.scalar(
        select(Programme)
        .join(College, College.id == Programme.college_id)
        .where(College.school_code == school_code, Programme.code == programme_code)
    )
    if programme is None:
        raise NotFound(f"No programme {programme_code} of a college {school_code}")
    return programme


def catalogue_view(row: CatalogueVersion) -> dict[str, Any]:
    return {
        "id": row.id,
        "programme_id": row.programme_id,
        "version": row.version,
        "published_at": format_instant(row.published_at),
        "published_by": row.published_by,
        **json.loads(row.document),
    }
