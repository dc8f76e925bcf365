"""Applications and their items as the API shows them (PROGRAMMES.md § Applications): each
item with its decision, and each outcome it names as that outcome stands now — what the
college reads of the learner's account, and nothing more."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from creditbank.college_models import College, TransferApplication, TransferItem
from creditbank.domain.amounts import format_tenths
from creditbank.domain.canonical import format_instant
from creditbank.services.catalogue_reads import catalogue_for
from creditbank.services.named_outcomes import named_outcomes

# What an item's ``sources`` show of each outcome (when the outcome has it).
_SOURCE_FIELDS = (
    "title",
    "certificate_code",
    "level",
    "certificate_no",
    "occupation_code",
    "scope",
    "rank",
    "course_code",
    "institution",
    "score",
    "hours",
    "achieved_on",
)


def application_views(
    session: Session, applications: Sequence[TransferApplication]
) -> list[dict[str, Any]]:
    """Views of many applications, with one query each for their items, outcomes, colleges."""
    if not applications:
        return []
    keys = [(a.learner_id, a.id) for a in applications]
    items: dict[str, list[TransferItem]] = {}
    for row in session.scalars(
        select(TransferItem)
        .where(tuple_(TransferItem.learner_id, TransferItem.application_id).in_(keys))
        .order_by(TransferItem.position)
    ):
        items.setdefault(row.application_id, []).append(row)
    sources = source_views(session, applications, items.values())
    codes = dict(
        session.execute(
            select(College.id, College.school_code).where(
                College.id.in_({a.college_id for a in applications})
            )
        ).all()
    )
    return [
        application_view(session, a, items.get(a.id, []), sources, codes[a.college_id])
        for a in applications
    ]


def application_view(
    session: Session,
    application: TransferApplication,
    items: Sequence[TransferItem],
    sources: Mapping[tuple[str, str], dict[str, Any]],
    school_code: str,
) -> dict[str, Any]:
    approved = sum(item.course_credits for item in items if item.status == "approved")
    return {
        "id": application.id,
        "learner_id": application.learner_id,
        "programme_id": application.programme_id,
        "college_id": application.college_id,
        "school_code": school_code,
        "catalogue_id": application.catalogue_id,
        "catalogue_version": catalogue_for(session, application.catalogue_id).version,
        "external_ref": application.external_ref,
        "note": application.note,
        "status": application.status,
        "filed_at": format_instant(application.filed_at),
        "filed_by": {"role": application.filed_by_role, "id": application.filed_by_id},
        "closed_at": _instant(application.closed_at),
        "requested_credits": format_tenths(sum(item.course_credits for item in items)),
        "approved_credits": format_tenths(approved),
        "certificate_no": application.certificate_no,
        "certificate_revision": application.certificate_revision,
        "items": [item_view(item, sources) for item in items],
    }


def item_view(
    item: TransferItem, sources: Mapping[tuple[str, str], dict[str, Any]] | None = None
) -> dict[str, Any]:
    outcome_ids = json.loads(item.outcome_ids)
    view = {
        "id": item.id,
        "application_id": item.application_id,
        "course_code": item.course_code,
        "course_name": item.course_name,
        "course_credits": format_tenths(item.course_credits),
        "kind": item.kind,
        "outcome_ids": outcome_ids,
        "equivalence": item.equivalence,
        "online": item.online,
        "suggested_grade": item.suggested_grade,
        "status": item.status,
        "grade": item.grade,
        "reason": item.reason,
        "note": item.note,
        "decided_at": _instant(item.decided_at),
        "decided_by": item.decided_by,
        "transfer_seq": item.transfer_seq,
        "reversal_seq": item.reversal_seq,
        "flag": item.flag,
        "flagged_at": _instant(item.flagged_at),
        "confirmed_at": _instant(item.confirmed_at),
    }
    if sources is not None:
        view["sources"] = [
            sources[item.learner_id, oid]
            for oid in outcome_ids
            if (item.learner_id, oid) in sources
        ]
    return view


def source_views(
    session: Session,
    applications: Sequence[TransferApplication],
    items: Iterable[Sequence[TransferItem]],
) -> dict[tuple[str, str], dict[str, Any]]:
    """Each named outcome as it stands now, by (learner, outcome)."""
    views = {}
    for key, named in named_outcomes(session, [row for rows in items for row in rows]).items():
        data, state = named.data, named.state
        source: dict[str, Any] = {"outcome_id": state.outcome_id, "kind": state.kind}
        source.update({k: data[k] for k in _SOURCE_FIELDS if data.get(k) is not None})
        if "credits" in data:  # a course's own credits; "credits" below is what it earned
            source["course_credits"] = data["credits"]
        source.update(
            title=named.title,
            provider=named.provider_name,
            credits=format_tenths(state.credits),
            status=state.status,
        )
        views[key] = source
    return views


def _instant(value: Any) -> str | None:
    return None if value is None else format_instant(value)
