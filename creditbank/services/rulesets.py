"""Publishing and reading conversion rulesets; a published ruleset is never edited."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from creditbank.conversion import Ruleset as ParsedRuleset
from creditbank.conversion import RulesetInvalid, ruleset_in_force, validate_ruleset_document
from creditbank.domain.canonical import canonical_bytes, format_instant, parse_instant
from creditbank.domain.errors import NotFound, ValidationFailed
from creditbank.domain.ids import new_id
from creditbank.events import EventTag, record_event
from creditbank.extensions import db
from creditbank.models import Ruleset
from creditbank.services.pagination import Page, keyset_page
from creditbank.services.transaction import utcnow, write_transaction


def publish_ruleset(
    document: Mapping[str, Any], published_by: str, *, event: EventTag | None = None
) -> dict[str, Any]:
    """Validate and publish the next version (422 naming every bad field); ``event``, when
    given, is recorded in the same transaction (the console's publishing is an audit event)."""
    normalised = check_ruleset_document(document)
    with write_transaction() as session:
        version = (session.scalar(select(func.max(Ruleset.version))) or 0) + 1
        row = Ruleset(
            id=new_id("rs"),
            version=version,
            name=normalised["name"],
            effective_from=parse_instant(normalised["effective_from"]),
            document=canonical_bytes(normalised).decode("utf-8"),
            published_at=utcnow(),
            published_by=published_by,
        )
        session.add(row)
        if event is not None:
            details = {"version": version, "name": row.name}
            record_event(
                session,
                event,
                actor=published_by,
                subject_id=row.id,
                occurred_at=row.published_at,
                details=details,
            )
    return ruleset_view(row)


def check_ruleset_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The normalised document, or a 422 naming every bad field by its JSON path."""
    try:
        return validate_ruleset_document(document)
    except RulesetInvalid as exc:
        raise ValidationFailed(errors=exc.errors) from exc


def get_ruleset(ruleset_id: str) -> dict[str, Any]:
    row = db.session.get(Ruleset, ruleset_id)
    if row is None:
        raise NotFound("No such ruleset")
    return ruleset_view(row)


def active_ruleset(at: datetime | None = None) -> dict[str, Any]:
    """The ruleset in force at ``at`` (now by default): latest effective_from, then version."""
    row = db.session.scalar(
        select(Ruleset)
        .where(Ruleset.effective_from <= (at or utcnow()))
        .order_by(Ruleset.effective_from.desc(), Ruleset.version.desc())
        .limit(1)
    )
    if row is None:
        raise NotFound("No ruleset is in force")
    return ruleset_view(row)


def ruleset_in_force_now() -> ParsedRuleset | None:
    """The parsed ruleset in force now, as the engine reads it (``None`` before any)."""
    from creditbank.services.history import load_rulesets

    return ruleset_in_force(load_rulesets(db.session()).values(), utcnow())


def list_rulesets(cursor: str | None, limit: int) -> Page[dict[str, Any]]:
    page = keyset_page(select(Ruleset), Ruleset.version, cursor, limit)
    return page.map(lambda rows: [ruleset_view(row) for row in rows])


def ruleset_view(row: Ruleset) -> dict[str, Any]:
    return {
        **json.loads(row.document),
        "id": row.id,
        "version": row.version,
        "published_at": format_instant(row.published_at),
    }
