"""Rulesets as the console shows them: the published versions with their status, one version's
document, and what changed between two versions, every value named by a Chinese label.

Documents are the normalised ones :func:`creditbank.services.rulesets.publish_ruleset` stores,
so two versions compare value by value (amounts are always written as ``"2.0"``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from creditbank.domain.errors import NotFound
from creditbank.extensions import db
from creditbank.labels import (
    CERTIFICATE_LEVEL_TEXT,
    RANK_TEXT,
    RULESET_FIELD_NAMES,
    SCOPE_TEXT,
    SKILL_LEVEL_TEXT,
    category_text,
)
from creditbank.models import Client, Ruleset
from creditbank.services.pagination import Page, keyset_page
from creditbank.services.rulesets import ruleset_in_force_now
from creditbank.services.transaction import utcnow

UNLIMITED = "不限"


@dataclass(frozen=True)
class RulesetRow:
    id: str
    version: int
    name: str
    effective_from: datetime
    published_at: datetime
    published_by: str  # who, as a person reads it: the staff username or the API client's name
    status: str  # in_force, scheduled, superseded (labels.RULESET_STATUS_NAMES)
    document: dict[str, Any]


def ruleset_rows(cursor: str | None, limit: int) -> Page[RulesetRow]:
    """Every published version, newest first."""
    page = keyset_page(select(Ruleset), Ruleset.version, cursor, limit, descending=True)
    in_force = _in_force_id()
    return page.map(lambda rows: [_row(row, in_force) for row in rows])


def ruleset_row(ruleset_id: str) -> RulesetRow:
    row = db.session.get(Ruleset, ruleset_id)
    if row is None:
        raise NotFound("没有这个版本的规则。")
    return _row(row, _in_force_id())


def in_force_row() -> RulesetRow | None:
    in_force = _in_force_id()
    return ruleset_row(in_force) if in_force else None


def versions() -> list[RulesetRow]:
    """Every version, newest first, for the comparison's selects (a county has a handful)."""
    in_force = _in_force_id()
    rows = db.session.scalars(select(Ruleset).order_by(Ruleset.version.desc()).limit(500))
    return [_row(row, in_force) for row in rows]


def _in_force_id() -> str | None:
    parsed = ruleset_in_force_now()
    return parsed.id if parsed else None


def _row(row: Ruleset, in_force: str | None) -> RulesetRow:
    if row.id == in_force:
        status = "in_force"
    elif row.effective_from > utcnow():
        status = "scheduled"
    else:
        status = "superseded"
    return RulesetRow(
        row.id,
        row.version,
        row.name,
        row.effective_from,
        row.published_at,
        publisher(row.published_by),
        status,
        json.loads(row.document),
    )


def publisher(published_by: str | None) -> str:
    """``staff:<username>`` (the console) as the username; an API client by its name."""
    if not published_by:
        return "—"
    if published_by.startswith("staff:"):
        return published_by.removeprefix("staff:")
    client = db.session.get(Client, published_by)
    return f"接口客户端“{client.name}”" if client else "接口客户端"


@dataclass(frozen=True)
class Change:
    path: str  # the JSON path, e.g. certificates.1X-WEB.senior
    label: str  # the same in Chinese
    change: str  # added, removed, changed
    old: str | None
    new: str | None


CHANGE_NAMES = {"added": "新增", "removed": "删除", "changed": "修改"}


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every value that differs between two normalised documents, in the new one's order."""
    before, after = flatten(old), flatten(new)
    changes = []
    for path in [*after, *(path for path in before if path not in after)]:
        was, now = before.get(path), after.get(path)
        if was == now:
            continue
        change = "added" if was is None else "removed" if now is None else "changed"
        changes.append(Change(path, path_label(path), change, was, now))
    return changes


def flatten(document: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Leaf values by dotted path; a list's items are numbered from 1 (ranks), an absent cap
    reads ``不限``."""
    flat: dict[str, str] = {}
    for key, value in document.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{path}."))
        elif isinstance(value, list):
            flat.update({f"{path}.{rank}": str(item) for rank, item in enumerate(value, 1)})
        else:
            flat[path] = UNLIMITED if value is None else str(value)
    return flat


def path_label(path: str) -> str:
    """A JSON path of a ruleset in Chinese: ``competitions.national.1`` → 竞赛学分表 · 国家级 ·
    一等奖. Parts it does not know are shown as written."""
    parts = path.split(".")
    head, rest = parts[0], parts[1:]
    words = [RULESET_FIELD_NAMES.get(head, head)]
    if head in ("hours_per_credit",) and rest:
        words.append(_category(rest[0]))
    elif head == "certificates" and rest:
        words.append(rest[0])
        words.extend(CERTIFICATE_LEVEL_TEXT.get(level, (level,))[0] for level in rest[1:])
    elif head == "skill_levels" and rest:
        level = int(rest[0]) if rest[0].isdigit() else 0
        words.append(SKILL_LEVEL_TEXT.get(level, (rest[0],))[0])
    elif head == "competitions" and rest:
        words.append(SCOPE_TEXT.get(rest[0], (rest[0],))[0])
        for rank in rest[1:]:
            words.append(RANK_TEXT.get(int(rank) if rank.isdigit() else 0, (rank,))[0])
    elif head == "caps" and rest:
        words.append(RULESET_FIELD_NAMES.get(rest[0], rest[0]))
        words.extend(_category(category) for category in rest[1:])
    else:
        words.extend(rest)
    return " · ".join(words)


def _category(code: str) -> str:
    label = category_text(code)["zh"]
    return label if label == code else f"{label}（{code}）"
