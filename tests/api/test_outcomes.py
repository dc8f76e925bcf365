"""Posting, replaying, batching, voiding and listing outcomes (API.md § Outcomes)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.api.helpers import (
    assert_problem,
    ledger_of,
    shanghai_today,
    shanghai_tomorrow,
    walk_pages,
)

OUTCOMES = "/api/v1/outcomes"
DROP = object()  # remove the field from the body

VALID: dict[str, dict[str, Any]] = {
    "training_hours": {"hours": "10", "category": "theory"},
    "certificate": {"certificate_code": "1X-WEB", "level": "junior", "certificate_no": "C-001"},
    "skill_level": {"occupation_code": "6-20-99", "level": 3, "certificate_no": "S-001"},
    "competition": {"scope": "national", "rank": 1, "event": "全国职业院校技能大赛"},
    "course": {
        "course_code": "MATH101",
        "credits": "3.0",
        "score": 85,
        "institution": "重庆开放大学",
    },
    "informal": {"description": "社区志愿讲解 40 小时"},
}
# What each valid body earns under the default test ruleset of conftest.publish_ruleset.
EARNS = {
    "training_hours": ("credited", "0.5"),
    "certificate": ("credited", "2.0"),
    "skill_level": ("credited", "4.0"),
    "competition": ("credited", "4.0"),
    "course": ("credited", "3.0"),
    "informal": ("pending_review", "0.0"),
}
INVALID: dict[str, list[tuple[str, dict[str, Any], str]]] = {
    "training_hours": [
        ("missing hours", {"hours": DROP}, "hours"),
        ("missing category", {"category": DROP}, "category"),
        ("zero hours", {"hours": 0}, "hours"),
        ("negative hours", {"hours": "-1"}, "hours"),
        ("hours over 2000", {"hours": "2000.1"}, "hours"),
        ("hours 2001", {"hours": 2001}, "hours"),
        ("two places as number", {"hours": 3.25}, "hours"),
        ("two places as string", {"hours": "3.10"}, "hours"),
        ("hours not a number", {"hours": "ten"}, "hours"),
        ("hours boolean", {"hours": True}, "hours"),
        ("hours with a trailing newline", {"hours": "10\n"}, "hours"),
        ("category with a trailing newline", {"category": "theory\n"}, "category"),
    ],
    "certificate": [
        ("missing code", {"certificate_code": DROP}, "certificate_code"),
        ("missing number", {"certificate_no": DROP}, "certificate_no"),
        ("unknown level", {"level": "expert"}, "level"),
        ("bad valid_until", {"valid_until": "someday"}, "valid_until"),
    ],
    "skill_level": [
        ("missing occupation", {"occupation_code": DROP}, "occupation_code"),
        ("missing level", {"level": DROP}, "level"),
        ("missing number", {"certificate_no": DROP}, "certificate_no"),
        ("level 6", {"level": 6}, "level"),
        ("level 0", {"level": 0}, "level"),
        ("level 2.5", {"level": 2.5}, "level"),
    ],
    "competition": [
        ("missing scope", {"scope": DROP}, "scope"),
        ("missing rank", {"rank": DROP}, "rank"),
        ("missing event", {"event": DROP}, "event"),
        ("rank 4", {"rank": 4}, "rank"),
        ("rank 0", {"rank": 0}, "rank"),
        ("unknown scope", {"scope": "world"}, "scope"),
    ],
    "course": [
        ("missing code", {"course_code": DROP}, "course_code"),
        ("missing credits", {"credits": DROP}, "credits"),
        ("missing score", {"score": DROP}, "score"),
        ("missing institution", {"institution": DROP}, "institution"),
        ("score 101", {"score": 101}, "score"),
        ("score -1", {"score": -1}, "score"),
        ("credits two places", {"credits": 3.25}, "credits"),
        ("credits two places as string", {"credits": "3.10"}, "credits"),
        ("negative credits", {"credits": "-1.0"}, "credits"),
    ],
    "informal": [
        ("missing description", {"description": DROP}, "description"),
        ("empty description", {"description": ""}, "description"),
    ],
}
COMMON_INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("missing learner_id", {"learner_id": DROP}, "learner_id"),
    ("missing external_ref", {"external_ref": DROP}, "external_ref"),
    ("empty external_ref", {"external_ref": ""}, "external_ref"),
    ("external_ref of 129", {"external_ref": "r" * 129}, "external_ref"),
    ("missing achieved_on", {"achieved_on": DROP}, "achieved_on"),
    ("achieved_on tomorrow", {"achieved_on": "TOMORROW"}, "achieved_on"),
    ("achieved_on not a date", {"achieved_on": "15/01/2026"}, "achieved_on"),
    ("unknown field", {"colour": "red"}, "colour"),
    ("unknown kind", {"kind": "hobby"}, "kind"),
    ("missing kind", {"kind": DROP}, "kind"),
    ("kind a list", {"kind": ["informal"]}, "kind"),
    ("kind an object", {"kind": {"name": "informal"}}, "kind"),
    ("category with a trailing newline", {"category": "volunteering\n"}, "category"),
]


def body_of(kind: str, learner_id: str, /, **changes: Any) -> dict[str, Any]:
    """A valid outcome of ``kind``; ``changes`` replace fields (``DROP`` removes one)."""
    body: dict[str, Any] = {
        "learner_id": learner_id,
        "external_ref": f"ref-{os.urandom(6).hex()}",
        "kind": kind,
        "achieved_on": "2026-01-15",
        **VALID[kind],
    }
    for name, value in changes.items():
        if value is DROP:
            body.pop(name, None)
        elif value == "TOMORROW":
            body[name] = shanghai_tomorrow()
        else:
            body[name] = value
    return body


def post(api, headers, body):
    return api.post(OUTCOMES, headers, json=body)


def outcome_ids(api, headers, query: str = "") -> list[str]:
    return [item["id"] for item in walk_pages(api, OUTCOMES + query, headers)]


@pytest.fixture
def bank(api):
    """A ruleset in force, a learner and a provider: (api, learner_id, provider headers)."""
    api.publish_ruleset()
    _, provider = api.new_provider()
    return api, api.new_learner(), provider


# -- one outcome -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(VALID))
def test_every_kind_is_accepted_and_converted(bank, kind):
    api, learner, provider = bank
    body = body_of(kind, learner)

    response = post(api, provider, body)

    assert response.status_code == 201, response.get_json()
    outcome = response.get_json()["outcome"]
    assert outcome["id"]
    assert outcome["learner_id"] == learner
    assert outcome["kind"] == kind
    assert outcome["external_ref"] == body["external_ref"]
    assert outcome["achieved_on"] == "2026-01-15"
    assert outcome["seq"] == 1
    assert outcome["ruleset_id"]
    assert (outcome["status"], outcome["credits"]) == EARNS[kind]
    credits = response.get_json()["credits"]
    if EARNS[kind][1] == "0.0":
        assert credits == []
    else:
        assert [c["delta"] for c in credits] == [EARNS[kind][1]]
        assert {c["outcome_id"] for c in credits} == {outcome["id"]}
        assert {c["ruleset_id"] for c in credits} == {outcome["ruleset_id"]}


def test_amounts_come_back_as_one_place_decimal_strings(bank):
    api, learner, provider = bank

    response = post(api, provider, body_of("training_hours", learner, hours=16))

    outcome = response.get_json()["outcome"]
    assert outcome["hours"] == "16.0"
    assert outcome["credits"] == "1.0"
    assert outcome["category"] == "theory"
    assert response.get_json()["credits"][0]["running_total"] == "1.0"


def test_category_defaults_to_the_kind_name(bank):
    api, learner, provider = bank

    response = post(api, provider, body_of("certificate", learner))

    assert response.get_json()["outcome"]["category"] == "certificate"


def test_boundary_values_are_accepted(bank):
    api, learner, provider = bank
    bodies = [
        body_of("training_hours", learner, hours="2000"),
        body_of("training_hours", learner, hours="0.1"),
        body_of("course", learner, score=100, course_code="A"),
        body_of("course", learner, score=0, course_code="B"),
        body_of("competition", learner, rank=3, event="县赛"),
        body_of("skill_level", learner, level=5, certificate_no="S-5"),
        body_of("skill_level", learner, level=1, certificate_no="S-1", occupation_code="X"),
        body_of("informal", learner, external_ref="r" * 128),
        body_of("informal", learner, achieved_on=shanghai_today().isoformat()),
    ]

    statuses = [post(api, provider, body).status_code for body in bodies]

    assert statuses == [201] * len(bodies)


@pytest.mark.parametrize("kind", sorted(INVALID))
def test_invalid_fields_of_each_kind_are_422_naming_the_field(bank, kind):
    api, learner, provider = bank

    for case, changes, field in INVALID[kind]:
        response = post(api, provider, body_of(kind, learner, **changes))
        body = assert_problem(response, 422, "validation_error", field)
        assert set(body["errors"]) == {field}, (case, body["errors"])

    assert ledger_of(api, learner, api.workstation) == []


def test_invalid_common_fields_are_422_naming_the_field(bank):
    api, learner, provider = bank

    for case, changes, field in COMMON_INVALID:
        response = post(api, provider, body_of("informal", learner, **changes))
        body = assert_problem(response, 422, "validation_error", field)
        assert field in body["errors"], (case, body["errors"])

    assert ledger_of(api, learner, api.workstation) == []


def test_over_precise_amount_is_refused_never_rounded(bank):
    api, learner, provider = bank
    body = body_of("training_hours", learner, hours=3.25)

    refused = post(api, provider, body)
    accepted = post(api, provider, {**body, "hours": "3.2"})

    assert_problem(refused, 422, "validation_error", "hours")
    assert accepted.status_code == 201  # the same external_ref was never written
    assert accepted.get_json()["outcome"]["hours"] == "3.2"


def test_hours_category_not_in_the_active_ruleset_is_422_category(bank):
    api, learner, provider = bank

    response = post(api, provider, body_of("training_hours", learner, category="cooking"))

    assert_problem(response, 422, "validation_error", "category")
    assert ledger_of(api, learner, api.workstation) == []


def test_unknown_learner_is_422_unknown_learner_keyed_learner_id(bank):
    api, _, provider = bank

    response = post(api, provider, body_of("informal", "L_nobody"))

    assert_problem(response, 422, "unknown_learner", "learner_id")
    assert outcome_ids(api, provider) == []


def test_before_any_ruleset_every_outcome_waits_for_review(api):
    _, provider = api.new_provider()
    learner = api.new_learner()

    for kind in sorted(VALID):
        response = post(api, provider, body_of(kind, learner))
        assert response.status_code == 201, (kind, response.get_json())
        outcome = response.get_json()["outcome"]
        assert (outcome["status"], outcome["reason"]) == ("pending_review", "no_ruleset"), kind
        assert outcome["ruleset_id"] is None
        assert outcome["credits"] == "0.0"
        assert response.get_json()["credits"] == []

    balance = api.get(f"/api/v1/learners/{learner}/balance", api.workstation).get_json()
    assert balance["total"] == "0.0"


def test_only_providers_post_outcomes(bank):
    api, learner, _ = bank
    body = body_of("informal", learner)

    for headers in (api.workstation, api.auditor, api.learner_headers(learner)):
        assert_problem(post(api, headers, body), 403, "forbidden")
    assert ledger_of(api, learner, api.workstation) == []


# -- idempotency -----------------------------------------------------------------------------


def test_replay_of_the_same_body_is_200_with_the_original_result(bank):
    api, learner, provider = bank
    body = body_of("training_hours", learner)
    first = post(api, provider, body)
    entries = ledger_of(api, learner, api.workstation)

    replay = post(api, provider, body)

    assert first.status_code == 201
    assert replay.status_code == 200
    assert replay.get_json()["outcome"] == first.get_json()["outcome"]
    assert replay.get_json()["credits"] == first.get_json()["credits"]
    assert ledger_of(api, learner, api.workstation) == entries


def test_replay_compares_normalised_amounts(bank):
    api, learner, provider = bank
    body = body_of("training_hours", learner, hours=3)
    first = post(api, provider, body).get_json()["outcome"]["id"]

    as_string = post(api, provider, {**body, "hours": "3.0"})
    as_decimal = post(api, provider, {**body, "hours": 3.0})

    assert (as_string.status_code, as_decimal.status_code) == (200, 200)
    assert as_string.get_json()["outcome"]["id"] == first
    assert as_decimal.get_json()["outcome"]["id"] == first


def test_replay_treats_an_omitted_optional_field_as_null(bank):
    api, learner, provider = bank
    body = body_of("certificate", learner)  # no title, no valid_until, no category
    first = post(api, provider, body).get_json()["outcome"]["id"]

    replay = post(api, provider, {**body, "title": None, "valid_until": None, "category": None})

    assert replay.status_code == 200
    assert replay.get_json()["outcome"]["id"] == first


def test_same_external_ref_with_a_different_body_is_409_and_writes_nothing(bank):
    api, learner, provider = bank
    body = body_of("training_hours", learner)
    first = post(api, provider, body).get_json()["outcome"]
    entries = ledger_of(api, learner, api.workstation)

    response = post(api, provider, {**body, "hours": "11"})

    assert_problem(response, 409, "idempotency_conflict")
    assert ledger_of(api, learner, api.workstation) == entries
    stored = api.get(f"{OUTCOMES}/{first['id']}", provider).get_json()
    assert stored["hours"] == "10.0"


def test_external_ref_is_scoped_to_the_provider(bank):
    api, learner, provider = bank
    _, other = api.new_provider()
    body = body_of("informal", learner)

    mine = post(api, provider, body)
    theirs = post(api, other, body)

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.get_json()["outcome"]["id"] != theirs.get_json()["outcome"]["id"]


def test_replay_after_void_is_200_with_the_outcome_voided(bank):
    api, learner, provider = bank
    body = body_of("certificate", learner)
    outcome_id = post(api, provider, body).get_json()["outcome"]["id"]
    voided = api.post(f"{OUTCOMES}/{outcome_id}/void", provider, json={"reason": "错报"})
    assert voided.status_code == 201

    replay = post(api, provider, body)

    assert replay.status_code == 200
    assert replay.get_json()["outcome"]["id"] == outcome_id
    assert replay.get_json()["outcome"]["status"] == "voided"


# -- batches ---------------------------------------------------------------------------------


def post_batch(api, headers, items):
    return api.post(OUTCOMES, headers, json={"items": items})


def test_batch_is_201_with_one_result_per_item_in_order(bank):
    api, learner, provider = bank
    other = api.new_learner()
    items = [body_of("certificate", learner), body_of("informal", other)]

    response = post_batch(api, provider, items)

    assert response.status_code == 201
    results = response.get_json()["items"]
    assert [r["outcome"]["external_ref"] for r in results] == [i["external_ref"] for i in items]
    assert [r["outcome"]["learner_id"] for r in results] == [learner, other]
    assert [r["outcome"]["status"] for r in results] == ["credited", "pending_review"]
    assert not any(r.get("replayed") for r in results)


def test_batch_with_one_invalid_item_is_422_keyed_by_index_and_writes_nothing(bank):
    api, learner, provider = bank
    other = api.new_learner()
    items = [body_of("certificate", learner), body_of("training_hours", other, hours=0)]

    response = post_batch(api, provider, items)

    body = assert_problem(response, 422, "validation_error", "items.1.hours")
    assert not any(key.startswith("items.0") for key in body["errors"])
    assert ledger_of(api, learner, api.workstation) == []
    assert outcome_ids(api, provider) == []


def test_batch_with_an_unknown_category_is_422_keyed_by_index_and_writes_nothing(bank):
    api, learner, provider = bank
    items = [
        body_of("training_hours", learner),
        body_of("training_hours", learner, category="cooking"),
    ]

    response = post_batch(api, provider, items)

    assert_problem(response, 422, "validation_error", "items.1.category")
    assert ledger_of(api, learner, api.workstation) == []


def test_batch_with_an_unknown_learner_is_422_keyed_items_i_learner_id(bank):
    api, learner, provider = bank
    items = [body_of("informal", learner), body_of("informal", "L_nobody")]

    response = post_batch(api, provider, items)

    assert_problem(response, 422, "unknown_learner", "items.1.learner_id")
    assert ledger_of(api, learner, api.workstation) == []


def test_batch_of_1001_items_is_422(bank):
    api, learner, provider = bank
    items = [body_of("informal", learner) for _ in range(1001)]

    response = post_batch(api, provider, items)

    assert_problem(response, 422, "validation_error", "items")
    assert ledger_of(api, learner, api.workstation) == []


def test_batch_item_with_a_non_string_kind_is_422_keyed_by_index(bank):
    api, learner, provider = bank
    items = [body_of("informal", learner), body_of("informal", learner, kind=["informal"])]

    response = post_batch(api, provider, items)

    assert_problem(response, 422, "validation_error", "items.1.kind")


def test_empty_batch_is_422(bank):
    api, _, provider = bank

    assert_problem(post_batch(api, provider, []), 422, "validation_error", "items")


def test_same_external_ref_twice_in_one_batch_is_422_on_the_second(bank):
    api, learner, provider = bank
    first = body_of("informal", learner)
    items = [first, body_of("informal", learner), {**first, "description": "又一次"}]

    response = post_batch(api, provider, items)

    body = assert_problem(response, 422, "validation_error", "items.2.external_ref")
    assert "items.0.external_ref" not in body["errors"]
    assert ledger_of(api, learner, api.workstation) == []


def test_batch_of_replays_only_is_200_with_every_item_replayed(bank):
    api, learner, provider = bank
    items = [body_of("certificate", learner), body_of("informal", learner)]
    first = post_batch(api, provider, items).get_json()["items"]
    entries = ledger_of(api, learner, api.workstation)

    again = post_batch(api, provider, items)

    assert again.status_code == 200
    results = again.get_json()["items"]
    assert [r["replayed"] for r in results] == [True, True]
    assert [r["outcome"]["id"] for r in results] == [r["outcome"]["id"] for r in first]
    assert ledger_of(api, learner, api.workstation) == entries


def test_mixed_batch_is_201_with_replayed_items_marked(bank):
    api, learner, provider = bank
    old = body_of("certificate", learner)
    old_id = post(api, provider, old).get_json()["outcome"]["id"]
    new = body_of("informal", learner)

    response = post_batch(api, provider, [new, old])

    assert response.status_code == 201
    results = response.get_json()["items"]
    assert results[1]["replayed"] is True
    assert results[1]["outcome"]["id"] == old_id
    assert results[0].get("replayed") is not True
    assert results[0]["outcome"]["id"] != old_id
    assert len(outcome_ids(api, provider)) == 2


def test_batch_with_a_conflicting_item_is_409_and_writes_nothing(bank):
    api, learner, provider = bank
    old = body_of("training_hours", learner)
    post(api, provider, old)
    entries = ledger_of(api, learner, api.workstation)
    new = body_of("informal", learner)

    response = post_batch(api, provider, [new, {**old, "hours": "12"}])

    assert_problem(response, 409, "idempotency_conflict")
    assert ledger_of(api, learner, api.workstation) == entries
    assert post(api, provider, new).status_code == 201  # the new item was never written


def test_batch_validation_comes_before_conflict(bank):
    api, learner, provider = bank
    old = body_of("training_hours", learner)
    post(api, provider, old)

    response = post_batch(
        api, provider, [{**old, "hours": "12"}, body_of("informal", "L_x", description="")]
    )

    assert_problem(response, 422, "validation_error", "items.1.description")


# -- voids -----------------------------------------------------------------------------------


def void(api, headers, outcome_id, reason="录入错误"):
    return api.post(f"{OUTCOMES}/{outcome_id}/void", headers, json={"reason": reason})


def test_provider_voids_its_own_outcome_and_the_credits_are_reversed(bank):
    api, learner, provider = bank
    outcome_id = post(api, provider, body_of("certificate", learner)).get_json()["outcome"]["id"]

    response = void(api, provider, outcome_id)

    assert response.status_code == 201
    body = response.get_json()
    assert body["void"]["kind"] == "void"
    assert body["void"]["outcome_id"] == outcome_id
    assert [(c["outcome_id"], c["delta"]) for c in body["credits"]] == [(outcome_id, "-2.0")]
    outcome = api.get(f"{OUTCOMES}/{outcome_id}", provider).get_json()
    assert (outcome["status"], outcome["credits"]) == ("voided", "0.0")
    balance = api.get(f"/api/v1/learners/{learner}/balance", api.workstation).get_json()
    assert balance["total"] == "0.0"


def test_provider_cannot_void_another_providers_outcome(bank):
    api, learner, provider = bank
    _, other = api.new_provider()
    outcome_id = post(api, provider, body_of("certificate", learner)).get_json()["outcome"]["id"]
    entries = ledger_of(api, learner, api.workstation)

    assert_problem(void(api, other, outcome_id), 403, "forbidden")
    assert ledger_of(api, learner, api.workstation) == entries


def test_workstation_voids_any_outcome(bank):
    api, learner, provider = bank
    outcome_id = post(api, provider, body_of("certificate", learner)).get_json()["outcome"]["id"]

    response = void(api, api.workstation, outcome_id)

    assert response.status_code == 201
    outcome = api.get(f"{OUTCOMES}/{outcome_id}", api.workstation).get_json()
    assert outcome["status"] == "voided"


def test_voiding_twice_is_409_already_voided(bank):
    api, learner, provider = bank
    outcome_id = post(api, provider, body_of("informal", learner)).get_json()["outcome"]["id"]
    assert void(api, provider, outcome_id).status_code == 201
    entries = ledger_of(api, learner, api.workstation)

    assert_problem(void(api, provider, outcome_id), 409, "already_voided")
    assert_problem(void(api, api.workstation, outcome_id), 409, "already_voided")
    assert ledger_of(api, learner, api.workstation) == entries


def test_void_by_auditor_or_learner_is_403(bank):
    api, learner, provider = bank
    outcome_id = post(api, provider, body_of("informal", learner)).get_json()["outcome"]["id"]

    for headers in (api.auditor, api.learner_headers(learner)):
        assert_problem(void(api, headers, outcome_id), 403, "forbidden")


def test_void_of_an_unknown_outcome_is_404(bank):
    api, _, provider = bank

    assert_problem(void(api, provider, "o_nobody"), 404, "not_found")


def test_void_without_a_reason_is_422(bank):
    api, learner, provider = bank
    outcome_id = post(api, provider, body_of("informal", learner)).get_json()["outcome"]["id"]

    response = api.post(f"{OUTCOMES}/{outcome_id}/void", provider, json={})

    assert_problem(response, 422, "validation_error", "reason")


# -- reading ---------------------------------------------------------------------------------


def test_provider_lists_only_its_own_outcomes_and_staff_list_all(bank):
    api, learner, provider = bank
    _, other = api.new_provider()
    mine = {post(api, provider, body_of("informal", learner)).get_json()["outcome"]["id"]}
    theirs = {post(api, other, body_of("informal", learner)).get_json()["outcome"]["id"]}

    assert set(outcome_ids(api, provider)) == mine
    assert set(outcome_ids(api, other)) == theirs
    assert set(outcome_ids(api, api.workstation)) == mine | theirs
    assert set(outcome_ids(api, api.auditor)) == mine | theirs


def test_provider_cannot_read_another_providers_outcomes(bank):
    api, learner, provider = bank
    other_id, other = api.new_provider()
    theirs = post(api, other, body_of("informal", learner)).get_json()["outcome"]["id"]

    assert_problem(api.get(f"{OUTCOMES}/{theirs}", provider), 403, "forbidden")
    assert_problem(api.get(f"{OUTCOMES}?provider_id={other_id}", provider), 403, "forbidden")


def test_learner_cannot_list_outcomes(bank):
    api, learner, provider = bank
    post(api, provider, body_of("informal", learner))

    assert_problem(api.get(OUTCOMES, api.learner_headers(learner)), 403, "forbidden")


def test_outcomes_filter_by_learner_id(bank):
    api, learner, provider = bank
    other = api.new_learner()
    wanted = {post(api, provider, body_of("informal", learner)).get_json()["outcome"]["id"]}
    post(api, provider, body_of("informal", other))

    assert set(outcome_ids(api, api.workstation, f"?learner_id={learner}")) == wanted
    assert set(outcome_ids(api, provider, f"?learner_id={learner}")) == wanted


def test_outcomes_cursor_pagination_walks_every_outcome_once(bank):
    api, learner, provider = bank
    posted = [body_of("informal", learner) for _ in range(5)]
    ids = [o["outcome"]["id"] for o in post_batch(api, provider, posted).get_json()["items"]]

    walked = [item["id"] for item in walk_pages(api, OUTCOMES, api.workstation, limit=2)]

    assert len(walked) == len(set(walked)) == 5
    assert set(walked) == set(ids)


def test_a_course_keeps_its_own_credits_apart_from_what_it_earned(api):
    api.publish_ruleset()
    learner = api.new_learner()
    _, provider = api.new_provider()
    body = {
        "learner_id": learner,
        "external_ref": "course-failed-1",
        "kind": "course",
        "course_code": "CS101",
        "credits": "3.0",
        "score": 50,
        "institution": "重庆三峡职业学院",
        "achieved_on": "2026-01-15",
    }

    outcome = api.post("/api/v1/outcomes", provider, json=body).get_json()["outcome"]

    assert outcome["reason"] == "failed"
    assert outcome["credits"] == "0.0"
    assert outcome["course_credits"] == "3.0"
