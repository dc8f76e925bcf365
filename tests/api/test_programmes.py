"""College programmes (PROGRAMMES.md § Domain model, *Programmes*; § Endpoints, "Programmes and
enrolments"): created, renamed, disabled by the workstation or their own college; read by
everyone with the catalogue version in force."""

from __future__ import annotations

import pytest

from tests.api.college_helpers import (
    COLLEGES,
    PROGRAMMES,
    events,
    insert_catalogue,
    new_college,
    new_programme,
)
from tests.api.helpers import assert_problem, walk_pages

SOFTWARE = {"code": "510203", "name": "软件技术", "level_code": "21", "category_code": "30"}


def create(api, college_id, headers=None, **fields):
    body = {**SOFTWARE, **fields}
    return api.post(f"{COLLEGES}/{college_id}/programmes", headers or api.workstation, json=body)


def test_create_programme_is_201_with_its_names_and_no_catalogue(api):
    college, _ = new_college(api, "CQ1024")

    response = create(api, college["id"])

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"].startswith("pg_")
    assert {k: v for k, v in body.items() if k not in ("id", "created_at")} == {
        "college_id": college["id"],
        "school_code": "CQ1024",
        "code": "510203",
        "name": "软件技术",
        "level_code": "21",
        "level": "专科",
        "category_code": "30",
        "category": "成人",
        "disabled_at": None,
        "catalogue": None,
    }
    assert [e["subject_id"] for e in events("api:programme:created")] == [body["id"]]


@pytest.mark.parametrize(
    ("level_code", "level", "category_code", "category"),
    [("20", "本科", "31", "普高"), ("22", "专升本", "32", "网络"), ("23", "高起本", "34", "自考")],
)
def test_level_and_category_codes_are_named(api, level_code, level, category_code, category):
    college, _ = new_college(api)

    body = create(api, college["id"], level_code=level_code, category_code=category_code).get_json()

    assert (body["level"], body["category"]) == (level, category)


def test_a_code_the_college_has_already_is_409_but_another_college_may_use_it(api):
    college, _ = new_college(api)
    other, _ = new_college(api)
    assert create(api, college["id"]).status_code == 201

    again = create(api, college["id"], name="软件技术（二）")
    elsewhere = create(api, other["id"])

    assert_problem(again, 409, "conflict")
    assert elsewhere.status_code == 201
    listed = walk_pages(api, f"{PROGRAMMES}?college_id={college['id']}", api.workstation)
    assert [p["name"] for p in listed] == ["软件技术"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": "510-203"}, "code"),
        ({"code": "5" * 17}, "code"),
        ({"code": ""}, "code"),
        ({"name": ""}, "name"),
        ({"name": "专" * 101}, "name"),
        ({"level_code": "24"}, "level_code"),
        ({"level_code": 21}, "level_code"),
        ({"category_code": "35"}, "category_code"),
        ({"cap": "50"}, "cap"),
    ],
)
def test_an_invalid_programme_is_422_naming_the_field(api, fields, field):
    college, _ = new_college(api)

    response = create(api, college["id"], **fields)

    assert_problem(response, 422, "validation_error", field)
    assert walk_pages(api, PROGRAMMES, api.workstation) == []


def test_a_missing_field_is_named(api):
    college, _ = new_college(api)
    body = {"code": "510203", "name": "软件技术"}

    response = api.post(f"{COLLEGES}/{college['id']}/programmes", api.workstation, json=body)

    assert_problem(response, 422, "validation_error", "level_code", "category_code")


def test_a_college_writes_its_own_programmes_and_gets_403_for_another_college_s(api):
    college, headers = new_college(api)
    _, other_headers = new_college(api)
    own = create(api, college["id"], headers)
    assert own.status_code == 201, own.get_json()
    programme = own.get_json()
    one = f"{PROGRAMMES}/{programme['id']}"

    assert_problem(create(api, college["id"], other_headers, code="510201"), 403, "forbidden")
    assert_problem(api.call("PATCH", one, other_headers, json={"name": "x"}), 403, "forbidden")
    assert_problem(api.post(f"{one}/disable", other_headers), 403, "forbidden")
    # … while every role reads it
    assert api.get(one, other_headers).get_json() == programme
    renamed = api.call("PATCH", one, headers, json={"name": "软件技术（中外合作）"})
    assert renamed.status_code == 200
    assert renamed.get_json()["name"] == "软件技术（中外合作）"


@pytest.mark.parametrize("role", ["auditor", "provider", "learner"])
def test_other_roles_cannot_write_programmes(api, role):
    college, _ = new_college(api)
    programme = new_programme(api, college["id"])
    headers = {
        "auditor": api.auditor,
        "provider": api.new_provider()[1],
        "learner": api.learner_headers(api.new_learner()),
    }[role]
    one = f"{PROGRAMMES}/{programme['id']}"

    assert_problem(create(api, college["id"], headers, code="510201"), 403, "forbidden")
    assert_problem(api.call("PATCH", one, headers, json={"name": "x"}), 403, "forbidden")
    assert_problem(api.post(f"{one}/disable", headers), 403, "forbidden")
    assert api.get(one, headers).status_code == 200
    assert api.get(PROGRAMMES, headers).status_code == 200


