"""What one outcome earns before caps, by kind (DESIGN.md § Conversion, steps 1 and 2).

Judges only read the tally; the evaluator commits a verdict once the caps have been applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from creditbank.conversion.calendar import expired_by, shanghai_date
from creditbank.conversion.model import Outcome, OutcomeKind, Reason, Ruleset
from creditbank.conversion.tally import Identity, Line, Tally

# The reasons an outcome waits for a workstation review with (status pending_review).
WAITING = frozenset({Reason.PENDING_REVIEW, Reason.NO_RULESET, Reason.CERTIFICATE_NO_REUSED})
CERTIFICATE_RANK: dict[str | None, int] = {None: 0, "junior": 1, "intermediate": 2, "senior": 3}
LOWEST_SKILL_LEVEL = 5  # 初级工; 1 is 高级技师, the highest


@dataclass(frozen=True)
class Verdict:
    """An outcome's raw credits and reason, and what it leaves behind for later outcomes."""

    reason: Reason
    credits: int = 0  # tenths, before caps
    rule: str | None = None
    identity: Identity | None = None  # registered so that a re-post is a duplicate
    hours: int = 0  # counted toward the category's accumulated hours
    line: Line | None = None  # supersession line this outcome raised
    rank: int = 0

    @property
    def waiting(self) -> bool:
        return self.reason in WAITING


def judge(outcome: Outcome, ruleset: Ruleset | None, tally: Tally) -> Verdict:
    """The verdict on one non-voided outcome, given everything before it."""
    if ruleset is None:
        return waiting(outcome, Reason.NO_RULESET)
    expired_rule = expiry(outcome, ruleset)
    if expired_rule is not None:
        return Verdict(Reason.EXPIRED, rule=expired_rule)
    if outcome.self_declared:
        # Unverified until reviewed: its hours do not accumulate and its number blocks nothing.
        return Verdict(Reason.PENDING_REVIEW)
    return _JUDGES[outcome.kind](outcome, ruleset, tally)


def waiting(outcome: Outcome, reason: Reason) -> Verdict:
    """Pending review: earns nothing and supersedes nothing, but its hours count and its
    identity blocks re-posts."""
    hours = (outcome.hours or 0) if outcome.kind is OutcomeKind.TRAINING_HOURS else 0
    return Verdict(reason, identity=identity(outcome), hours=hours)


def expiry(outcome: Outcome, ruleset: Ruleset) -> str | None:
    """The rule an outcome had expired under when it was recorded, or None."""
    recorded_on = shanghai_date(outcome.recorded_at)
    if expired_by(outcome.achieved_on, ruleset.validity_years, recorded_on):
        return "validity_years"
    if outcome.valid_until is not None and outcome.valid_until < recorded_on:
        return "valid_until"
    return None


def identity(outcome: Outcome) -> Identity | None:
    """What makes a later outcome the same one again (a course only once it has passed)."""
    kind = outcome.kind
    if kind in (OutcomeKind.CERTIFICATE, OutcomeKind.SKILL_LEVEL) and outcome.certificate_no:
        return (kind.value, outcome.certificate_no)
    if kind is OutcomeKind.COMPETITION:
        event = (outcome.event or "").strip().casefold()
        return (kind.value, event, outcome.achieved_on.isoformat())
    return None


def course_identity(outcome: Outcome) -> Identity:
    return (OutcomeKind.COURSE.value, outcome.course_code or "", outcome.institution or "")


