"""Sources: which banked outcomes can be spent, their claim keys and lines (PROGRAMMES.md
§ Domain model, *Sources* and *Claims*).

A **line** is what the conversion engine supersedes along: the certificates of one
``certificate_code``, the skill levels of one ``occupation_code``. A line is converted whole
and once, so its claim key is the line's (``certificate:<code>``, ``skill_level:<occupation>``);
any other outcome is its own key (``outcome:<id>``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from creditbank.conversion import Decision, HistoryEntry, Outcome, OutcomeKind, Status, Void
from creditbank.conversion.judges import CERTIFICATE_RANK, LOWEST_SKILL_LEVEL
from creditbank.transfer.model import Banked

LINE_KINDS = (OutcomeKind.CERTIFICATE, OutcomeKind.SKILL_LEVEL)
OUTCOME_KEY = "outcome:"


def claim_key(outcome: Outcome) -> str:
    """``certificate:<code>``, ``skill_level:<occupation>`` or ``outcome:<id>``."""
    if outcome.kind is OutcomeKind.CERTIFICATE:
        return f"certificate:{outcome.certificate_code or ''}"
    if outcome.kind is OutcomeKind.SKILL_LEVEL:
        return f"skill_level:{outcome.occupation_code or ''}"
    return f"{OUTCOME_KEY}{outcome.outcome_id}"


def is_line_key(key: str) -> bool:
    return not key.startswith(OUTCOME_KEY)


def claim_keys(outcome_ids: Sequence[str], banked: Mapping[str, Banked]) -> tuple[str, ...]:
    """The keys ``outcome_ids`` name, once each, in the order they are first named."""
    keys = (claim_key(banked[oid].outcome) for oid in outcome_ids if oid in banked)
    return tuple(dict.fromkeys(keys))


def level_rank(outcome: Outcome) -> int:
    """Higher is a higher level on the outcome's line (junior 1 … senior 3; skill level 5 is 1,
    level 1, 高级技师, is 5); 0 for no level."""
    if outcome.kind is OutcomeKind.CERTIFICATE:
        return CERTIFICATE_RANK.get(outcome.level if isinstance(outcome.level, str) else None, 0)
    if outcome.kind is OutcomeKind.SKILL_LEVEL and isinstance(outcome.level, int):
        return LOWEST_SKILL_LEVEL + 1 - outcome.level
    return 0


def line_members(key: str, banked: Mapping[str, Banked]) -> list[Banked]:
    """The spendable outcomes under ``key``, in ``seq`` order."""
    members = (b for b in banked.values() if b.spendable and claim_key(b.outcome) == key)
    return sorted(members, key=lambda b: b.seq)


def superseded_by(source: Banked, banked: Mapping[str, Banked]) -> Banked | None:
    """The line's credited outcome of a higher level than ``source``, if any (the highest)."""
    if source.kind not in LINE_KINDS:
        return None
    rank = level_rank(source.outcome)
    higher = [
        b for b in line_members(claim_key(source.outcome), banked) if level_rank(b.outcome) > rank
    ]
    return max(higher, key=lambda b: level_rank(b.outcome), default=None)


def unavailable(outcome_id: str, banked: Mapping[str, Banked]) -> str | None:
    """Why ``outcome_id`` cannot be spent now (first failure: not this learner's, voided, not
    banked), or None."""
    source = banked.get(outcome_id)
    if source is None:
        return f"{outcome_id} is not an outcome of this learner."
    if source.voided:
        return f"{outcome_id} is voided."
    if not source.spendable:
        why = source.reason.value if source.reason is not None else source.status.value
        return f"{outcome_id} has banked no credits ({why}); only banked credits can be spent."
    return None


def source_problem(outcome_id: str, banked: Mapping[str, Banked]) -> str | None:
    """Why ``outcome_id`` cannot be offered at filing: :func:`unavailable`, then a higher
    credited outcome on its line (a line is converted by naming its highest outcome)."""
    problem = unavailable(outcome_id, banked)
    if problem is not None:
        return problem
    source = banked[outcome_id]
    higher = superseded_by(source, banked)
    if higher is None:
        return None
    return (
        f"{outcome_id} is superseded by {higher.outcome_id} ({_level(higher.outcome)}) on line "
        f"{claim_key(source.outcome)}; name that one."
    )


def _level(outcome: Outcome) -> str:
    """``senior``; ``level 2`` for a skill level."""
    return f"level {outcome.level}" if isinstance(outcome.level, int) else str(outcome.level)


def banked_outcomes(
    history: Sequence[HistoryEntry], decisions: Mapping[str, Decision]
) -> dict[str, Banked]:
    """The learner's outcomes with what the conversion engine decides they earn now."""
    banked = {}
    for entry in history:
        if isinstance(entry, Outcome) and entry.outcome_id in decisions:
            decision = decisions[entry.outcome_id]
            banked[entry.outcome_id] = Banked(
                entry, decision.credits, decision.category, decision.status, decision.reason
            )
    return banked


class OutcomeBook:
    """The learner's outcomes as the journal says they stand at a seq, built from their
    outcome, void and credit entries in seq order (the audit's view: what each outcome had
    earned when a transfer was written)."""

    def __init__(self) -> None:
        self.outcomes: dict[str, Outcome] = {}
        self.voided: set[str] = set()
        self.credits: dict[str, int] = {}
        self.categories: dict[str, str] = {}

    def add_outcome(self, outcome: Outcome) -> None:
        self.outcomes[outcome.outcome_id] = outcome
        self.categories.setdefault(outcome.outcome_id, outcome.category)

    def add_void(self, void: Void) -> None:
        self.voided.add(void.outcome_id)

    def add_credit(self, outcome_id: str, delta: int, category: str) -> None:
        self.credits[outcome_id] = self.credits.get(outcome_id, 0) + delta
        if delta > 0:
            self.categories[outcome_id] = category

    def banked(self) -> dict[str, Banked]:
        return {oid: self._banked(outcome) for oid, outcome in self.outcomes.items()}

    def _banked(self, outcome: Outcome) -> Banked:
        oid = outcome.outcome_id
        credits = self.credits.get(oid, 0)
        if oid in self.voided:
            status = Status.VOIDED
        else:
            status = Status.CREDITED if credits > 0 else Status.NOT_CREDITED
        return Banked(outcome, credits, self.categories[oid], status)
