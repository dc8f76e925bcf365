"""Reading a programme's catalogue in force (PROGRAMMES.md § Domain model, *In force*): the
version with the latest ``effective_from`` ≤ the instant, a tie going to the higher version.

Programmes show it (``GET /programmes/{id}``), filing files under it; publishing is
:mod:`creditbank.services.catalogues`. Only the chosen versions' documents are read and parsed
(:func:`creditbank.transfer.catalogue_from_document`), so a list of programmes with many
versions each costs two queries and one parse per programme.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank.college_models import CatalogueVersion
from creditbank.db import in_slices
from creditbank.domain.amounts import format_tenths
from creditbank.transfer import Catalogue, catalogue_from_document

_SLICE = 500


def catalogue_in_force_at(
    session: Session, programme_id: str, instant: datetime
) -> Catalogue | None:
    """The programme's catalogue in force at ``instant`` (aware), or None before any."""
    return catalogues_in_force(session, [programme_id], instant).get(programme_id)


def catalogues_in_force(
    session: Session, programme_ids: Iterable[str], instant: datetime
) -> dict[str, Catalogue]:
    """The catalogue in force at ``instant`` of each programme that has one."""
    chosen: dict[str, Any] = {}
    for ids in in_slices(sorted(set(programme_ids)), _SLICE):
        keys = session.execute(
            select(
                CatalogueVersion.id,
                CatalogueVersion.programme_id,
                CatalogueVersion.version,
                CatalogueVersion.effective_from,
            ).where(
                CatalogueVersion.programme_id.in_(ids),
                CatalogueVersion.effective_from <= instant,
            )
        )
        for row in keys:
            best = chosen.get(row.programme_id)
            # transfer.catalogue_in_force's rule, on the keys alone (no document parsed yet)
            if best is None or (row.effective_from, row.version) > (
                best.effective_from,
                best.version,
            ):
                chosen[row.programme_id] = row
    found: dict[str, Catalogue] = {}
    for ids in in_slices(sorted(row.id for row in chosen.values()), _SLICE):
        query = select(CatalogueVersion).where(CatalogueVersion.id.in_(ids))
        for version in session.scalars(query):
            found[version.programme_id] = catalogue_from_document(
                version.id, version.programme_id, version.version, json.loads(version.document)
            )
    return found


def catalogue_summary(catalogue: Catalogue | None) -> dict[str, Any] | None:
    """What a programme shows of its catalogue in force: version, credits and caps."""
    if catalogue is None:
        return None
    per_source = catalogue.caps.per_source
    return {
        "id": catalogue.id,
        "version": catalogue.version,
        "total_credits": format_tenths(catalogue.total_credits),
        "share_cap": format_tenths(catalogue.share_cap),
        "online_cap": format_tenths(catalogue.online_cap),
        "per_source": None if per_source is None else format_tenths(per_source),
    }
