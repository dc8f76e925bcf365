"""The running state of an evaluation: what the outcomes judged so far add up to.

Plain dicts, sets and ints, so a tally copies cheaply and can later be snapshotted to make
appends incremental.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from creditbank.conversion.model import Caps

Identity = tuple[str, ...]  # what makes a later posting a duplicate, e.g. ("certificate", no)
Line = tuple[str, str]  # a supersession line: ("certificate", code) or ("skill_level", occupation)


@dataclass
class Tally:
    """Everything later outcomes are judged against; voided and expired outcomes never enter."""

    hours: dict[str, int] = field(default_factory=dict)  # category -> tenths of an hour
    identities: set[Identity] = field(default_factory=set)
    best_rank: dict[Line, int] = field(default_factory=dict)  # higher rank = higher level
    earned: dict[Line, int] = field(default_factory=dict)  # tenths the line actually earned
    by_year: dict[int, int] = field(default_factory=dict)  # Shanghai year -> tenths
    by_year_category: dict[tuple[int, str], int] = field(default_factory=dict)

    def copy(self) -> Tally:
        """An independent copy (the snapshot an incremental evaluation starts from). Keys and
        values are immutable (str, int, tuples of them), so copying each container suffices —
        and costs a small fraction of a ``deepcopy``, which posting pays once per learner."""
        return Tally(
            hours=dict(self.hours),
            identities=set(self.identities),
            best_rank=dict(self.best_rank),
            earned=dict(self.earned),
            by_year=dict(self.by_year),
            by_year_category=dict(self.by_year_category),
        )

    def allowance(self, caps: Caps, year: int, category: str, credits: int) -> int:
        """How much of ``credits`` fits under the year's and the category's caps."""
        allowed = credits
        if caps.per_year is not None:
            allowed = min(allowed, caps.per_year - self.by_year.get(year, 0))
        category_cap = caps.per_category.get(category)
        if category_cap is not None:
            spent = self.by_year_category.get((year, category), 0)
            allowed = min(allowed, category_cap - spent)
        # Another ruleset's looser cap (or an uncapped review) may already have overshot.
        return max(allowed, 0)

    def add_credits(self, year: int, category: str, credits: int) -> None:
        """Count what an outcome earned toward its year and category."""
        self.by_year[year] = self.by_year.get(year, 0) + credits
        key = (year, category)
        self.by_year_category[key] = self.by_year_category.get(key, 0) + credits

    def add_hours(self, category: str, hours: int) -> None:
        """Count hours toward the category's accumulation (capped or not: caps limit credits)."""
        self.hours[category] = self.hours.get(category, 0) + hours

    def raise_line(self, line: Line, rank: int, credits: int) -> None:
        """Record a new highest level on a supersession line and what it earned."""
        self.best_rank[line] = max(rank, self.best_rank.get(line, rank))
        self.earned[line] = self.earned.get(line, 0) + credits
