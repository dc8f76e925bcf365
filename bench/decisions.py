"""A college's decisions per second, and the balance of a learner with 1,000 transfers.

One college (:mod:`bench._college`) with six programmes, each with a catalogue of 200 courses
of 1.0 credit, each recognised by a course outcome of a code of its own; caps that refuse
nothing; the default ruleset without its yearly caps, so every course outcome is credited.
A real gunicorn serves the bank to 16 clients of the load generator (:mod:`bench._load`), and
each figure and its baseline are measured in turns (:mod:`bench._turns`).

- **Decisions per second.** 160 learners each post 10 course outcomes, are enrolled in
  programme 5 and file one application naming them. The clients approve the items for a
  bounded time, 20 learners at a time (their items in turn, so no two requests wait on one
  learner's lock, and one decision in ten closes its application and numbers a
  certificate). The baseline: the same clients posting single outcomes
  (``bench/single_posts.py``'s post), in turns with the decisions.
- **The balance, flat.** The *veteran* has 1,000 approved transfers (programmes 0–4, every
  course, 20 applications, :func:`bench._approvals.approve_items`); the *newcomer* has the
  same 1,020 outcomes and none. ``GET …/balance`` of each, as ``bench/reads.py`` reads
  balances. Target: p50 with 1,000 transfers ≤ 1.3 × p50 with none.
- **One decision at 1,000 transfers.** 12 items of programme 5 approved one at a time
  through the Flask test client (the whole HTTP stack but the socket), for the veteran and
  the newcomer in turn: what the next decision costs a learner with a long ledger (a decision
  reads the learner's whole ledger of transfers: ``bench/_approvals.py``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bench import Figure, Options, Result
from bench._approvals import approve_items
from bench._college import (
    APPROVE,
    COURSES,
    College,
    course_outcome,
    decision_path,
    enrol,
    file_applications,
    open_college,
    post_outcomes,
    source_items,
    uncapped_ruleset,
)
from bench._harness import Api, add_learners, gunicorn, migrated_app, on_each_backend, settle
from bench._harness import summary as latency_summary
from bench._turns import Turn, in_turns, spec
from bench.single_posts import body as single_post
from creditbank.extensions import db
from tests.support.gunicorn import Gunicorn

PROGRAMMES = 6  # 0–4: the veteran's 1,000 transfers; 5: what is decided and timed
TRANSFERS = 5 * COURSES
TIMED = 12
LEARNERS, ITEMS = 160, 10  # the learners whose items are decided under load, and items each
GROUP = 20  # learners decided at a time (a turn of decisions has LEARNERS / TURNS)
POST_LEARNERS = 500  # the baseline's single posts go round these
CLIENTS = 16
# Measured in short turns (a figure's, its baseline's, …), each after a short warm-up.
TURNS = 4  # of each figure and each baseline: balances ABBA ABBA, writes P D P D P
SECONDS, WARMUP_SECONDS = 1.5, 0.5  # a turn
TURN = Turn(CLIENTS, SECONDS, WARMUP_SECONDS)
MAX_BALANCE_RATIO = 1.3
_SETTLED = ("transfer_items", "transfer_applications", "transfer_claims", "enrolments")


def run(options: Options) -> Result:
    details = {"clients": CLIENTS, "turns": TURNS, "seconds_a_turn": SECONDS}
    details |= {"learners": LEARNERS, "items_each": ITEMS, "transfers": TRANSFERS}
    return on_each_backend(options, Result(details=details), measure, figures)


def measure(backend: str, url: str, folder: Path) -> dict[str, Any]:
    measured: dict[str, Any] = {}
    with migrated_app(url, folder) as app:
        api = Api(app)
        uncapped_ruleset(api)
        provider = api.new_provider("BENCH")
        college = open_college(api, PROGRAMMES)
        started = time.perf_counter()
        veteran, newcomer, timed = learners_with_transfers(api, provider, college)
        measured["veteran_build_seconds"] = round(time.perf_counter() - started, 1)
        print(f"   {backend}: {TRANSFERS:,} transfers in {measured['veteran_build_seconds']} s")
        started = time.perf_counter()
        paths = pending_decisions(api, provider, college)
        measured["applications_build_seconds"] = round(time.perf_counter() - started, 1)
        measured["one_decision"] = timed_decisions(api, college, veteran, newcomer, timed)
        pool = add_learners(POST_LEARNERS)
        _settle()
    with gunicorn(url, folder) as server:
        measured["gunicorn"] = {"workers": server.workers, "threads": server.threads}
        measured |= _writes(server, provider, college, pool, paths)
        measured |= _balances(server, api.workstation, veteran, newcomer)
    decided = measured["decisions"]["statuses"].get("201", 0)
    measured["decisions_per_second"] = decided / measured["decisions"]["seconds"]
    measured["repeated_decisions"] = measured["decisions"]["statuses"].get("200", 0)
    print(
        f"   {backend}: {measured['decisions_per_second']:.0f} decisions/s, "
        f"{measured['single_posts']['rps']:.0f} single posts/s; balance "
        f"{measured['balance_1000']['rps']:.0f} vs {measured['balance_none']['rps']:.0f} req/s",
        flush=True,
    )
    if measured["repeated_decisions"]:
        print(f"   {backend}: the pool of {LEARNERS * ITEMS} items ran out", flush=True)
    return measured


def learners_with_transfers(
    api: Api, provider: dict[str, str], college: College, courses: int = COURSES, timed: int = TIMED
) -> tuple[str, str, dict[str, list[tuple[str, str]]]]:
    """The veteran, with ``courses`` approved transfers in each of programmes 0–4, and the
    newcomer, with none and the same outcomes; each with a pending application of ``timed``
    items in programme 5 (their ``(application id, item id)``, by learner)."""
    veteran, newcomer = add_learners(2)
    offered = {p: range(courses) for p in range(5)} | {5: range(timed)}
    pending, bulk = {}, []
    for learner in (veteran, newcomer):
        bodies = [course_outcome(learner, p, c) for p in offered for c in offered[p]]
        ids = post_outcomes(api, provider, bodies)
        for p in offered if learner == veteran else [5]:
            enrol(api, college.programmes[p], learner)
        sources = {p: source_items(ids, learner, p, offered[p]) for p in offered}
        pending[learner] = file_applications(api, learner, college.programmes[5], sources[5])
        if learner == veteran:
            for p in range(5):
                bulk += file_applications(api, learner, college.programmes[p], sources[p])
    approve_items(college.client_id, veteran, sorted({application for application, _ in bulk}))
    return veteran, newcomer, pending


def pending_decisions(
    api: Api,
    provider: dict[str, str],
    college: College,
    learners: int = LEARNERS,
    items: int = ITEMS,
    group: int = GROUP,
) -> list[str]:
    """``learners`` learners with a pending application of ``items`` items each in programme
    5; the paths of their decisions in the order the load generator takes them: ``group``
    learners at a time, their first items, their second items, …"""
    filed = {}
    chosen = add_learners(learners)
    bodies = [course_outcome(learner, 5, c) for learner in chosen for c in range(items)]
    ids = post_outcomes(api, provider, bodies)
    for learner in chosen:
        enrol(api, college.programmes[5], learner)
        sources = source_items(ids, learner, 5, range(items))
        filed[learner] = file_applications(api, learner, college.programmes[5], sources)
    paths = []
    for first in range(0, learners, group):
        these = chosen[first : first + group]
        paths += [decision_path(*filed[learner][i]) for i in range(items) for learner in these]
    return paths


def timed_decisions(
    api: Api, college: College, veteran: str, newcomer: str, items: dict[str, list[tuple[str, str]]]
) -> dict[str, Any]:
    """Each learner's pending items approved one at a time, the two learners in turn: the
    latencies in ms, checked after the clock stops."""
    samples: dict[str, list[float]] = {veteran: [], newcomer: []}
    for j in range(len(items[veteran])):
        for learner in (veteran, newcomer) if j % 2 == 0 else (newcomer, veteran):
            path = decision_path(*items[learner][j])
            started = time.perf_counter()
            response = api.post(path, college.headers, APPROVE)
            samples[learner].append((time.perf_counter() - started) * 1000)
            api.expect(201, response)
    return {
        "veteran": _rounded(latency_summary(samples[veteran])),
        "newcomer": _rounded(latency_summary(samples[newcomer])),
    }


def _writes(
    server: Gunicorn, provider: dict[str, str], college: College, pool: list[str], paths: list[str]
) -> dict[str, Any]:
    """Single posts and decisions in turns, posts first and last: ``TURNS`` turns of
    decisions, each with a slice of the items of its own (a repeated decision would answer
    200 and not count: the slices are meant not to run out), and ``TURNS + 1`` of posts."""

    def posts(turn: int) -> tuple[str, dict[str, Any]]:
        bodies = [single_post(learner).replace("single-", f"single-{turn}-") for learner in pool]
        headers, path = provider, "/api/v1/outcomes"
        return "single_posts", spec(
            server, TURN, "POST", [path], headers, bodies=bodies, expect=(201,)
        )

    def decisions(turn: int) -> tuple[str, dict[str, Any]]:
        share = len(paths) // TURNS
        mine = paths[turn * share : (turn + 1) * share]
        approve = [json.dumps(APPROVE)]
        return "decisions", spec(
            server, TURN, "POST", mine, college.headers, bodies=approve, expect=(201, 200)
        )

    turns = [posts(0)]
    for turn in range(TURNS):
        turns += [decisions(turn), posts(turn + 1)]
    return in_turns(turns)


def _balances(
    server: Gunicorn, staff: dict[str, str], veteran: str, newcomer: str
) -> dict[str, Any]:
    """The two learners' balances in turns: none, 1,000, 1,000, none, …"""

    def reads(learner: str) -> dict[str, Any]:
        return spec(server, TURN, "GET", [f"/api/v1/learners/{learner}/balance"], staff)

    none, full = ("balance_none", reads(newcomer)), ("balance_1000", reads(veteran))
    return in_turns([none, full, full, none] * (TURNS // 2))


def _settle() -> None:
    """:func:`bench._harness.settle`, and the same for the tables of the college half."""
    settle()
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql(f"VACUUM (ANALYZE) {', '.join(_SETTLED)}")


def figures(backend: str, measured: dict[str, Any]) -> list[Figure]:
    posts, decisions = measured["single_posts"], measured["decisions"]
    none, full = measured["balance_none"], measured["balance_1000"]
    one = measured["one_decision"]
    label = f"{backend}: decisions, {CLIENTS} clients (vs single posts)"
    balance = f"{backend}: balance, {TRANSFERS:,} transfers vs none"
    return [
        Figure(
            f"{label}, throughput",
            measured["decisions_per_second"],
            "req/s",
            baseline=posts["rps"],
        ),
        Figure(
            f"{label}, p50", decisions["latency_ms"]["p50"], baseline=posts["latency_ms"]["p50"]
        ),
        Figure(
            f"{balance}, p50",
            full["latency_ms"]["p50"],
            baseline=none["latency_ms"]["p50"],
            max_ratio=MAX_BALANCE_RATIO,
        ),
        Figure(balance, full["rps"], "req/s", baseline=none["rps"]),
        Figure(
            f"{backend}: one decision p50, {TRANSFERS:,} transfers vs none",
            one["veteran"]["p50"],
            baseline=one["newcomer"]["p50"],
        ),
    ]


def _rounded(figures: dict[str, float]) -> dict[str, float]:
    return {name: round(value, 3) for name, value in figures.items()}