def test_missing_colleges_and_programmes_are_404(api):
    missing_college = "col_01JZZZZZZZZZZZZZZZZZZZZZZZ"
    missing = f"{PROGRAMMES}/pg_01JZZZZZZZZZZZZZZZZZZZZZZZ"

    assert_problem(create(api, missing_college), 404, "not_found")
    assert_problem(api.get(missing, api.workstation), 404, "not_found")
    assert_problem(
        api.call("PATCH", missing, api.workstation, json={"name": "x"}), 404, "not_found"
    )
    assert_problem(api.post(f"{missing}/disable", api.workstation), 404, "not_found")


def test_programmes_are_listed_by_college_in_pages(api):
    college, _ = new_college(api)
    other, _ = new_college(api)
    mine = [new_programme(api, college["id"])["id"] for _ in range(3)]
    theirs = new_programme(api, other["id"])["id"]

    first = api.get(f"{PROGRAMMES}?college_id={college['id']}&limit=2", api.workstation)
    listed = walk_pages(api, f"{PROGRAMMES}?college_id={college['id']}", api.auditor, limit=1)
    everything = walk_pages(api, PROGRAMMES, api.workstation)

    assert 'rel="next"' in first.headers["Link"] and "college_id=" in first.headers["Link"]
    assert [p["id"] for p in listed] == sorted(mine)
    assert [p["id"] for p in everything] == sorted([*mine, theirs])


def test_rename_is_an_audit_event_and_the_code_never_changes(api):
    college, _ = new_college(api)
    programme = new_programme(api, college["id"])
    one = f"{PROGRAMMES}/{programme['id']}"

    refused = api.call("PATCH", one, api.workstation, json={"name": "x", "code": "999999"})
    renamed = api.call("PATCH", one, api.workstation, json={"name": "软件技术（新）"})

    assert_problem(refused, 422, "validation_error", "code")
    assert renamed.get_json() == {**programme, "name": "软件技术（新）"}
    assert [e["details"]["fields"] for e in events("api:programme:renamed")] == [["name"]]


def test_disable_sets_disabled_at_once(api):
    college, headers = new_college(api)
    programme = new_programme(api, college["id"])
    path = f"{PROGRAMMES}/{programme['id']}/disable"

    first = api.post(path, headers)
    second = api.post(path, api.workstation)

    assert first.status_code == 200 and first.get_json()["disabled_at"] is not None
    assert second.get_json() == first.get_json()
    assert len(events("api:programme:disabled", programme["id"])) == 1


def test_the_catalogue_shown_is_the_version_in_force_now(api):
    college, _ = new_college(api)
    programme = new_programme(api, college["id"])
    one = f"{PROGRAMMES}/{programme['id']}"
    insert_catalogue(programme["id"], 1, effective_from="2020-09-01T00:00:00+08:00")
    second = insert_catalogue(
        programme["id"],
        2,
        effective_from="2021-09-01T00:00:00+08:00",
        total_credits="125.0",
        caps={"share_percent": 40, "online_share_percent": 25, "per_source": None},
    )
    insert_catalogue(programme["id"], 3, effective_from="2999-09-01T00:00:00+08:00")

    shown = api.get(one, api.learner_headers(api.new_learner())).get_json()["catalogue"]

    assert shown == {
        "id": second,
        "version": 2,
        "total_credits": "125.0",
        "share_cap": "50.0",
        "online_cap": "31.2",  # 125.0 × 25% = 31.25, rounded down
        "per_source": None,
    }


def test_a_tie_in_effective_from_goes_to_the_higher_version(api):
    college, _ = new_college(api)
    programme = new_programme(api, college["id"])
    same = "2021-09-01T00:00:00+08:00"
    insert_catalogue(programme["id"], 1, effective_from=same)
    newer = insert_catalogue(programme["id"], 2, effective_from=same)

    listed = api.get(f"{PROGRAMMES}?college_id={college['id']}", api.workstation).get_json()

    assert listed["items"][0]["catalogue"] == {
        "id": newer,
        "version": 2,
        "total_credits": "120.0",
        "share_cap": "60.0",
        "online_cap": "30.0",
        "per_source": "8.0",
    }


def test_a_programme_whose_only_catalogue_is_not_yet_in_force_shows_none(api):
    college, _ = new_college(api)
    programme = new_programme(api, college["id"])
    insert_catalogue(programme["id"], 1, effective_from="2999-09-01T00:00:00+08:00")

    assert (
        api.get(f"{PROGRAMMES}/{programme['id']}", api.workstation).get_json()["catalogue"] is None
    )
