"""The national conversion record (学分转换记录上报, PROGRAMMES.md § National conversion record):
one row per named source of every approved, not revoked item, in the 19 columns of the national
template (the OpenURP std-creditbank exporter's header), as CSV or XLSX.

The bank's own per-outcome record is :mod:`creditbank.services.exports`; this one is what a
college's conversions are reported upward as. Items are read 500 at a time in decision order
(keyset on ``(decided_at, id)``; an approval's ``decided_at`` is its transfer entry's
``recorded_at``), so an export of any size streams in constant memory. Line members debited
with ``line_of`` are bank accounting, not rows. National IDs follow the caller's role: whole
(decrypted) for the workstation, masked for an auditor or a college; empty once erased.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select

from creditbank.college_models import Programme, TransferApplication, TransferItem
from creditbank.context import keyring
from creditbank.conversion import SHANGHAI
from creditbank.documents.spreadsheets import Column
from creditbank.domain.errors import Forbidden, ValidationFailed
from creditbank.domain.roles import Principal, Role
from creditbank.extensions import db
from creditbank.journal import entries_at
from creditbank.labels import CERTIFICATE_LEVEL_TEXT, RANK_TEXT, SKILL_LEVEL_TEXT
from creditbank.models import Identity, JournalEntry
from creditbank.services.named_outcomes import NamedOutcome, named_outcomes, outcome_ids

PAGE = 500
SHEET_TITLE = "学分转换记录"
MONTH = re.compile(r"^(19|2[0-9])[0-9]{2}(0[1-9]|1[0-2])$")  # 190001 … 299912
_NUMBER = "General"  # the national template takes 4, 2.5, 48: no forced decimal place
# Every column is text (an 18-digit ID keeps its digits and its X; 01, 21, 202606 keep their
# zeros) but the three amounts.
COLUMNS = (
    Column("姓名", 10, text=True),
    Column("身份证号", 21, text=True),
    Column("转换学校代码", 12, text=True),
    Column("原课程来源代码", 14, text=True),
    Column("原专业名称", 10, text=True),
    Column("原课程名称", 30, text=True),
    Column("原办学机构", 20, text=True),
    Column("原教育层次代码", 14, text=True),
    Column("原教育类别代码", 14, text=True),
    Column("原学分", 8, number_format=_NUMBER),
    Column("原学时", 8, number_format=_NUMBER),
    Column("原成绩", 12, text=True),
    Column("获得时间", 10, text=True),
    Column("转换后教育层次代码", 18, text=True),
    Column("转换后课程代码", 14, text=True),
    Column("转换后课程名称", 20, text=True),
    Column("转换后学分", 10, number_format=_NUMBER),
    Column("转换时间", 10, text=True),
    Column("转换后专业", 16, text=True),
)
HEADER = [column.title for column in COLUMNS]
# 原课程来源代码: 01 a course of study (学历教育课程, training, informal learning), 02 a
# certificate (证书, skill levels and competition awards among them).
_SOURCE_CODES = {
    "course": "01",
    "training_hours": "01",
    "informal": "01",
    "certificate": "02",
    "skill_level": "02",
    "competition": "02",
}
_NO_MAJOR = "待补"  # the bank records no major of origin; the reference exporter writes this
_PASSED = "合格"


@dataclass(frozen=True)
class ExportScope:
    """Which rows a caller gets, and how: whole national IDs or masked ones."""

    reveal: bool
    college_id: str | None
    start: datetime | None  # inclusive, an instant
    end: datetime | None  # exclusive


def export_scope(principal: Principal, query: Mapping[str, Any]) -> ExportScope:
    """The workstation and auditors read every college's rows (or one's), a college its own
    (``college_id`` implied; another's is 403); ``from``/``to`` are Shanghai months."""
    college_id = query.get("college_id")
    if principal.role is Role.COLLEGE:
        if college_id not in (None, principal.college_id):
            raise Forbidden("A college exports only its own college's conversions")
        college_id = principal.college_id
    elif not principal.is_staff:
        raise Forbidden(
            "The national conversion record is for the workstation, auditors and colleges"
        )
    first, last = query.get("from"), query.get("to")
    if first and last and first > last:
        raise ValidationFailed(errors={"to": ["A month before from."]})
    return ExportScope(
        reveal=principal.role is Role.WORKSTATION,
        college_id=college_id,
        start=_month_start(first) if first else None,
        end=_month_start(last, after=True) if last else None,
    )


def course_conversion_rows(scope: ExportScope) -> Iterator[list[Any]]:
    """The record's rows, in decision order, item by item, source by source."""
    for page in _pages(scope):
        items = [item for item, _ in page]
        entries = _transfer_entries(items)
        outcomes = named_outcomes(db.session(), items)
        identities = _identities({item.learner_id for item in items})
        programmes = _programmes({programme_id for _, programme_id in page})
        for item, programme_id in page:
            identity = identities.get(item.learner_id)
            person = [
                identity.name if identity else None,
                _national_id(identity, scope.reveal),
            ]
            transfer = entries[item.learner_id, item.transfer_seq or 0]
            for outcome_id in outcome_ids(item):
                outcome = outcomes[item.learner_id, outcome_id]
                yield [*person, *_row(transfer, outcome, programmes[programme_id])]
        db.session.expunge_all()  # constant memory: nothing of an exported page is kept


def _row(transfer: JournalEntry, outcome: NamedOutcome, programme: Programme) -> list[Any]:
    data, posted = _data(transfer), outcome.data
    return [
        data["school_code"],
        _SOURCE_CODES.get(outcome.kind, "01"),
        _NO_MAJOR,
        outcome.title,
        posted.get("institution") or outcome.provider_name,
        programme.level_code,
        programme.category_code,
        _plain(posted["credits"]) if outcome.kind == "course" else Decimal(0),
        _plain(posted["hours"]) if outcome.kind == "training_hours" else Decimal(0),
        _grade(outcome.kind, posted),
        _month(posted["achieved_on"]),
        data["level_code"],
        data["course_code"],
        data["course_name"],
        _plain(data["course_credits"]),
        transfer.recorded_at.astimezone(SHANGHAI).strftime("%Y%m"),
        data["programme_name"],
    ]


def _grade(kind: str, posted: Mapping[str, Any]) -> str:
    """原成绩: a course's score; a certificate's level (合格 without one); a skill level's
    national name (五级/初级工 … 一级/高级技师); a competition's prize; otherwise 合格."""
    level = posted.get("level")
    if kind == "course" and posted.get("score") is not None:
        return str(posted["score"])
    if kind == "certificate" and level in CERTIFICATE_LEVEL_TEXT:
        return CERTIFICATE_LEVEL_TEXT[level][0]
    if kind == "skill_level" and level:
        return SKILL_LEVEL_TEXT.get(int(level), (str(level), ""))[0]
    if kind == "competition" and posted.get("rank"):
        return RANK_TEXT.get(int(posted["rank"]), (str(posted["rank"]), ""))[0]
    return _PASSED


def _plain(amount: Any) -> Decimal:
    """An amount as the national template writes it: ``4``, ``2.5``, ``48`` (no ``.0``)."""
    text = format(Decimal(str(amount)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return Decimal(text)


def _month(day: str) -> str:
    return day[:7].replace("-", "")  # YYYY-MM-DD → YYYYMM


def _month_start(month: str, *, after: bool = False) -> datetime:
    """The first instant of a Shanghai month (of the next one, ``after``), in UTC."""
    year, number = int(month[:4]), int(month[4:])
    if after:
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return datetime(year, number, 1, tzinfo=SHANGHAI).astimezone(UTC)


def _pages(scope: ExportScope) -> Iterator[list[tuple[TransferItem, str]]]:
    """Approved items with their programme, ``PAGE`` at a time (keyset on decided_at, id)."""
    query = (
        select(TransferItem, TransferApplication.programme_id)
        .join(
            TransferApplication,
            and_(
                TransferApplication.learner_id == TransferItem.learner_id,
                TransferApplication.id == TransferItem.application_id,
            ),
        )
        .where(TransferItem.status == "approved")
        .order_by(TransferItem.decided_at, TransferItem.id)
        .limit(PAGE)
    )
    if scope.college_id is not None:
        query = query.where(TransferApplication.college_id == scope.college_id)
    if scope.start is not None:
        query = query.where(TransferItem.decided_at >= scope.start)
    if scope.end is not None:
        query = query.where(TransferItem.decided_at < scope.end)
    after: tuple[datetime, str] | None = None
    while True:
        page_query = query
        if after is not None:
            decided_at, item_id = after
            page_query = query.where(
                or_(
                    TransferItem.decided_at > decided_at,
                    and_(TransferItem.decided_at == decided_at, TransferItem.id > item_id),
                )
            )
        page = [(item, programme_id) for item, programme_id in db.session.execute(page_query)]
        if not page:
            return
        yield page
        last = page[-1][0]
        assert last.decided_at is not None
        after = (last.decided_at, last.id)


def _transfer_entries(items: list[TransferItem]) -> dict[tuple[str, int], JournalEntry]:
    """Each item's ``transfer`` entry (an approved item always has one)."""
    keys = [(i.learner_id, i.transfer_seq) for i in items if i.transfer_seq is not None]
    rows = entries_at(db.session(), keys)
    return {(row.learner_id, row.seq): row for row in rows}


def _identities(learner_ids: set[str]) -> dict[str, Identity]:
    rows = db.session.scalars(select(Identity).where(Identity.learner_id.in_(learner_ids)))
    return {identity.learner_id: identity for identity in rows}


def _programmes(programme_ids: set[str]) -> dict[str, Programme]:
    rows = db.session.scalars(select(Programme).where(Programme.id.in_(programme_ids)))
    return {programme.id: programme for programme in rows}


def _national_id(identity: Identity | None, reveal: bool) -> str | None:
    if identity is None:
        return None
    if reveal and identity.national_id_encrypted:
        return keyring().pii.decrypt(identity.national_id_encrypted)
    return identity.national_id_masked


def _data(entry: JournalEntry) -> dict[str, Any]:
    return dict(json.loads(entry.data))
