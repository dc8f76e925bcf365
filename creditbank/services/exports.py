"""Exports for the workstation: the bank's own conversion record (one row per converted
outcome, with the credits it earned) and every learner's balance per category.

Both read the bank a page at a time in key order (keyset, never OFFSET), so an export of any
size streams in constant memory. Personal data follows the caller's role: the workstation's
conversion record carries the decrypted national ID (a receiving body matches people by it),
an auditor's only the masked form; an erased identity leaves both columns empty.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, tuple_

from creditbank.context import keyring
from creditbank.conversion import SHANGHAI, Status
from creditbank.documents.spreadsheets import Column
from creditbank.domain.amounts import format_tenths
from creditbank.domain.errors import Forbidden
from creditbank.domain.roles import Principal, Role
from creditbank.extensions import db
from creditbank.journal import entries_at
from creditbank.labels import (
    CERTIFICATE_LEVEL_TEXT,
    RANK_TEXT,
    SCOPE_TEXT,
    SKILL_LEVEL_TEXT,
    category_text,
    kind_text,
    outcome_summary,
    rule_text,
)
from creditbank.models import Account, Identity, JournalEntry, OutcomeState, Provider

PAGE = 500

# The record's columns; identifiers and codes are text, never numbers (an 18-digit ID in a
# number cell loses its last digits: 5.00235199001011E+17).
CONVERSION_COLUMNS = (
    Column("学员编号", 16, text=True),
    Column("姓名", 10),
    Column("身份证号", 21, text=True),
    Column("成果类型", 16),
    Column("原课程/证书名称", 28),
    Column("原课程/证书代码", 18, text=True),
    Column("证书编号", 18, text=True),
    Column("机构", 20),
    Column("登记机构", 20),
    Column("等级", 14),
    Column("原学分", 8),
    Column("学时", 8),
    Column("成绩", 8),
    Column("获得年月", 10, text=True),
    Column("转换课程", 14),
    Column("转换依据", 24),
    Column("转换学分", 10),
    Column("转换日期", 12),
    Column("成果编号", 30, text=True),
)
CONVERSION_HEADER = [column.title for column in CONVERSION_COLUMNS]
_CODE_FIELDS = ("certificate_code", "occupation_code", "course_code", "event")


def conversion_records(principal: Principal) -> Iterator[list[Any]]:
    """One row per outcome that stands converted (credited, more than 0), learner by learner."""
    _require_staff(principal)
    providers = {p.id: p.name for p in db.session.scalars(select(Provider))}
    reveal = principal.role is Role.WORKSTATION
    query = select(OutcomeState).where(
        OutcomeState.status == Status.CREDITED.value, OutcomeState.credits > 0
    )
    key = (OutcomeState.learner_id, OutcomeState.outcome_id)
    for states in _pages(query, key):
        identities = _identities({state.learner_id for state in states})
        entries = _outcome_data(states)
        converted_at = _last_credit_instants(states)
        for state in states:
            identity = identities.get(state.learner_id)
            yield [
                state.learner_id,
                identity.name if identity else None,
                _national_id(identity, reveal),
                *_source_columns(state, entries[state.outcome_id], providers),
                category_text(state.category)["zh"],
                rule_text(state.rule)["zh"],
                Decimal(format_tenths(state.credits)),
                converted_at.get(state.outcome_id, state.recorded_at).astimezone(SHANGHAI).date(),
                state.outcome_id,
            ]


def balance_categories() -> list[str]:
    """Every category any learner has a balance in (zeros included), sorted."""
    names: set[str] = set()
    for totals in db.session.scalars(select(Account.balance_by_category)):
        names.update(json.loads(totals))
    return sorted(names)


def balance_columns(categories: Sequence[str]) -> list[Column]:
    """学员编号, 姓名, 身份证号, 总学分, one column per category (its Chinese name, then its
    code), 账页序号 and 开户时间, each as wide as a clerk needs to read it."""
    return [
        Column("学员编号", 16, text=True),
        Column("姓名", 10),
        Column("身份证号", 21, text=True),
        Column("总学分", 8),
        *(Column(f"{category_text(name)['zh']}（{name}）", 14) for name in categories),
        Column("账页序号", 9),
        Column("开户时间", 18),
    ]


def balance_rows(principal: Principal, categories: Sequence[str]) -> Iterator[list[Any]]:
    """Per learner: name, masked national ID, total, each category's balance, head seq."""
    _require_staff(principal)
    for accounts in _pages(select(Account), (Account.learner_id,)):
        identities = _identities({account.learner_id for account in accounts})
        for account in accounts:
            identity = identities.get(account.learner_id)
            totals = json.loads(account.balance_by_category)
            yield [
                account.learner_id,
                identity.name if identity else None,
                identity.national_id_masked if identity else None,
                Decimal(format_tenths(account.balance)),
                *(Decimal(format_tenths(totals.get(name, 0))) for name in categories),
                account.head_seq,
                account.opened_at.astimezone(SHANGHAI).replace(tzinfo=None),
            ]


