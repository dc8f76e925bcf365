"""Laws of the conversion engine, checked on generated journals (hypothesis)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.conversion import (
    Decision,
    Evaluator,
    HistoryEntry,
    Outcome,
    Review,
    Ruleset,
    Status,
    Void,
    credit_changes,
    evaluate,
    shanghai_year,
)
from tests.unit.conversion_factories import Journal, caps, make_ruleset

ENGINE_SOURCES = Path(__file__).resolve().parents[2] / "creditbank" / "conversion"
START = datetime(2026, 12, 20, tzinfo=UTC)  # close to a Shanghai year boundary

History = tuple[list[HistoryEntry], dict[str, Ruleset]]

cap_values = st.sampled_from([None, "2.0", "5.0", "12.5"])
steps = st.sampled_from([timedelta(minutes=1), timedelta(hours=7), timedelta(days=5)])
amounts = st.sampled_from(["0", "1.5", "4.0"])
# Now and then the number was credited on another learner's account when it was posted.
reused = st.sampled_from([False, False, False, True])

outcome_ops = st.one_of(
    st.tuples(
        st.just("hours"),
        st.sampled_from(["5", "8", "10", "14", "30.5"]),
        st.sampled_from(["theory", "practice"]),
    ),
    st.tuples(
        st.just("certificate"),
        st.sampled_from(["1X-WEB", "NCRE-2", "1X-NEW"]),
        st.sampled_from([None, "junior", "intermediate", "senior"]),
        st.sampled_from(["C1", "C2", "C3", "C4"]),
        st.sampled_from([None, None, None, date(2020, 1, 1), date(2040, 1, 1)]),
        reused,
    ),
    st.tuples(
        st.just("skill"),
        st.sampled_from(["6-20-01-01", "4-10-01-01"]),
        st.integers(1, 5),
        st.sampled_from(["C1", "S2", "S3"]),
        reused,
    ),
    st.tuples(
        st.just("competition"),
        st.sampled_from(["national", "provincial", "municipal", "county"]),
        st.integers(1, 3),
        st.sampled_from(["Skills Contest", " skills contest", "创新创业大赛"]),
        st.sampled_from([date(2026, 11, 1), date(2026, 12, 1)]),
    ),
    st.tuples(
        st.just("course"),
        st.sampled_from(["ENG101", "MATH101"]),
        st.sampled_from(["1.0", "3.5"]),
        st.sampled_from([40, 60, 85]),
        st.sampled_from(["重庆三峡职业学院", "重庆开放大学"]),
    ),
    st.tuples(st.just("informal")),
)
later_ops = st.one_of(
    st.tuples(st.just("void"), st.integers(0, 40)),
    st.tuples(
        st.just("review"), st.integers(0, 40), amounts, st.sampled_from(["general", "theory"])
    ),
)


@st.composite
def rulesets(draw: st.DrawFn) -> tuple[Ruleset, Ruleset]:
    """Two rulesets that differ in hours, step and caps."""

    def drawn_caps() -> Any:
        return caps(draw(cap_values), theory=draw(st.sampled_from(["1.0", "3.0", "50.0"])))

    first = make_ruleset("rs_a", caps=drawn_caps())
    second = make_ruleset(
        "rs_b",
        version=2,
        credit_step=10,
        hours_per_credit={"theory": 180, "practice": 200},
        validity_years=2,
        caps=drawn_caps(),
    )
    return first, second


@st.composite
def histories(draw: st.DrawFn, max_size: int = 30) -> History:
    """A learner's journal: outcomes under either ruleset or none, then voids and reviews."""
    journal = Journal(*draw(rulesets()), start=START)
    outcome_ids: list[str] = []
    for op in draw(
        st.lists(st.one_of(outcome_ops, outcome_ops, later_ops), min_size=2, max_size=max_size)
    ):
        if op[0] in ("void", "review"):
            if outcome_ids:
                target = outcome_ids[op[1] % len(outcome_ids)]
                if op[0] == "void":
                    journal.void(target)
                else:
                    journal.review(target, *op[2:])
            continue
        journal.ruleset_id = draw(st.sampled_from(["rs_a", "rs_a", "rs_a", "rs_b", "rs_b", None]))
        journal.clock += draw(steps)
        achieved = draw(st.sampled_from([None] * 7 + [date(2021, 6, 1)]))  # now and then stale
        outcome_ids.append(_add(journal, op, achieved))
    return journal.entries, journal.rulesets


def _add(journal: Journal, op: tuple[Any, ...], achieved_on: date | None) -> str:
    kind, *args = op
    if kind == "hours":
        return journal.hours(args[0], args[1], achieved_on=achieved_on)
    if kind == "certificate":
        code, level, no, valid_until, reused = args
        return journal.certificate(
            code,
            level,
            no,
            valid_until=valid_until,
            achieved_on=achieved_on,
            certificate_no_reused=reused,
        )
    if kind == "skill":
        occupation, level, no, reused = args
        return journal.skill(
            occupation, level, no, achieved_on=achieved_on, certificate_no_reused=reused
        )
    if kind == "competition":
        scope, rank, event, day = args
        return journal.competition(scope, rank, event, achieved_on=achieved_on or day)
    if kind == "course":
        return journal.course(*args, achieved_on=achieved_on)
    return journal.informal(achieved_on=achieved_on)


