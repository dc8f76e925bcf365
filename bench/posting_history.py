"""Posting for a learner with a long history costs about what posting for a new learner does.

Every post re-evaluates the learner's whole history (services/conversion.py), so its cost grows
with the history. The conversion-engine issue wants a learner with 2,000 outcomes to post "in
well under 100 ms on SQLite", and the performance issue holds that post to at most twice the
median of a post for a new learner, measured in the same run.

The learner gets 2,000 outcomes of mixed kinds in 20 batches of 100, all recorded this year (so
the yearly and category caps saturate, as they would for a busy learner). Then N single posts
for that learner are timed, interleaved with N single posts each for a new learner, through the
Flask test client with a real provider token: the whole HTTP stack but the socket.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import Figure, Options, Result
from bench._harness import Api, migrated_app, on_each_backend, summary
from creditbank.conversion.calendar import shanghai_date

RULESET = Path(__file__).resolve().parent.parent / "config" / "rulesets" / "yunyang-2026.json"
HISTORY = 2000
BATCH = 100
WARMUP = 10
POSTS = 200
PROFILED_POSTS = 10  # with --profile, after the timed posts
MAX_RATIO = 2.0
MAX_MS_ON_SQLITE = 100.0

# Mostly training hours, as at a county training centre; every other kind appears too.
MIX = (
    "training_hours",
    "training_hours",
    "training_hours",
    "course",
    "certificate",
    "skill_level",
    "competition",
    "informal",
)
CERTIFICATES = ("1X-WEB-FRONTEND", "1X-SMART-MFG", "1X-ELDERLY-CARE", "1X-BIM", "NCRE-2")

_FIELDS: dict[str, Callable[[int], dict[str, Any]]] = {
    "training_hours": lambda i: {
        "category": ("theory", "practice")[i // 8 % 2],
        "hours": str(4 + i % 13),
    },
    "course": lambda i: {
        "course_code": f"K{i % 400:04d}",
        "credits": "2.0",
        "score": 50 + i % 50,
        "institution": "云阳县职业教育中心",
    },
    "certificate": lambda i: {
        "certificate_code": CERTIFICATES[i % len(CERTIFICATES)],
        "level": ("junior", "intermediate", "senior")[i // 8 % 3],
        "certificate_no": f"C{i:06d}",
    },
    "skill_level": lambda i: {
        "occupation_code": f"6-{i % 7:02d}",
        "level": 1 + i % 5,
        "certificate_no": f"S{i:06d}",
    },
    "competition": lambda i: {
        "scope": ("national", "provincial", "municipal", "county")[i // 8 % 4],
        "rank": 1 + i % 3,
        "event": f"技能大赛 {i}",
    },
    "informal": lambda i: {"description": f"社区志愿服务 {i}"},
}


def run(options: Options) -> Result:
    result = Result(
        details={
            "history_outcomes": HISTORY,
            "posts_timed": POSTS,
            "warmup_posts": WARMUP,
            "ruleset": RULESET.name,
        }
    )
    return on_each_backend(
        options,
        result,
        lambda backend, url, folder: measure(backend, url, folder, options),
        lambda backend, measured: figures(backend, measured["veteran"], measured["newcomer"]),
    )


def measure(backend: str, url: str, folder: Path, options: Options) -> dict[str, Any]:
    """Latencies of posts for the learner with history and for new learners, in ms."""
    print(f"   {backend}: building a learner with {HISTORY:,} outcomes …", flush=True)
    with migrated_app(url, folder) as app:
        api = Api(app)
        api.publish_ruleset(RULESET)
        provider = api.new_provider("BENCH")
        veteran = api.new_learner("李四")
        started = time.perf_counter()
        for first in range(0, HISTORY, BATCH):
            items = [outcome(i, veteran) for i in range(first, first + BATCH)]
            api.expect(201, api.post("/api/v1/outcomes", provider, {"items": items}))
        built_s = time.perf_counter() - started
        newcomers = [api.new_learner() for _ in range(WARMUP + POSTS)]
        print(f"   {backend}: timing {POSTS} posts each …", flush=True)
        veteran_ms: list[float] = []
        newcomer_ms: list[float] = []
        for j in range(WARMUP + POSTS):
            i = HISTORY + j  # the same body shape for both; refs and numbers stay unique
            pair = [(veteran, veteran_ms), (newcomers[j], newcomer_ms)]
            for learner, samples in pair if j % 2 == 0 else reversed(pair):
                elapsed = timed_post(api, provider, outcome(i, learner))
                if j >= WARMUP:
                    samples.append(elapsed)
        measured: dict[str, Any] = {
            "history_build_seconds": round(built_s, 2),
            "veteran_outcomes_when_timed": [HISTORY + WARMUP, HISTORY + WARMUP + POSTS - 1],
            "veteran": _rounded(summary(veteran_ms)),
            "newcomer": _rounded(summary(newcomer_ms)),
        }
        if options.profile:
            measured["profile"] = profile_post(api, provider, veteran, backend, options)
        return measured


def outcome(i: int, learner_id: str) -> dict[str, Any]:
    """The ``i``-th outcome of the mix, achieved some day in the past year."""
    kind = MIX[i % len(MIX)]
    return {
        "learner_id": learner_id,
        "external_ref": f"bench-{learner_id}-{i}",
        "kind": kind,
        "achieved_on": (shanghai_date(datetime.now(UTC)) - timedelta(days=1 + i % 300)).isoformat(),
        **_FIELDS[kind](i),
    }


def timed_post(api: Api, provider: dict[str, str], body: dict[str, Any]) -> float:
    """One single post, in milliseconds; checked after the clock stops."""
    started = time.perf_counter()
    response = api.post("/api/v1/outcomes", provider, body)
    elapsed = (time.perf_counter() - started) * 1000
    api.expect(201, response)
    return elapsed


def figures(backend: str, veteran: dict[str, float], newcomer: dict[str, float]) -> list[Figure]:
    label = f"{backend}: post, {HISTORY:,} outcomes vs new learner"
    return [
        Figure(f"{label}, p50", veteran["p50"], baseline=newcomer["p50"], max_ratio=MAX_RATIO),
        Figure(
            f"{label}, p95",
            veteran["p95"],
            baseline=newcomer["p95"],
            max_value=MAX_MS_ON_SQLITE if backend == "sqlite" else None,
        ),
        Figure(f"{label}, mean", veteran["mean"], baseline=newcomer["mean"]),
    ]


def profile_post(
    api: Api, provider: dict[str, str], learner_id: str, backend: str, options: Options
) -> str | None:
    """A few more posts for the veteran under pyinstrument; the text report's path."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("   (pyinstrument is not installed: no profile)", flush=True)
        return None
    first = HISTORY + WARMUP + POSTS
    profiler = Profiler(interval=0.001)
    with profiler:
        for i in range(first, first + PROFILED_POSTS):
            api.expect(201, api.post("/api/v1/outcomes", provider, outcome(i, learner_id)))
    path = options.results / f"posting_history.{backend}.profile.txt"
    path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    print(f"   {backend}: profile of {PROFILED_POSTS} posts in {path}", flush=True)
    return str(path)


def _rounded(figures: dict[str, float]) -> dict[str, float]:
    return {name: round(value, 3) for name, value in figures.items()}
