"""A college for the decision benchmarks, built through the API as a college and the
workstation would build it (PROGRAMMES.md): one college, programmes whose catalogues recognise
many courses, learners with course outcomes, enrolments and filed applications.

Every course ``C000``, ``C001``, … of programme *p*'s catalogue is worth 1.0 course credit and
is recognised by a ``course`` equivalence of an outcome course code of its own (``X<p><c>``), so
a learner's course outcome ``X<p><c>`` is the source of exactly one item. The catalogue's caps
refuse nothing: ``total_credits`` is the sum of its courses, ``share_percent`` 100 and
``per_source`` null. The bank runs on the default ruleset without its yearly and per-category
caps, so that every one of a learner's course outcomes is credited (a capped outcome earns 0
and cannot be named).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench._harness import Api
from creditbank.conversion.calendar import shanghai_date

RULESET = Path(__file__).resolve().parent.parent / "config" / "rulesets" / "yunyang-2026.json"
COURSES = 200  # per catalogue (a catalogue takes up to 500)
ITEMS_PER_APPLICATION = 50  # the most an application takes
OUTCOMES_PER_POST = 500
APPROVE = {"decision": "approve"}  # the grade defaults to the item's suggested one


@dataclass(frozen=True)
class College:
    college_id: str
    programmes: list[str]  # programme ids: programme p recognises outcome codes X<p><c>
    client_id: str  # a client of the college (the subject of its decisions) …
    headers: dict[str, str]  # … and its token


def uncapped_ruleset(api: Api) -> None:
    """The default ruleset without its caps, published as the one in force."""
    document = json.loads(RULESET.read_text(encoding="utf-8"))
    document["name"] = "基准测试规则（无年度和类别上限）"
    document["caps"] = None
    api.expect(201, api.post("/api/v1/rulesets", api.workstation, document))


def catalogue(programme: int, courses: int = COURSES) -> dict[str, Any]:
    """Programme ``programme``'s catalogue: ``courses`` courses of 1.0 credit, uncapped, each
    recognised by a course outcome of a code of its own."""
    return {
        "name": f"基准测试专业 {programme} 学分转换目录",
        "effective_from": "2026-01-01T00:00:00+08:00",
        "total_credits": f"{courses}.0",
        "caps": {"share_percent": 100, "online_share_percent": 100, "per_source": None},
        "courses": [
            {
                "code": f"C{c:03d}",
                "name": f"课程 {c}",
                "credits": "1.0",
                "kind": ("theory", "practice")[c % 2],
                "equivalences": [{"kind": "course", "course_code": source_code(programme, c)}],
            }
            for c in range(courses)
        ],
    }


def source_code(programme: int, course: int) -> str:
    """The outcome course code that course ``course`` of programme ``programme`` recognises."""
    return f"X{programme}{course:03d}"


def open_college(api: Api, programmes: int, school_code: str = "BENCH01") -> College:
    """A college, its ``programmes`` programmes each with its catalogue, and a client."""
    created = api.post(
        "/api/v1/colleges", api.workstation, {"school_code": school_code, "name": "基准测试学院"}
    )
    college_id = api.expect(201, created)["id"]
    programme_ids = []
    for p in range(programmes):
        body = {"code": f"51{p:04d}", "name": f"基准专业 {p}", "level_code": "21"}
        path = f"/api/v1/colleges/{college_id}/programmes"
        programme_id = api.expect(
            201, api.post(path, api.workstation, {**body, "category_code": "30"})
        )["id"]
        path = f"/api/v1/programmes/{programme_id}/catalogues"
        api.expect(201, api.post(path, api.workstation, catalogue(p)))
        programme_ids.append(programme_id)
    path = f"/api/v1/colleges/{college_id}/clients"
    credentials = api.expect(201, api.post(path, api.workstation, {"name": "教务处 基准"}))
    headers = api.token(credentials["client_id"], credentials["client_secret"])
    return College(college_id, programme_ids, credentials["client_id"], headers)


def course_outcome(learner_id: str, programme: int, course: int) -> dict[str, Any]:
    """The course outcome that is the source of course ``course`` of ``programme``."""
    achieved_on = shanghai_date(datetime.now(UTC)) - timedelta(days=30 + course % 300)
    return {
        "learner_id": learner_id,
        "external_ref": f"bench-{learner_id}-{programme}-{course}",
        "kind": "course",
        "course_code": source_code(programme, course),
        "credits": "1.0",
        "score": 60 + course % 41,
        "institution": "基准测试大学",
        "achieved_on": achieved_on.isoformat(),
    }


def post_outcomes(
    api: Api, provider: dict[str, str], bodies: Sequence[dict[str, Any]]
) -> dict[str, str]:
    """Post ``bodies`` in batches; the outcome ids by ``external_ref``, all credited."""
    ids: dict[str, str] = {}
    for first in range(0, len(bodies), OUTCOMES_PER_POST):
        batch = {"items": list(bodies[first : first + OUTCOMES_PER_POST])}
        for posted in api.expect(201, api.post("/api/v1/outcomes", provider, batch))["items"]:
            outcome = posted["outcome"]
            if outcome["status"] != "credited":
                raise RuntimeError(f"a benchmark outcome was not credited: {outcome}")
            ids[outcome["external_ref"]] = outcome["id"]
    return ids


def enrol(api: Api, programme_id: str, learner_id: str) -> None:
    body = {
        "learner_id": learner_id,
        "student_no": f"S{learner_id[-12:]}",
        "enrolled_on": "2026-09-01",
    }
    path = f"/api/v1/programmes/{programme_id}/enrolments"
    api.expect(201, api.post(path, api.workstation, body))


def file_applications(
    api: Api,
    learner_id: str,
    programme_id: str,
    sources: Sequence[tuple[str, str]],
) -> list[tuple[str, str]]:
    """File ``(course code, outcome id)`` items for the learner, as many applications as that
    takes; ``(application id, item id)`` of every item, in filing order."""
    items = []
    for first in range(0, len(sources), ITEMS_PER_APPLICATION):
        chunk = sources[first : first + ITEMS_PER_APPLICATION]
        body = {
            "learner_id": learner_id,
            "programme_id": programme_id,
            "external_ref": f"bench-{programme_id}-{chunk[0][0]}",
            "items": [{"course_code": code, "outcome_ids": [oid]} for code, oid in chunk],
        }
        filed = api.expect(201, api.post("/api/v1/applications", api.workstation, body))
        items += [(filed["id"], item["id"]) for item in filed["items"]]
    return items


def decision_path(application_id: str, item_id: str) -> str:
    return f"/api/v1/applications/{application_id}/items/{item_id}/decision"


def source_items(
    ids: dict[str, str], learner_id: str, programme: int, courses: range
) -> list[tuple[str, str]]:
    """``(course code, outcome id)`` of these courses of ``programme``, from what
    :func:`post_outcomes` answered for the learner's :func:`course_outcome` bodies."""
    return [(f"C{c:03d}", ids[f"bench-{learner_id}-{programme}-{c}"]) for c in courses]
