"""What the conversion engine reads and what it decides: frozen dataclasses, no I/O.

Amounts are integer tenths (``25`` is 2.5 credits or 2.5 hours). Instants are aware UTC
datetimes; calendar questions (future, validity, year) are answered in Asia/Shanghai.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class OutcomeKind(StrEnum):
    TRAINING_HOURS = "training_hours"
    CERTIFICATE = "certificate"
    SKILL_LEVEL = "skill_level"
    COMPETITION = "competition"
    COURSE = "course"
    INFORMAL = "informal"


class Status(StrEnum):
    CREDITED = "credited"
    NOT_CREDITED = "not_credited"
    PENDING_REVIEW = "pending_review"
    VOIDED = "voided"


class Reason(StrEnum):
    CREDITED = "credited"
    ACCUMULATING = "accumulating"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    CAPPED = "capped"
    PENDING_REVIEW = "pending_review"
    NO_RULESET = "no_ruleset"
    CERTIFICATE_NO_REUSED = "certificate_no_reused"
    REVIEWED = "reviewed"
    VOIDED = "voided"


@dataclass(frozen=True)
class Outcome:
    """An ``outcome`` journal entry. ``ruleset_id`` is the ruleset in force when it was recorded
    (``None``: none was). ``category`` is already defaulted (the kind's name unless given)."""

    outcome_id: str
    seq: int
    recorded_at: datetime
    kind: OutcomeKind
    category: str
    achieved_on: date
    ruleset_id: str | None
    hours: int | None = None  # tenths of an hour (training_hours)
    certificate_code: str | None = None  # certificate
    level: str | int | None = None  # certificate: junior/intermediate/senior/None; skill: 1..5
    certificate_no: str | None = None  # certificate, skill_level
    # The same number of the same kind and code was already credited on another learner's
    # account when this was posted (found at posting and recorded in the entry, so that a
    # replay decides the same): it waits for a review.
    certificate_no_reused: bool = False
    valid_until: date | None = None  # certificate
    occupation_code: str | None = None  # skill_level
    scope: str | None = None  # competition: national/provincial/municipal/county
    rank: int | None = None  # competition: 1..3
    event: str | None = None  # competition
    course_code: str | None = None  # course
    credits: int | None = None  # course: tenths of a credit
    score: int | None = None  # course: 0..100
    institution: str | None = None  # course
    description: str | None = None  # informal
    # Declared by the learner (a deposit with evidence, not a provider's post): whatever its
    # kind, it waits for a workstation review; the rules only suggest what it would earn.
    self_declared: bool = False


@dataclass(frozen=True)
class Void:
    """A ``void`` journal entry: the outcome earns nothing from here on."""

    outcome_id: str
    seq: int


@dataclass(frozen=True)
class Review:
    """A ``review`` journal entry: the workstation's decision on a pending outcome.

    It counts at its outcome's position in the journal order and is capped like any credit."""

    outcome_id: str
    seq: int
    credits: int  # tenths
    category: str


HistoryEntry = Outcome | Void | Review


@dataclass(frozen=True)
class Caps:
    per_year: int | None = None  # tenths
    per_category: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Ruleset:
    """A published, immutable ruleset (API.md § Rulesets), amounts in tenths."""

    id: str
    version: int
    name: str
    effective_from: datetime
    credit_step: int = 5
    validity_years: int = 5
    hours_per_credit: Mapping[str, int] = field(default_factory=dict)
    # code -> {level or None (a code without levels) -> tenths}
    certificates: Mapping[str, Mapping[str | None, int]] = field(default_factory=dict)
    skill_levels: Mapping[int, int] = field(default_factory=dict)  # 1..5 -> tenths
    competitions: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # scope -> by rank
    course_min_score: int = 60
    caps: Caps = field(default_factory=Caps)


@dataclass(frozen=True)
class Decision:
    """What one outcome has earned after the whole history so far."""

    outcome_id: str
    status: Status
    reason: Reason
    credits: int  # tenths, >= 0
    category: str
    ruleset_id: str | None
    rule: str | None  # e.g. "certificates.1X-WEB-FRONTEND.senior", "hours_per_credit.theory"
