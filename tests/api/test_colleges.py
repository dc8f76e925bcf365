"""Colleges and their API clients (PROGRAMMES.md § Endpoints, "Colleges and their clients";
§ Words and roles, *College accounts*)."""

from __future__ import annotations

import pytest

from tests.api.college_helpers import COLLEGES, college_client, events, new_college
from tests.api.helpers import assert_problem, walk_pages


def register(api, school_code="CQ1024", name="渝东北职业技术学院", headers=None):
    body = {"school_code": school_code, "name": name}
    return api.post(COLLEGES, headers or api.workstation, json=body)


def test_register_college_is_201_with_the_college(api):
    response = register(api)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"].startswith("col_")
    assert body["school_code"] == "CQ1024"
    assert body["name"] == "渝东北职业技术学院"
    assert body["created_at"].endswith("Z")
    assert body["disabled_at"] is None
    assert [e["subject_id"] for e in events("api:college:registered")] == [body["id"]]


def test_a_taken_school_code_is_409_conflict(api):
    assert register(api).status_code == 201

    response = register(api, name="另一个学院")

    assert_problem(response, 409, "conflict")
    assert [c["name"] for c in walk_pages(api, COLLEGES, api.workstation)] == ["渝东北职业技术学院"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "无代码"}, "school_code"),
        ({"school_code": "cq1024", "name": "x"}, "school_code"),
        ({"school_code": "CQ 1024", "name": "x"}, "school_code"),
        ({"school_code": "C" * 17, "name": "x"}, "school_code"),
        ({"school_code": "", "name": "x"}, "school_code"),
        ({"school_code": "CQ1024\n", "name": "x"}, "school_code"),
        ({"school_code": "CQ1024"}, "name"),
        ({"school_code": "CQ1024", "name": ""}, "name"),
        ({"school_code": "CQ1024", "name": "学" * 201}, "name"),
        ({"school_code": "CQ1024", "name": "x", "province": "重庆"}, "province"),
    ],
)
def test_an_invalid_college_is_422_naming_the_field_and_nothing_is_stored(api, body, field):
    response = api.post(COLLEGES, api.workstation, json=body)

    assert_problem(response, 422, "validation_error", field)
    assert walk_pages(api, COLLEGES, api.workstation) == []


def test_a_school_code_with_digits_and_hyphens_is_accepted(api):
    assert register(api, school_code="GD-0001-X").status_code == 201


@pytest.mark.parametrize("role", ["auditor", "provider", "learner", "college"])
def test_only_the_workstation_registers_renames_disables_and_makes_clients(api, role):
    college, college_headers = new_college(api)
    headers = {
        "auditor": api.auditor,
        "provider": api.new_provider()[1],
        "learner": api.learner_headers(api.new_learner()),
        "college": college_headers,
    }[role]
    one = f"{COLLEGES}/{college['id']}"

    assert_problem(register(api, headers=headers), 403, "forbidden")
    assert_problem(api.call("PATCH", one, headers, json={"name": "x"}), 403, "forbidden")
    assert_problem(api.post(f"{one}/disable", headers), 403, "forbidden")
    assert_problem(api.post(f"{one}/enable", headers), 403, "forbidden")
    assert_problem(api.post(f"{one}/clients", headers), 403, "forbidden")


def test_every_role_reads_colleges(api):
    college, college_headers = new_college(api, "CQ1024")
    readers = [
        api.workstation,
        api.auditor,
        api.new_provider()[1],
        api.learner_headers(api.new_learner()),
        college_headers,
    ]

    for headers in readers:
        listed = api.get(COLLEGES, headers)
        one = api.get(f"{COLLEGES}/{college['id']}", headers)
        assert listed.status_code == 200 and one.status_code == 200
        assert [c["school_code"] for c in listed.get_json()["items"]] == ["CQ1024"]
        assert one.get_json() == college


def test_colleges_are_listed_in_pages_with_a_next_link(api):
    ids = [new_college(api)[0]["id"] for _ in range(3)]

    first = api.get(f"{COLLEGES}?limit=2", api.workstation)

    assert [c["id"] for c in first.get_json()["items"]] == sorted(ids)[:2]
    assert 'rel="next"' in first.headers["Link"]
    assert [c["id"] for c in walk_pages(api, COLLEGES, api.auditor, limit=1)] == sorted(ids)


def test_an_unknown_college_is_404(api):
    missing = f"{COLLEGES}/col_01JZZZZZZZZZZZZZZZZZZZZZZZ"
    assert_problem(api.get(missing, api.workstation), 404, "not_found")
    assert_problem(api.post(f"{missing}/disable", api.workstation), 404, "not_found")
    assert_problem(api.post(f"{missing}/clients", api.workstation), 404, "not_found")


