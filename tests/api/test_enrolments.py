"""Enrolments (PROGRAMMES.md § Domain model, *Enrolments*; § Endpoints, "Programmes and
enrolments"): the workstation or the programme's college enrols, ends and reopens; staff, the
programme's college and the learner itself read them."""

from __future__ import annotations

import pytest

from tests.api.college_helpers import PROGRAMMES, enrol, events, new_college, new_programme
from tests.api.helpers import (
    assert_problem,
    national_id,
    shanghai_today,
    shanghai_tomorrow,
    walk_pages,
)


@pytest.fixture
def side(api):
    """A college with a client and a programme, and a learner with a national ID."""
    college, headers = new_college(api, "CQ1024")
    programme = new_programme(api, college["id"], code="510203")
    learner = api.new_learner(national_id=national_id(serial="101"))
    return {"college": college, "headers": headers, "programme": programme, "learner": learner}


def ending(side, learner_id=None, **body):
    path = f"{PROGRAMMES}/{side['programme']['id']}/enrolments/{learner_id or side['learner']}/end"
    return path, {"ended_on": shanghai_today().isoformat(), "reason": "毕业", **body}


def test_enrol_is_201_with_the_enrolment(api, side):
    response = enrol(api, side["programme"]["id"], side["learner"], side["headers"])

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert {k: v for k, v in body.items() if k != "created_at"} == {
        "learner_id": side["learner"],
        "programme_id": side["programme"]["id"],
        "student_no": "2026510203001",
        "enrolled_on": "2026-09-01",
        "ended_on": None,
        "end_reason": None,
    }
    assert body["created_at"].endswith("Z")
    assert [e["subject_id"] for e in events("api:enrolment:created")] == [side["learner"]]


def test_the_account_s_national_id_is_accepted(api, side):
    response = enrol(
        api, side["programme"]["id"], side["learner"], national_id=national_id(serial="101")
    )

    assert response.status_code == 201, response.get_json()


def test_another_person_s_national_id_answers_exactly_as_an_unknown_learner(api, side):
    someone_else = national_id(serial="202")
    api.new_learner(national_id=someone_else)
    path = side["programme"]["id"]

    wrong_id = enrol(api, path, side["learner"], national_id=someone_else)
    nobody = enrol(api, path, "L01JZZZZZZZZZZZZZZZZZZZZZZZ")
    no_id_on_file = enrol(api, path, api.new_learner(), national_id=national_id(serial="303"))

    body = assert_problem(wrong_id, 422, "unknown_learner", "learner_id")
    assert body == assert_problem(nobody, 422, "unknown_learner", "learner_id")
    assert body == assert_problem(no_id_on_file, 422, "unknown_learner", "learner_id")
    assert walk_pages(api, f"{PROGRAMMES}/{path}/enrolments", api.workstation) == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"student_no": ""}, "student_no"),
        ({"student_no": "1" * 33}, "student_no"),
        ({"enrolled_on": shanghai_tomorrow()}, "enrolled_on"),
        ({"enrolled_on": "2026-02-30"}, "enrolled_on"),
        ({"national_id": "11010519491231002"}, "national_id"),
        ({"student_no": None}, "student_no"),
        ({"major": "软件"}, "major"),
    ],
)
def test_an_invalid_enrolment_is_422_naming_the_field(api, side, fields, field):
    response = enrol(api, side["programme"]["id"], side["learner"], **fields)

    assert_problem(response, 422, "validation_error", field)
    path = f"{PROGRAMMES}/{side['programme']['id']}/enrolments"
    assert walk_pages(api, path, api.workstation) == []


def test_enrolling_twice_is_409_and_an_ended_enrolment_is_reopened_with_200(api, side):
    programme_id, learner = side["programme"]["id"], side["learner"]
    assert enrol(api, programme_id, learner).status_code == 201

    assert_problem(enrol(api, programme_id, learner), 409, "conflict")
    path, body = ending(side)
    ended = api.post(path, side["headers"], json=body)
    today = shanghai_today().isoformat()
    reopened = enrol(
        api, programme_id, learner, side["headers"], student_no="2026510203009", enrolled_on=today
    )

    assert ended.status_code == 200, ended.get_json()
    assert ended.get_json()["ended_on"] == body["ended_on"]
    assert ended.get_json()["end_reason"] == "毕业"
    assert reopened.status_code == 200, reopened.get_json()
    assert reopened.get_json()["student_no"] == "2026510203009"
    assert reopened.get_json()["enrolled_on"] == today
    assert reopened.get_json()["ended_on"] is None and reopened.get_json()["end_reason"] is None
    assert len(events("api:enrolment:ended", learner)) == 1
    assert len(events("api:enrolment:reopened", learner)) == 1