def _outcomes(entries: list[HistoryEntry]) -> dict[str, Outcome]:
    return {e.outcome_id: e for e in entries if isinstance(e, Outcome)}


@settings(max_examples=150, deadline=None)
@given(histories(), st.integers(0, 30))
def test_folding_entry_by_entry_equals_evaluating_the_whole_history(
    history: History, snapshot_at: int
) -> None:
    entries, rules = history
    final = evaluate(entries, rules)
    evaluator = Evaluator(rules)
    previous: dict[str, Decision] = {}
    posted: dict[str, int] = defaultdict(int)
    snapshot = None
    for index, entry in enumerate(entries):
        if index == snapshot_at:
            snapshot = evaluator.copy()
        evaluator.apply(entry)
        current = evaluator.decisions()
        assert current == evaluate(entries[: index + 1], rules)
        for decision in credit_changes(previous, current):
            earlier = previous.get(decision.outcome_id)
            posted[decision.outcome_id] += decision.credits - (earlier.credits if earlier else 0)
        previous = current
    assert {k: v for k, v in posted.items() if v} == {
        k: d.credits for k, d in final.items() if d.credits
    }
    if snapshot is not None:  # a snapshot carries on as if nothing had been copied
        assert snapshot.apply_all(entries[snapshot_at:]).decisions() == final


@settings(max_examples=200, deadline=None)
@given(histories())
def test_no_year_or_category_ever_exceeds_its_cap(history: History) -> None:
    entries, rules = history
    outcomes = _outcomes(entries)
    by_year: dict[int, int] = defaultdict(int)
    by_category: dict[tuple[int, str], int] = defaultdict(int)
    for decision in evaluate(entries, rules).values():
        year = shanghai_year(outcomes[decision.outcome_id].recorded_at)
        by_year[year] += decision.credits
        by_category[year, decision.category] += decision.credits
        if decision.credits == 0 or decision.ruleset_id is None:
            continue  # no ruleset, no cap: a review of such an outcome is the workstation's call
        limits = rules[decision.ruleset_id].caps
        if limits.per_year is not None:
            assert by_year[year] <= limits.per_year
        category_cap = limits.per_category.get(decision.category)
        if category_cap is not None:
            assert by_category[year, decision.category] <= category_cap


@settings(max_examples=100, deadline=None)
@given(histories(), cap_values)
def test_with_one_ruleset_every_year_stays_within_the_cap(
    history: History, cap: str | None
) -> None:
    entries, _ = history
    only = make_ruleset("rs_a", caps=caps(cap or "6.0", theory="2.0"))
    entries = [replace(e, ruleset_id="rs_a") if isinstance(e, Outcome) else e for e in entries]
    outcomes = _outcomes(entries)
    totals: dict[int, int] = defaultdict(int)
    theory: dict[int, int] = defaultdict(int)
    for decision in evaluate(entries, {"rs_a": only}).values():
        year = shanghai_year(outcomes[decision.outcome_id].recorded_at)
        totals[year] += decision.credits
        theory[year] += decision.credits if decision.category == "theory" else 0
    assert all(total <= only.caps.per_year for total in totals.values())
    assert all(total <= 20 for total in theory.values())


@settings(max_examples=150, deadline=None)
@given(histories())
def test_voiding_every_outcome_brings_every_total_to_zero(history: History) -> None:
    entries, rules = history
    seq = len(entries)
    voids = [Void(oid, seq + n) for n, oid in enumerate(_outcomes(entries), 1)]
    decisions = evaluate([*entries, *voids], rules)
    assert all(d.credits == 0 and d.status is Status.VOIDED for d in decisions.values())


@settings(max_examples=150, deadline=None)
@given(histories(), st.randoms(use_true_random=False))
def test_results_depend_only_on_the_inputs(history: History, random: Any) -> None:
    entries, rules = history
    shuffled = list(rules.items())
    random.shuffle(shuffled)
    first = evaluate(entries, rules)
    assert evaluate(entries, rules) == first
    assert evaluate(entries, dict(shuffled)) == first
    assert list(first) == list(_outcomes(entries))


@settings(max_examples=150, deadline=None)
@given(histories())
def test_a_number_credited_on_another_account_is_never_credited_without_a_review(
    history: History,
) -> None:
    entries, rules = history
    reviewed = {entry.outcome_id for entry in entries if isinstance(entry, Review)}
    decisions = evaluate(entries, rules)
    for outcome in _outcomes(entries).values():
        if outcome.certificate_no_reused and outcome.outcome_id not in reviewed:
            assert decisions[outcome.outcome_id].credits == 0


def test_the_engine_never_reads_the_clock_or_chance() -> None:
    forbidden = re.compile(r"\b(datetime\.now|datetime\.utcnow|date\.today|time\.time|random)\b")
    for source in ENGINE_SOURCES.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert not forbidden.search(text), f"{source.name} reads the clock or chance"


@settings(max_examples=200, deadline=None)
@given(histories())
def test_all_credits_are_whole_tenths_never_negative(history: History) -> None:
    entries, rules = history
    for decision in evaluate(entries, rules).values():
        assert type(decision.credits) is int and decision.credits >= 0
        assert decision.status is not Status.CREDITED or decision.credits > 0
