"""What the transfer rules read: catalogues, the learner's banked outcomes and the items of
their applications (PROGRAMMES.md § Domain model). Frozen dataclasses, no I/O.

Amounts are integer tenths (``40`` is 4.0 credits), as in :mod:`creditbank.conversion`. Course
credits (the college's) and bank credits (what outcomes earned) are different units: they sit
side by side here and are never compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from creditbank.conversion import Outcome, OutcomeKind, Reason, Status


class CourseKind(StrEnum):
    THEORY = "theory"
    PRACTICE = "practice"


class EquivalenceKind(StrEnum):
    CERTIFICATE = "certificate"
    SKILL_LEVEL = "skill_level"
    COMPETITION = "competition"
    COURSE = "course"
    CREDITS = "credits"


class ItemStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    REVOKED = "revoked"


Grade = str | Mapping[str, str]  # a word, "score", or words by level / rank


@dataclass(frozen=True)
class Equivalence:
    """One way a course can be recognised; ``ref`` is its dotted path in the catalogue."""

    ref: str  # "courses.WEB101.equivalences.0"
    kind: EquivalenceKind
    grade: Grade = "合格"
    online: bool = False
    certificate_code: str | None = None  # certificate
    min_level: str | int | None = None  # certificate: junior..senior or None; skill: 1..5
    occupation_code: str | None = None  # skill_level
    scopes: frozenset[str] = frozenset()  # competition
    max_rank: int = 3  # competition
    course_code: str | None = None  # course
    institution: str | None = None  # course (compared trimmed and exact)
    min_score: int = 60  # course
    category: str | None = None  # credits
    min_credits: int = 0  # credits: tenths


@dataclass(frozen=True)
class Course:
    code: str
    name: str
    credits: int  # tenths of a course credit
    kind: CourseKind = CourseKind.THEORY
    equivalences: tuple[Equivalence, ...] = ()


@dataclass(frozen=True)
class CatalogueCaps:
    share_percent: int = 50
    online_share_percent: int = 25
    per_source: int | None = 80  # tenths; None: no cap


def cap_of(total_credits: int, percent: int) -> int:
    """``percent`` of ``total_credits``, in tenths, rounded down: 125.0 × 25% = 31.2."""
    return total_credits * percent // 100


@dataclass(frozen=True)
class Catalogue:
    """A published catalogue version of one programme, amounts in tenths."""

    id: str
    programme_id: str
    version: int
    name: str
    effective_from: datetime
    total_credits: int
    caps: CatalogueCaps
    courses: tuple[Course, ...]

    @property
    def share_cap(self) -> int:
        return cap_of(self.total_credits, self.caps.share_percent)

    @property
    def online_cap(self) -> int:
        return cap_of(self.total_credits, self.caps.online_share_percent)

    def course(self, code: str) -> Course | None:
        return next((course for course in self.courses if course.code == code), None)


@dataclass(frozen=True)
class Banked:
    """One of the learner's outcomes and what it earns now (the engine's decision, or the sum
    of its credit entries so far when the audit replays)."""

    outcome: Outcome
    credits: int  # tenths of a bank credit
    category: str  # where the credits count (a review may have moved it)
    status: Status
    reason: Reason | None = None

    @property
    def outcome_id(self) -> str:
        return self.outcome.outcome_id

    @property
    def seq(self) -> int:
        return self.outcome.seq

    @property
    def kind(self) -> OutcomeKind:
        return self.outcome.kind

    @property
    def voided(self) -> bool:
        return self.status is Status.VOIDED

    @property
    def spendable(self) -> bool:
        """Banked: credited with credits > 0 (what the bank did not bank cannot be spent)."""
        return self.status is Status.CREDITED and self.credits > 0


@dataclass(frozen=True)
class Item:
    """One course of an application as ``transfer_items`` holds it (with the application's
    programme), the projection the decisions read and the audit compares."""

    item_id: str
    application_id: str
    programme_id: str
    course_code: str
    course_credits: int  # tenths
    outcome_ids: tuple[str, ...]
    claim_keys: tuple[str, ...]
    status: ItemStatus = ItemStatus.PENDING
    online: bool = False
    grade: str | None = None
    transfer_seq: int | None = None
    reversal_seq: int | None = None
    flagged: bool = False
    confirmed: bool = False

    @property
    def live(self) -> bool:
        """Still holding its claim keys: pending or approved."""
        return self.status in (ItemStatus.PENDING, ItemStatus.APPROVED)
