"""A college's decisions per second, and the balance of a learner with 1,000 transfers.

One college (:mod:`bench._college`) with six programmes, each with a catalogue of 200 courses
of 1.0 credit, each recognised by a course outcome of a code of its own; caps that refuse
nothing; the default ruleset without its yearly caps, so every course outcome is credited.
A real gunicorn serves the bank to 16 clients of the load generator (:mod:`bench._load`); each
figure and its baseline are measured in turns (:mod:`bench._turns`) or by the same clients.

- **Decisions per second.** 150 learners each post (up to) 10 course outcomes, are enrolled
  in programme 5 and file one application naming them. The clients approve the items for a
  bounded time, 20 learners at a time (:func:`pending_decisions`: no request waits on another
  for a learner's lock, and one decision in ten closes its application and numbers a
  certificate). The baseline: the same clients posting single outcomes
  (``bench/single_posts.py``'s post) before and after, half as long each time.
- **The balance, flat.** The *veteran* has 1,000 approved transfers (programmes 0–4, every
  course, 20 applications, :func:`bench._approvals.approve_items`); the *newcomer* has the
  same 1,020 outcomes and none. ``GET …/balance`` of each, as ``bench/reads.py`` reads
  balances, every other request of the same clients (``by_path`` of the load generator).
  Target: p50 with 1,000 transfers ≤ 1.3 × p50 with none.
- **One decision at 1,000 transfers.** 12 items of programme 5 approved one at a time
  through the Flask test client (the whole HTTP stack but the socket), for the veteran and
  the newcomer in turn: what the next decision costs a learner with a long ledger (a decision
  reads the learner's whole ledger of transfers: ``bench/_approvals.py``).
"""

from __future__ import annotations

import json
import time
from itertools import zip_longest
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
from bench._load import run_load
from bench._turns import Turn, in_turns, spec
from bench.single_posts import body as single_post
from creditbank.extensions import db
from tests.support.gunicorn import Gunicorn

PROGRAMMES = 6  # 0–4: the veteran's 1,000 transfers; 5: what is decided and timed
TRANSFERS = 5 * COURSES
TIMED = 12
LEARNERS, ITEMS = 150, 10  # the learners whose items are decided under load, and items each
SLOTS = 20  # learners decided at a time (more than CLIENTS: no request waits on another)
POST_LEARNERS = 500  # the baseline's single posts go round these
CLIENTS = 16
# Posts, decisions, posts (a drift of the machine costs the posts as much as the decisions),
# then the two balances, in turn on every client. Only requests started and answered within a
# turn count, so a turn lasts many times a decision's latency.
POSTS = Turn(CLIENTS, 4, 1)
DECISIONS = Turn(CLIENTS, 8, 1)
BALANCES = Turn(CLIENTS, 6, 1)
MAX_BALANCE_RATIO = 1.3
_SETTLED = ("transfer_items", "transfer_applications", "transfer_claims", "enrolments")


def run(options: Options) -> Result:
    details = {"clients": CLIENTS, "seconds": {"posts": "2 x 4", "decisions": 8, "balances": 6}}
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
        f"{measured['single_posts']['rps']:.0f} single posts/s; balances "
        f"{measured['balances']['rps']:.0f} req/s",
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
    slots: int = SLOTS,
) -> list[str]:
    """``learners`` learners with a pending application in programme 5; the paths of their
    decisions in the order the load generator takes them. Each of ``slots`` slots decides
    its learners' items one learner after another, and the slots take turns, so that
    consecutive decisions are different learners'. A slot's first learner files fewer items
    (``items``, ``items`` − 1, … by slot) and the others ``items`` each: the slots close their
    applications out of step, one decision in ``items`` whatever stretch is measured."""
    chosen = add_learners(learners)
    sizes = [items - (j % items if j < slots else 0) for j in range(learners)]
    bodies = [course_outcome(chosen[j], 5, c) for j in range(learners) for c in range(sizes[j])]
    ids = post_outcomes(api, provider, bodies)
    queues: list[list[str]] = [[] for _ in range(slots)]
    for j, learner in enumerate(chosen):
        enrol(api, college.programmes[5], learner)
        sources = source_items(ids, learner, 5, range(sizes[j]))
        filed = file_applications(api, learner, college.programmes[5], sources)
        queues[j % slots] += [decision_path(*item) for item in filed]
    return [path for turn in zip_longest(*queues) for path in turn if path is not None]


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
    """Single posts, decisions, single posts (:func:`bench._turns.in_turns`). A repeated
    decision would answer 200 and not count: the items are meant not to run out."""

    def posts(turn: int) -> tuple[str, dict[str, Any]]:
        bodies = [single_post(learner).replace("single-", f"single-{turn}-") for learner in pool]
        headers, path = provider, "/api/v1/outcomes"
        return "single_posts", spec(
            server, POSTS, "POST", [path], headers, bodies=bodies, expect=(201,)
        )

    approve = [json.dumps(APPROVE)]
    decisions = spec(
        server, DECISIONS, "POST", paths, college.headers, bodies=approve, expect=(201, 200)
    )
    return in_turns([posts(1), ("decisions", decisions), posts(2)])


def _balances(
    server: Gunicorn, staff: dict[str, str], veteran: str, newcomer: str
) -> dict[str, Any]:
    """The two learners' balances read by the same clients, every
    other request each, so that both see the same machine at every moment; the latencies of
    each apart."""
    paths = {
        name: f"/api/v1/learners/{learner}/balance"
        for name, learner in (("balance_none", newcomer), ("balance_1000", veteran))
    }
    reads = run_load(
        {**spec(server, BALANCES, "GET", list(paths.values()), staff), "by_path": True}
    )
    measured = {name: reads["by_path"][path] for name, path in paths.items()}
    return {**measured, "balances": {k: v for k, v in reads.items() if k != "by_path"}}


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
        Figure(f"{balance}, p90", full["latency_ms"]["p90"], baseline=none["latency_ms"]["p90"]),
        Figure(
            f"{backend}: one decision p50, {TRANSFERS:,} transfers vs none",
            one["veteran"]["p50"],
            baseline=one["newcomer"]["p50"],
        ),
    ]


def _rounded(figures: dict[str, float]) -> dict[str, float]:
    return {name: round(value, 3) for name, value in figures.items()}