def _require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("Exports are for the workstation and auditors")


def _pages(query: Any, key: Sequence[Any]) -> Iterator[list[Any]]:
    """The rows of ``query`` in ``key`` order, ``PAGE`` at a time (keyset)."""
    after: tuple[Any, ...] | None = None
    ordered = query.order_by(*key)
    while True:
        page_query = ordered if after is None else ordered.where(tuple_(*key) > tuple_(*after))
        rows = list(db.session.scalars(page_query.limit(PAGE)))
        if not rows:
            return
        yield rows
        last = rows[-1]
        after = tuple(getattr(last, column.key) for column in key)
        db.session.expunge_all()  # constant memory: nothing of an exported page is kept


def _identities(learner_ids: set[str]) -> dict[str, Identity]:
    rows = db.session.scalars(select(Identity).where(Identity.learner_id.in_(learner_ids)))
    return {identity.learner_id: identity for identity in rows}


def _national_id(identity: Identity | None, reveal: bool) -> str | None:
    if identity is None:
        return None
    if reveal and identity.national_id_encrypted:
        return keyring().pii.decrypt(identity.national_id_encrypted)
    return identity.national_id_masked


def _outcome_data(states: Sequence[OutcomeState]) -> dict[str, dict[str, Any]]:
    rows = entries_at(db.session(), [(state.learner_id, state.seq) for state in states])
    return {row.outcome_id: json.loads(row.data) for row in rows if row.outcome_id}


def _last_credit_instants(states: Sequence[OutcomeState]) -> dict[str, datetime]:
    """When each outcome's credits last changed: its conversion date."""
    rows = db.session.execute(
        select(JournalEntry.outcome_id, func.max(JournalEntry.recorded_at))
        .where(
            JournalEntry.kind == "credit",
            JournalEntry.outcome_id.in_([state.outcome_id for state in states]),
        )
        .group_by(JournalEntry.outcome_id)
    )
    return {outcome_id: instant for outcome_id, instant in rows if outcome_id and instant}


def _source_columns(
    state: OutcomeState, data: dict[str, Any], providers: dict[str, str]
) -> list[Any]:
    """What was converted: type, name and code, number, institution, level, amounts, month."""
    provider = providers.get(state.provider_id)
    code = next((data[name] for name in _CODE_FIELDS if data.get(name)), None)
    return [
        kind_text(state.kind)["zh"],
        data.get("title") or outcome_summary(state.kind, data, state.category)["zh"],
        code,
        data.get("certificate_no"),
        data.get("institution") or provider,
        provider,
        _level(state.kind, data),
        Decimal(data["credits"]) if data.get("credits") else None,
        Decimal(data["hours"]) if data.get("hours") else None,
        data.get("score"),
        data["achieved_on"][:7].replace("-", ""),  # YYYYMM, as the national record wants
    ]


def _level(kind: str, data: dict[str, Any]) -> str | None:
    level = data.get("level")
    if kind == "certificate" and level:
        return CERTIFICATE_LEVEL_TEXT.get(level, (level, level))[0]
    if kind == "skill_level" and level:
        return SKILL_LEVEL_TEXT.get(int(level), (str(level), str(level)))[0]
    if kind == "competition":
        scope = SCOPE_TEXT.get(data.get("scope") or "", ("", ""))[0]
        return scope + RANK_TEXT.get(int(data.get("rank") or 0), ("", ""))[0]
    return None
