"""Catalogues as the transfer rules read them (:class:`creditbank.transfer.Catalogue`): by id,
and the version in force at an instant (PROGRAMMES.md § Domain model, *In force*: the latest
``effective_from`` ≤ the instant, a tie going to the higher version; the rule itself is
:func:`creditbank.transfer.catalogue_in_force`).

Reading functions only; publishing is :mod:`creditbank.services.catalogues`. A published
catalogue never changes, so each process parses each version once (as
:func:`creditbank.services.history.load_rulesets` does rulesets): after the first read, only
ids and keys are queried.
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
from creditbank.domain.errors import NotFound
from creditbank.transfer import Catalogue, catalogue_from_document, catalogue_in_force

# Published catalogues never change: parsed once per process, by id.
_PARSED: dict[str, Catalogue] = {}


def catalogue_for(session: Session, catalogue_id: str) -> Catalogue:
    """The catalogue version ``catalogue_id`` (404 when there is none)."""
    found = catalogues_for(session, [catalogue_id])
    if catalogue_id not in found:
        raise NotFound("No such catalogue")
    return found[catalogue_id]


def catalogues_for(session: Session, catalogue_ids: Iterable[str]) -> dict[str, Catalogue]:
    """The catalogue versions of these ids that exist, by id."""
    wanted = sorted(set(catalogue_ids))
    missing = [catalogue_id for catalogue_id in wanted if catalogue_id not in _PARSED]
    for ids in in_slices(missing):
        query = select(
            CatalogueVersion.id,
            CatalogueVersion.programme_id,
            CatalogueVersion.version,
            CatalogueVersion.document,
        ).where(CatalogueVersion.id.in_(ids))
        for row_id, programme_id, version, document in session.execute(query):
            _PARSED[row_id] = catalogue_from_document(
                row_id, programme_id, version, json.loads(document)
            )
    return {
        catalogue_id: _PARSED[catalogue_id] for catalogue_id in wanted if catalogue_id in _PARSED
    }


def catalogue_in_force_for(
    session: Session, programme_id: str, instant: datetime
) -> Catalogue | None:
    """The programme's catalogue in force at ``instant`` (aware), or None before any."""
    return catalogues_in_force(session, [programme_id], instant).get(programme_id)


def catalogues_in_force(
    session: Session, programme_ids: Iterable[str], instant: datetime
) -> dict[str, Catalogue]:
    """The catalogue in force at ``instant`` of each of these programmes that has one."""
    if instant.tzinfo is None:
        raise ValueError("instants must carry a time zone")
    ids_by_programme: dict[str, list[str]] = {}
    for ids in in_slices(sorted(set(programme_ids))):
        query = select(CatalogueVersion.programme_id, CatalogueVersion.id).where(
            CatalogueVersion.programme_id.in_(ids), CatalogueVersion.effective_from <= instant
        )
        for programme_id, catalogue_id in session.execute(query):
            ids_by_programme.setdefault(programme_id, []).append(catalogue_id)
    parsed = catalogues_for(session, (i for ids in ids_by_programme.values() for i in ids))
    found = {}
    for programme_id, ids in ids_by_programme.items():
        chosen = catalogue_in_force((parsed[catalogue_id] for catalogue_id in ids), instant)
        if chosen is not None:
            found[programme_id] = chosen
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