def _hours(outcome: Outcome, ruleset: Ruleset, tally: Tally) -> Verdict:
    per_credit = ruleset.hours_per_credit.get(outcome.category)
    if not per_credit:
        return waiting(outcome, Reason.PENDING_REVIEW)
    hours = outcome.hours or 0
    before = tally.hours.get(outcome.category, 0)
    # step(x) = floor(x / hours_per_credit / credit_step) * credit_step, all in tenths:
    # x/10 h ÷ (p/10 h per credit) ÷ (s/10 credits) = 10x / (p·s) steps of s tenths each.
    per_step = per_credit * ruleset.credit_step
    earned = ((before + hours) * 10 // per_step - before * 10 // per_step) * ruleset.credit_step
    on_step = (before + hours) * 10 % per_step == 0
    reason = Reason.CREDITED if on_step else Reason.ACCUMULATING
    return Verdict(reason, earned, f"hours_per_credit.{outcome.category}", hours=hours)


def _certificate(outcome: Outcome, ruleset: Ruleset, tally: Tally) -> Verdict:
    code, level = outcome.certificate_code or "", outcome.level
    key = level if isinstance(level, str) or level is None else str(level)
    amount = ruleset.certificates.get(code, {}).get(key)
    rule = f"certificates.{code}" + (f".{key}" if key else "") if amount is not None else None
    verdict = _unless_duplicate(outcome, amount, rule, tally)
    if verdict.reason is not Reason.CREDITED:
        return verdict
    return _supersede(verdict, ("certificate", code), CERTIFICATE_RANK.get(key, 0), tally)


def _skill_level(outcome: Outcome, ruleset: Ruleset, tally: Tally) -> Verdict:
    level = _level_number(outcome.level)
    amount = ruleset.skill_levels.get(level) if level is not None else None
    rule = f"skill_levels.{level}" if amount is not None else None
    verdict = _unless_duplicate(outcome, amount, rule, tally)
    if verdict.reason is not Reason.CREDITED or level is None:
        return verdict
    line = ("skill_level", outcome.occupation_code or "")
    return _supersede(verdict, line, LOWEST_SKILL_LEVEL + 1 - level, tally)


def _competition(outcome: Outcome, ruleset: Ruleset, tally: Tally) -> Verdict:
    scope, rank = outcome.scope or "", outcome.rank or 0
    by_rank = ruleset.competitions.get(scope, ())
    amount = by_rank[rank - 1] if 1 <= rank <= len(by_rank) else None
    rule = f"competitions.{scope}.{rank}" if amount is not None else None
    return _unless_duplicate(outcome, amount, rule, tally)


def _course(outcome: Outcome, ruleset: Ruleset, tally: Tally) -> Verdict:
    rule = "course_min_score"
    if course_identity(outcome) in tally.identities:
        return Verdict(Reason.DUPLICATE, rule=rule)
    if outcome.credits is None or outcome.score is None:
        return waiting(outcome, Reason.PENDING_REVIEW)
    if outcome.score < ruleset.course_min_score:
        return Verdict(Reason.FAILED, rule=rule)  # a failed attempt blocks nothing
    return Verdict(Reason.CREDITED, outcome.credits, rule, identity=course_identity(outcome))


def _informal(outcome: Outcome, ruleset: Ruleset, tally: Tally) -> Verdict:
    return waiting(outcome, Reason.PENDING_REVIEW)


def _unless_duplicate(
    outcome: Outcome, amount: int | None, rule: str | None, tally: Tally
) -> Verdict:
    """Duplicate if seen before on this account; pending if the number was credited on another
    account, or if no rule matches; else the table amount."""
    key = identity(outcome)
    if key is not None and key in tally.identities:
        return Verdict(Reason.DUPLICATE, rule=rule)
    if outcome.certificate_no_reused:
        return waiting(outcome, Reason.CERTIFICATE_NO_REUSED)
    if amount is None:
        return waiting(outcome, Reason.PENDING_REVIEW)
    return Verdict(Reason.CREDITED, amount, rule, identity=key)


def _supersede(verdict: Verdict, line: Line, rank: int, tally: Tally) -> Verdict:
    """Only the highest level on a line counts; an upgrade earns what the line has not yet."""
    best = tally.best_rank.get(line)
    if best is not None and rank <= best:
        return replace(verdict, reason=Reason.SUPERSEDED, credits=0)
    remainder = verdict.credits - tally.earned.get(line, 0)
    # An upgrade worth no more than the line already earned is covered by what came before.
    reason = Reason.SUPERSEDED if best is not None and remainder <= 0 else verdict.reason
    return replace(verdict, reason=reason, credits=max(remainder, 0), line=line, rank=rank)


def _level_number(level: str | int | None) -> int | None:
    if isinstance(level, int) and not isinstance(level, bool):
        return level
    if isinstance(level, str) and level.isdigit():
        return int(level)
    return None


_JUDGES: dict[OutcomeKind, Callable[[Outcome, Ruleset, Tally], Verdict]] = {
    OutcomeKind.TRAINING_HOURS: _hours,
    OutcomeKind.CERTIFICATE: _certificate,
    OutcomeKind.SKILL_LEVEL: _skill_level,
    OutcomeKind.COMPETITION: _competition,
    OutcomeKind.COURSE: _course,
    OutcomeKind.INFORMAL: _informal,
}