def test_rename_changes_the_name_only_and_is_an_audit_event(api):
    college, _ = new_college(api, "CQ1024")

    response = api.call(
        "PATCH", f"{COLLEGES}/{college['id']}", api.workstation, json={"name": "重庆新学院"}
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {**college, "name": "重庆新学院"}
    renamed = events("api:college:renamed", college["id"])
    assert [e["details"]["fields"] for e in renamed] == [["name"]]


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x", "school_code": "NEW"}])
def test_rename_refuses_anything_but_a_name(api, body):
    college, _ = new_college(api)

    response = api.call("PATCH", f"{COLLEGES}/{college['id']}", api.workstation, json=body)

    field = "school_code" if "school_code" in body else "name"
    assert_problem(response, 422, "validation_error", field)
    assert api.get(f"{COLLEGES}/{college['id']}", api.workstation).get_json() == college


def test_a_college_client_is_201_once_with_its_secret_and_acts_for_its_college(api):
    college, _ = new_college(api)

    response = api.post(f"{COLLEGES}/{college['id']}/clients", api.workstation)

    assert response.status_code == 201, response.get_json()
    credentials = response.get_json()
    assert set(credentials) == {"client_id", "client_secret"}
    headers = api.token_for(credentials["client_id"], credentials["client_secret"])
    programme = {"code": "510203", "name": "软件技术", "level_code": "21", "category_code": "30"}
    created = api.post(f"{COLLEGES}/{college['id']}/programmes", headers, json=programme)
    assert created.status_code == 201, created.get_json()


def test_a_college_client_body_is_strict(api):
    college, _ = new_college(api)

    response = api.post(f"{COLLEGES}/{college['id']}/clients", api.workstation, json={"x": 1})

    assert_problem(response, 422, "validation_error", "x")


def test_disabling_a_college_refuses_its_tokens_at_once_and_enabling_lets_them_in(api):
    college, headers = new_college(api)
    other, other_headers = new_college(api)
    one = f"{COLLEGES}/{college['id']}"
    assert api.get(one, headers).status_code == 200

    disabled = api.post(f"{one}/disable", api.workstation)

    assert disabled.status_code == 200
    assert disabled.get_json()["disabled_at"] is not None
    assert_problem(api.get(one, headers), 401, "unauthorized")
    assert api.get(one, other_headers).status_code == 200  # another college is untouched
    assert api.get(one, api.workstation).get_json()["disabled_at"] is not None

    enabled = api.post(f"{one}/enable", api.workstation)

    assert enabled.status_code == 200
    assert enabled.get_json()["disabled_at"] is None
    assert api.get(one, headers).status_code == 200
    tags = ("api:college:disabled", "api:college:enabled")
    assert [len(events(tag, college["id"])) for tag in tags] == [1, 1]
    assert events("api:college:disabled", other["id"]) == []


def test_a_disabled_college_s_clients_get_no_new_tokens_until_enabled(api):
    college, _ = new_college(api)
    credentials = api.post(f"{COLLEGES}/{college['id']}/clients", api.workstation).get_json()
    api.post(f"{COLLEGES}/{college['id']}/disable", api.workstation)
    grant = {"grant_type": "client_credentials", **credentials}

    assert_problem(api.post("/api/v1/auth/token", json=grant), 401, "unauthorized")
    api.post(f"{COLLEGES}/{college['id']}/enable", api.workstation)
    assert api.get(COLLEGES, api.token_for(**credentials)).status_code == 200


def test_disabling_twice_records_one_event_and_answers_the_college(api):
    college, _ = new_college(api)
    path = f"{COLLEGES}/{college['id']}/disable"

    first = api.post(path, api.workstation).get_json()
    second = api.post(path, api.workstation).get_json()

    assert first == second
    assert len(events("api:college:disabled", college["id"])) == 1


def test_a_client_made_for_a_college_is_named_after_the_officer(api):
    from creditbank.extensions import db
    from creditbank.models import Client

    college, _ = new_college(api, name="渝东北职业技术学院")
    path = f"{COLLEGES}/{college['id']}/clients"
    named = api.post(path, api.workstation, json={"name": "教务处 李老师"}).get_json()
    default = api.post(path, api.workstation).get_json()

    clients = {c: db.session.get(Client, c) for c in (named["client_id"], default["client_id"])}
    assert clients[named["client_id"]].name == "教务处 李老师"
    assert clients[default["client_id"]].name == "渝东北职业技术学院"
    assert {client.college_id for client in clients.values()} == {college["id"]}
    assert {client.role for client in clients.values()} == {"college"}
    assert college_client(api, college["id"])  # and their tokens work