def test_ending_twice_is_409_not_enrolled_and_ending_nothing_is_404(api, side):
    enrol(api, side["programme"]["id"], side["learner"])
    path, body = ending(side)
    assert api.post(path, api.workstation, json=body).status_code == 200

    assert_problem(api.post(path, api.workstation, json=body), 409, "not_enrolled")
    missing, _ = ending(side, learner_id=api.new_learner())
    assert_problem(api.post(missing, api.workstation, json=body), 404, "not_found")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ended_on": shanghai_tomorrow()}, "ended_on"),
        ({"ended_on": "2026-08-31"}, "ended_on"),  # before enrolled_on
        ({"reason": ""}, "reason"),
        ({"reason": None}, "reason"),
        ({"why": "x"}, "why"),
    ],
)
def test_an_invalid_end_is_422_naming_the_field(api, side, fields, field):
    enrol(api, side["programme"]["id"], side["learner"])
    path, body = ending(side, **fields)

    assert_problem(api.post(path, api.workstation, json=body), 422, "validation_error", field)
    listed = api.get(f"/api/v1/learners/{side['learner']}/enrolments", api.workstation)
    assert listed.get_json()["items"][0]["ended_on"] is None


def test_another_college_may_not_enrol_end_or_list_and_other_roles_may_not_write(api, side):
    _, other_headers = new_college(api)
    programme_id = side["programme"]["id"]
    learner_headers = api.learner_headers(side["learner"])
    path, body = ending(side)

    for headers in (other_headers, api.auditor, learner_headers, api.new_provider()[1]):
        assert_problem(enrol(api, programme_id, side["learner"], headers), 403, "forbidden")
    assert enrol(api, programme_id, side["learner"], side["headers"]).status_code == 201
    for headers in (other_headers, api.auditor, learner_headers):
        assert_problem(api.post(path, headers, json=body), 403, "forbidden")
    listing = f"{PROGRAMMES}/{programme_id}/enrolments"
    for headers in (other_headers, learner_headers, api.new_provider()[1]):
        assert_problem(api.get(listing, headers), 403, "forbidden")
    for headers in (api.workstation, api.auditor, side["headers"]):
        assert [e["learner_id"] for e in api.get(listing, headers).get_json()["items"]] == [
            side["learner"]
        ]


def test_a_programme_s_enrolments_are_listed_by_learner_id_in_pages(api, side):
    learners = [api.new_learner() for _ in range(3)]
    for learner in learners:
        assert enrol(api, side["programme"]["id"], learner).status_code == 201
    path = f"{PROGRAMMES}/{side['programme']['id']}/enrolments"

    first = api.get(f"{path}?limit=2", side["headers"])

    assert 'rel="next"' in first.headers["Link"]
    assert [e["learner_id"] for e in walk_pages(api, path, side["headers"], 1)] == sorted(learners)


def test_a_learner_reads_its_own_enrolments_and_a_college_only_those_in_its_programmes(api, side):
    other, other_headers = new_college(api)
    theirs = new_programme(api, other["id"])
    learner = side["learner"]
    enrol(api, side["programme"]["id"], learner)
    enrol(api, theirs["id"], learner, other_headers)
    path = f"/api/v1/learners/{learner}/enrolments"

    def programmes(headers):
        response = api.get(path, headers)
        assert response.status_code == 200, response.get_json()
        return sorted(e["programme_id"] for e in response.get_json()["items"])

    both = sorted([side["programme"]["id"], theirs["id"]])
    assert programmes(api.learner_headers(learner)) == both
    assert programmes(api.workstation) == both == programmes(api.auditor)
    assert programmes(side["headers"]) == [side["programme"]["id"]]
    assert programmes(other_headers) == [theirs["id"]]
    _, stranger_headers = new_college(api)
    assert_problem(api.get(path, stranger_headers), 404, "not_found")
    assert_problem(api.get(path, api.learner_headers(api.new_learner())), 403, "forbidden")
    assert_problem(api.get(path, api.new_provider()[1]), 403, "forbidden")
    missing = "/api/v1/learners/L01JZZZZZZZZZZZZZZZZZZZZZZZ/enrolments"
    assert_problem(api.get(missing, api.workstation), 404, "not_found")


def test_enrolling_into_a_missing_programme_is_404(api, side):
    response = enrol(api, "pg_01JZZZZZZZZZZZZZZZZZZZZZZZ", side["learner"])

    assert_problem(response, 404, "not_found")


def test_an_empty_learner_id_is_422_naming_it(api, side):
    response = enrol(api, side["programme"]["id"], "")

    assert_problem(response, 422, "validation_error", "learner_id")
