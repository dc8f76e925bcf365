"""One-line builders for the conversion tests: a ruleset and one learner's journal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from creditbank.conversion import (
    Caps,
    Decision,
    Evaluator,
    HistoryEntry,
    Outcome,
    OutcomeKind,
    Review,
    Ruleset,
    Void,
    evaluate,
    shanghai_date,
)
from creditbank.domain.amounts import format_tenths, parse_tenths

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
_DEFAULT = object()


def tenths(amount: str | None) -> int | None:
    """``"2.5"`` → 25, so tests read in the units people use."""
    return None if amount is None else parse_tenths(amount)


def caps(per_year: str | None = None, **per_category: str) -> Caps:
    """``caps("30.0", theory="10.0")``."""
    return Caps(tenths(per_year), {k: parse_tenths(v) for k, v in per_category.items()})


def make_ruleset(id: str = "rs_1", version: int = 1, **fields: Any) -> Ruleset:
    """A ruleset like the Yunyang default: 16 h/credit theory, 24 practice, step 0.5."""
    defaults: dict[str, Any] = {
        "name": "测试规则",
        "effective_from": datetime(2025, 12, 31, 16, 0, tzinfo=UTC),
        "hours_per_credit": {"theory": 160, "practice": 240},
        "certificates": {
            "1X-WEB": {"junior": 20, "intermediate": 40, "senior": 60},
            "NCRE-2": {None: 20},
        },
        "skill_levels": {5: 20, 4: 30, 3: 40, 2: 50, 1: 60},
        "competitions": {
            "national": (40, 30, 20),
            "provincial": (30, 20, 10),
            "municipal": (20, 15),
        },
    }
    return Ruleset(id=id, version=version, **{**defaults, **fields})


class Journal:
    """Appends outcomes, voids and reviews with consecutive seqs and a clock that moves on.

    Each builder returns the outcome id; ``achieved_on`` defaults to the day before recording.
    """

    def __init__(self, *rulesets: Ruleset, start: datetime = T0) -> None:
        rulesets = rulesets or (make_ruleset(),)
        self.rulesets = {ruleset.id: ruleset for ruleset in rulesets}
        self.ruleset_id: str | None = rulesets[0].id
        self.entries: list[HistoryEntry] = []
        self.clock = start

    def outcome(
        self,
        kind: OutcomeKind,
        *,
        at: datetime | None = None,
        achieved_on: date | None = None,
        category: str | None = None,
        ruleset_id: Any = _DEFAULT,
        **fields: Any,
    ) -> str:
        self.clock = at if at is not None else self.clock + timedelta(minutes=1)
        seq = len(self.entries) + 1
        outcome = Outcome(
            outcome_id=f"o{seq}",
            seq=seq,
            recorded_at=self.clock,
            kind=kind,
            category=category or kind.value,
            achieved_on=achieved_on or shanghai_date(self.clock) - timedelta(days=1),
            ruleset_id=self.ruleset_id if ruleset_id is _DEFAULT else ruleset_id,
            **fields,
        )
        self.entries.append(outcome)
        return outcome.outcome_id

    def hours(self, hours: str, category: str = "theory", **kw: Any) -> str:
        return self.outcome(
            OutcomeKind.TRAINING_HOURS, hours=tenths(hours), category=category, **kw
        )

    def certificate(self, code: str, level: str | None, no: str, **kw: Any) -> str:
        return self.outcome(
            OutcomeKind.CERTIFICATE, certificate_code=code, level=level, certificate_no=no, **kw
        )

    def skill(self, occupation: str, level: int, no: str, **kw: Any) -> str:
        return self.outcome(
            OutcomeKind.SKILL_LEVEL,
            occupation_code=occupation,
            level=level,
            certificate_no=no,
            **kw,
        )

    def competition(self, scope: str, rank: int, event: str, **kw: Any) -> str:
        return self.outcome(OutcomeKind.COMPETITION, scope=scope, rank=rank, event=event, **kw)

    def course(
        self, code: str, credits: str, score: int, institution: str = "重庆三峡职业学院", **kw: Any
    ) -> str:
        return self.outcome(
            OutcomeKind.COURSE,
            course_code=code,
            credits=tenths(credits),
            score=score,
            institution=institution,
            **kw,
        )

    def informal(self, description: str = "社区志愿服务", **kw: Any) -> str:
        return self.outcome(OutcomeKind.INFORMAL, description=description, **kw)

    def void(self, outcome_id: str) -> None:
        self.entries.append(Void(outcome_id=outcome_id, seq=len(self.entries) + 1))

    def review(self, outcome_id: str, credits: str, category: str = "general") -> None:
        seq = len(self.entries) + 1
        review = Review(outcome_id, seq, parse_tenths(credits), category)
        self.entries.append(review)

    def evaluate(self) -> dict[str, Decision]:
        return evaluate(self.entries, self.rulesets)

    def evaluator(self) -> Evaluator:
        return Evaluator(self.rulesets).apply_all(self.entries)

    def credits(self) -> dict[str, str]:
        """Each outcome's credits as a decimal string."""
        return {oid: format_tenths(d.credits) for oid, d in self.evaluate().items()}
