"""A learner deposits a learning outcome (存入) with evidence files; the workstation may do it
on the learner's behalf. The outcome is declared, not vouched for by a provider: its journal
entry has no provider, says ``"self_declared": true`` and carries every evidence file's SHA-256
(so the hash chain covers the files), and whatever its kind it waits for a workstation review.

Its projection's ``provider_id`` is :data:`SELF_DECLARED`, which no provider id can be (they are
``p_`` and a ULID), so a list can sort deposits from providers' posts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select

from creditbank.conversion import Reason, Status, ruleset_in_force
from creditbank.domain.errors import NotFound, ValidationFailed
from creditbank.domain.ids import new_id
from creditbank.domain.roles import Principal, Role
from creditbank.events import EventTag, record_event
from creditbank.evidence_models import Evidence
from creditbank.extensions import db
from creditbank.intake.deposits import EvidenceFile, check_evidence, load_deposit
from creditbank.journal import append, lock_accounts
from creditbank.models import Account, NewOutcomeState, OutcomeState
from creditbank.services import evidence_store
from creditbank.services.conversion import reconvert
from creditbank.services.evaluator_state import prepare
from creditbank.services.history import load_rulesets
from creditbank.services.outcome_views import Posted, credit_view, outcome_view
from creditbank.services.transaction import utcnow, write_transaction

SELF_DECLARED = "self_declared"


def may_deposit(principal: Principal, learner_id: str) -> bool:
    """The learner for itself, or the workstation for anyone."""
    if principal.role is Role.LEARNER:
        return principal.subject == learner_id
    return principal.role is Role.WORKSTATION


def may_read_evidence(principal: Principal, learner_id: str) -> bool:
    """That learner, the workstation and the auditor; to anyone else the files do not exist."""
    if principal.role is Role.LEARNER:
        return principal.subject == learner_id
    return principal.role in (Role.WORKSTATION, Role.AUDITOR)


def deposit(
    principal: Principal,
    learner_id: str,
    form: Mapping[str, str],
    files: list[tuple[str, bytes]],
) -> Posted:
    """Record a declared outcome and its evidence, all or nothing; every refusal is a 422 (keyed
    by the field, ``evidence`` for the files) before anything is written."""
    if not may_deposit(principal, learner_id) or db.session.get(Account, learner_id) is None:
        raise NotFound("No such learner")  # the account named in the path, before its body
    errors: dict[str, list[str]] = {}
    item: dict[str, Any] = {}
    evidence: list[EvidenceFile] = []
    try:
        item = load_deposit(form)
    except ValidationFailed as exc:
        errors.update(exc.errors or {})
    try:
        evidence = check_evidence(files)
    except ValidationFailed as exc:
        errors.update(exc.errors or {})
    if errors:
        raise ValidationFailed(errors=errors)
    with write_transaction() as session:
        account = lock_accounts(session, [learner_id]).get(learner_id)
        if account is None:
            raise NotFound("No such learner")
        now = max(utcnow(), account.head_recorded_at or utcnow())
        rulesets = load_rulesets(session)
        in_force = ruleset_in_force(rulesets.values(), now)
        for file in evidence:  # only once everything is accepted (evidence_store.py)
            evidence_store.store(file.data)
        prepare(session, [account], rulesets)
        outcome_id = new_id("o")
        category = item.pop("category", None) or item["kind"]
        data: dict[str, Any] = {"outcome_kind": item.pop("kind"), **item}
        data["self_declared"] = True
        data["evidence"] = sorted({file.sha256 for file in evidence})
        entry = append(
            session,
            account,
            "outcome",
            now,
            data=data,
            outcome_id=outcome_id,
            ruleset_id=in_force.id if in_force else None,
            category=category,
        )
        reason = Reason.PENDING_REVIEW if in_force else Reason.NO_RULESET
        state = NewOutcomeState(
            learner_id=learner_id,
            outcome_id=outcome_id,
            seq=entry.seq,
            provider_id=SELF_DECLARED,
            external_ref=outcome_id,
            kind=data["outcome_kind"],
            category=category,
            recorded_at=entry.recorded_at,
            ruleset_id=entry.ruleset_id,
            status=Status.PENDING_REVIEW.value,
            reason=reason.value,
            certificate_key=None,
        )
        credits = reconvert(session, account, rulesets, now, [(entry, state)])
        connection = session.connection()
        connection.execute(
            insert(OutcomeState.__table__),
            [{name: getattr(state, name) for name in NewOutcomeState.__slots__}],
        )
        rows = {file.sha256: file for file in evidence}  # the same file twice is one row
        connection.execute(
            insert(Evidence.__table__),
            [
                {
                    "learner_id": learner_id,
                    "sha256": sha,
                    "outcome_id": outcome_id,
                    "media_type": file.media_type,
                    "size": file.size,
                    "original_name": file.name,
                    "created_at": now,
                }
                for sha, file in sorted(rows.items())
            ],
        )
        record_event(
            session,
            EventTag.OUTCOME_DEPOSITED,
            actor=principal.subject,
            subject_id=learner_id,
            occurred_at=now,
            details={"outcome_id": outcome_id, "evidence_files": len(rows)},
        )
        mine = [credit_view(c) for c in credits if c.outcome_id == outcome_id]
        return Posted(outcome_view(entry, data, state), mine)


def evidence_of(learner_id: str, outcome_ids: list[str]) -> dict[str, list[Evidence]]:
    """The evidence rows of these outcomes of one learner, by outcome."""
    found: dict[str, list[Evidence]] = {}
    if not outcome_ids:
        return found
    rows = db.session.scalars(
        select(Evidence)
        .where(Evidence.learner_id == learner_id, Evidence.outcome_id.in_(outcome_ids))
        .order_by(Evidence.created_at, Evidence.original_name)
    )
    for row in rows:
        found.setdefault(row.outcome_id, []).append(row)
    return found


def evidence_file(principal: Principal, learner_id: str, sha256: str) -> tuple[Evidence, bytes]:
    """One of a learner's evidence files with its bytes; 404 to anyone not let in."""
    if not may_read_evidence(principal, learner_id):
        raise NotFound("No such evidence file")
    row = db.session.scalar(
        select(Evidence)
        .where(Evidence.learner_id == learner_id, Evidence.sha256 == sha256)
        .order_by(Evidence.created_at)
        .limit(1)
    )
    if row is None:
        raise NotFound("No such evidence file")
    return row, evidence_store.load(sha256)
