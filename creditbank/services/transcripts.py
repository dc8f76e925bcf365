"""A learner's transcript: every credited outcome with what earned it (API.md § A learner's
account), then the college courses recognised from them (PROGRAMMES.md § What existing reads
show). The same record feeds the JSON, HTML and PDF transcripts and the credential (which
carries the outcomes only)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select

from creditbank.college_models import College, Programme, TransferApplication, TransferItem
from creditbank.context import settings
from creditbank.conversion import Reason, Status, describe
from creditbank.domain.amounts import format_tenths
from creditbank.domain.canonical import format_instant
from creditbank.domain.roles import Principal
from creditbank.extensions import db
from creditbank.labels import SELF_DECLARED, category_text, kind_text, outcome_summary, rule_text
from creditbank.models import Account, Identity, JournalEntry, OutcomeState, Provider
from creditbank.models import Ruleset as RulesetRow
from creditbank.services.accounts import readable_account
from creditbank.services.transaction import utcnow

_Row = TypeVar("_Row", Provider, RulesetRow)
# Fields of an outcome entry's data that are not the kind's own details.
_COMMON = ("outcome_kind", "external_ref", "achieved_on", "title")


@dataclass(frozen=True)
class CreditedOutcome:
    """One credited outcome as the journal and the caches hold it (amounts in tenths)."""

    state: OutcomeState
    data: dict[str, Any]
    provider: Provider | None
    ruleset: RulesetRow | None
    credited_at: datetime


@dataclass(frozen=True)
class LearnerRecord:
    """What a transcript and a credential are made of, read in one go."""

    account: Account
    identity: Identity | None
    outcomes: list[CreditedOutcome]
    read_at: datetime


def learner_record(principal: Principal, learner_id: str) -> LearnerRecord:
    """The learner's account, identity and credited outcomes, if this caller may read them."""
    account = readable_account(principal, learner_id)
    states = list(
        db.session.scalars(
            select(OutcomeState)
            .where(
                OutcomeState.learner_id == learner_id,
                OutcomeState.status == Status.CREDITED.value,
                OutcomeState.credits > 0,
            )
            .order_by(OutcomeState.seq)
        )
    )
    return LearnerRecord(
        account=account,
        identity=db.session.get(Identity, learner_id),
        outcomes=_credited(learner_id, states),
        read_at=utcnow(),
    )


def transcript(principal: Principal, learner_id: str) -> dict[str, Any]:
    """The transcript as JSON: who, the balance, and one line per credited outcome."""
    return transcript_document(learner_record(principal, learner_id))


def transcript_document(record: LearnerRecord) -> dict[str, Any]:
    account, identity = record.account, record.identity
    by_category = json.loads(account.balance_by_category)
    config = settings()
    return {
        "learner": {
            "learner_id": account.learner_id,
            "account_number": account.account_number,
            "name": identity.name if identity else None,
            "national_id_masked": identity.national_id_masked if identity else None,
        },
        "issuer": {"name": config.credential_issuer_name, "url": config.issuer_profile_url},
        "generated_at": format_instant(record.read_at),
        "seq": account.head_seq,
        "total": format_tenths(account.balance),
        "by_category": {name: format_tenths(by_category[name]) for name in sorted(by_category)},
        "category_labels": {name: category_text(name) for name in sorted(by_category)},
        "lines": [transcript_line(outcome) for outcome in record.outcomes],
        "recognised_courses": recognised_courses(account.learner_id),
    }


def recognised_courses(learner_id: str) -> list[dict[str, Any]]:
    """The learner's approved, not revoked courses in college programmes, in decision order,
    each with its application's certificate number (null while the application is pending)."""
    rows = db.session.execute(
        select(TransferItem, TransferApplication, Programme, College)
        .join(
            TransferApplication,
            (TransferApplication.learner_id == TransferItem.learner_id)
            & (TransferApplication.id == TransferItem.application_id),
        )
        .join(Programme, Programme.id == TransferApplication.programme_id)
        .join(College, College.id == TransferApplication.college_id)
        .where(TransferItem.learner_id == learner_id, TransferItem.status == "approved")
        .order_by(TransferItem.decided_at, TransferItem.id)
    )
    return [
        {
            "college": {"school_code": college.school_code, "name": college.name},
            "programme": {"code": programme.code, "name": programme.name},
            "course_code": item.course_code,
            "course_name": item.course_name,
            "credits": format_tenths(item.course_credits),
            "grade": item.grade,
            "decided_at": format_instant(item.decided_at) if item.decided_at else None,
            "application_id": application.id,
            "certificate_no": application.certificate_no,
        }
        for item, application, programme, college in rows
    ]


def transcript_line(outcome: CreditedOutcome) -> dict[str, Any]:
    """One credit line: the outcome, the rule, the reason in words, the amount, the dates."""
    state, data = outcome.state, outcome.data
    details = {k: v for k, v in data.items() if k not in _COMMON and v is not None}
    summary = outcome_summary(state.kind, details, state.category)
    ruleset = outcome.ruleset
    return {
        "outcome_id": state.outcome_id,
        "kind": state.kind,
        "kind_label": kind_text(state.kind),
        "title": data.get("title") or summary["zh"],
        "summary": summary,
        "details": details,
        "category": state.category,
        "category_label": category_text(state.category),
        "provider": {
            "id": state.provider_id,
            # a learner's own deposit has no provider: it says so (services/deposits.py)
            "name": outcome.provider.name if outcome.provider else SELF_DECLARED,
        },
        "achieved_on": data["achieved_on"],
        "recorded_at": format_instant(state.recorded_at),
        "credited_at": format_instant(outcome.credited_at),
        "credits": format_tenths(state.credits),
        "rule": state.rule,
        "rule_label": rule_text(state.rule),
        "ruleset": (
            {"id": ruleset.id, "name": ruleset.name, "version": ruleset.version}
            if ruleset
            else None
        ),
        "reason": state.reason,
        "reason_text": {lang: describe(Reason(state.reason), lang) for lang in ("zh", "en")},
    }


def _credited(learner_id: str, states: Sequence[OutcomeState]) -> list[CreditedOutcome]:
    if not states:
        return []
    entries = {
        entry.seq: entry
        for entry in db.session.scalars(
            select(JournalEntry).where(
                JournalEntry.learner_id == learner_id,
                JournalEntry.seq.in_([state.seq for state in states]),
            )
        )
    }
    providers = _by_id(Provider, {state.provider_id for state in states})
    rulesets = _by_id(RulesetRow, {state.ruleset_id for state in states if state.ruleset_id})
    credited_at = _last_credit_instants(learner_id, [state.outcome_id for state in states])
    return [
        CreditedOutcome(
            state=state,
            data=json.loads(entries[state.seq].data),
            provider=providers.get(state.provider_id),
            ruleset=rulesets.get(state.ruleset_id or ""),
            credited_at=credited_at.get(state.outcome_id, state.recorded_at),
        )
        for state in states
    ]


def _by_id(model: type[_Row], ids: set[str]) -> dict[str, _Row]:
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}


def _last_credit_instants(learner_id: str, outcome_ids: list[str]) -> dict[str, datetime]:
    """When each outcome's credits last changed: the instant of its latest credit entry."""
    rows = db.session.execute(
        select(JournalEntry.outcome_id, func.max(JournalEntry.recorded_at))
        .where(
            JournalEntry.learner_id == learner_id,
            JournalEntry.kind == "credit",
            JournalEntry.outcome_id.in_(outcome_ids),
        )
        .group_by(JournalEntry.outcome_id)
    )
    return {outcome_id: instant for outcome_id, instant in rows if outcome_id and instant}
