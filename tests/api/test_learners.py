"""Learner accounts: open, look up, read (API.md § Accounts and providers)."""

from __future__ import annotations

import re

import pytest

from tests.api.helpers import assert_problem, national_id, walk_pages, with_wrong_check

LEARNERS = "/api/v1/learners"
SEARCH = "/api/v1/learners/search"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def open_learner(api, **fields):
    return api.post(
        LEARNERS, api.workstation, json={"name": "张三", "password": "p" * 12, **fields}
    )


def test_open_learner_is_201_with_the_masked_national_id(api):
    number = national_id("500235", "19900307", "123")

    response = open_learner(api, name="李四", national_id=number)

    assert response.status_code == 201
    body = response.get_json()
    assert {"learner_id", "name", "national_id_masked", "opened_at"} <= body.keys()
    assert body["learner_id"]
    assert body["name"] == "李四"
    assert body["national_id_masked"] == f"**************{number[-4:]}"
    assert RFC3339.match(body["opened_at"]), body["opened_at"]
    assert "national_id" not in body
    assert "password" not in body and "password_hash" not in body


def test_open_learner_without_national_id_has_no_mask(api):
    response = open_learner(api)

    assert response.status_code == 201
    assert response.get_json()["national_id_masked"] is None


def test_the_whole_national_id_appears_in_no_response(api):
    number = national_id("500235", "19851231", "456")
    learner = open_learner(api, national_id=number).get_json()["learner_id"]
    headers = api.learner_headers(learner, "p" * 12)

    responses = [
        api.get(f"{LEARNERS}/{learner}", api.workstation),
        api.get(f"{LEARNERS}/{learner}", api.auditor),
        api.get(f"{LEARNERS}/{learner}", headers),
        api.get(LEARNERS, api.workstation),
        api.post(SEARCH, api.workstation, json={"national_id": number}),
        api.get(f"{LEARNERS}/{learner}/ledger", headers),
        api.get(f"{LEARNERS}/{learner}/balance", headers),
        open_learner(api, national_id=number),  # the 409 must not quote it either
        open_learner(api, national_id=with_wrong_check(number)),
    ]

    assert [r.status_code for r in responses] == [200] * 7 + [409, 422]
    for response in responses:
        text = response.get_data(as_text=True)
        assert number not in text
        assert number[:17] not in text, text


def test_invalid_national_id_checksum_is_422_keyed_national_id(api):
    response = open_learner(api, national_id=with_wrong_check(national_id()))

    assert_problem(response, 422, "validation_error", "national_id")
    assert walk_pages(api, LEARNERS, api.workstation) == []


def test_malformed_national_id_is_422_keyed_national_id(api):
    for bad in ("12345", "50023519900101123A", "500235209901011230"):
        assert_problem(open_learner(api, national_id=bad), 422, "validation_error", "national_id")


def test_duplicate_national_id_is_409_conflict(api):
    number = national_id()
    first = open_learner(api, national_id=number)
    assert first.status_code == 201

    second = open_learner(api, name="王五", national_id=number)

    assert_problem(second, 409, "conflict")
    assert [item["learner_id"] for item in walk_pages(api, LEARNERS, api.workstation)] == [
        first.get_json()["learner_id"]
    ]


def test_duplicate_national_id_is_found_whatever_the_case_of_its_x(api):
    number = national_id("110101", "19800101", "002")
    while not number.endswith("X"):  # find a serial whose check character is X
        serial = int(number[14:17]) + 1
        number = national_id("110101", "19800101", f"{serial:03d}")
    assert open_learner(api, national_id=number).status_code == 201

    assert_problem(open_learner(api, national_id=number.lower()), 409, "conflict")


def test_missing_name_is_422_keyed_name(api):
    response = api.post(LEARNERS, api.workstation, json={"password": "p" * 12})

    assert_problem(response, 422, "validation_error", "name")


def test_unknown_field_is_422_keyed_by_it(api):
    assert_problem(open_learner(api, colour="red"), 422, "validation_error", "colour")


def test_a_search_by_national_id_finds_exactly_that_learner_in_one_page(api):
    number = national_id("500235", "19700101", "777")
    wanted = open_learner(api, national_id=number).get_json()["learner_id"]
    open_learner(api, national_id=national_id("500235", "19700101", "778"))
    open_learner(api)

    found = api.post(SEARCH, api.auditor, json={"national_id": number.lower()})

    assert found.status_code == 200
    body = found.get_json()
    assert [item["learner_id"] for item in body["items"]] == [wanted]
    assert body["items"][0]["national_id_masked"] == f"**************{number[-4:]}"
    assert body["next_cursor"] is None and "Link" not in found.headers
    unknown = national_id("500235", "19700101", "999")
    nobody = api.post(SEARCH, api.workstation, json={"national_id": unknown})
    assert nobody.get_json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "national_id"),
        ({"national_id": ""}, "national_id"),
        ({"national_id": "12345"}, "national_id"),
        ({"national_id": "1101051949123100299"}, "national_id"),
        ({"national_id": 110105194912310020}, "national_id"),
        ({"national_id": "11010519491231002X", "name": "张三"}, "name"),
    ],
    ids=["missing", "empty", "short", "long", "number", "unknown-field"],
)
def test_a_search_with_a_bad_body_is_422_naming_the_field(api, body, field):
    assert_problem(api.post(SEARCH, api.workstation, json=body), 422, "validation_error", field)


def test_a_search_with_a_wrong_check_character_is_422_and_does_not_quote_it(api):
    number = with_wrong_check(national_id("500235", "19700101", "777"))

    response = api.post(SEARCH, api.workstation, json={"national_id": number})

    assert_problem(response, 422, "validation_error", "national_id")
    assert number[:17] not in response.get_data(as_text=True)


def test_the_national_id_never_travels_in_a_url_any_more(api):
    number = national_id("500235", "19700101", "777")
    open_learner(api, national_id=number)

    response = api.get(f"{LEARNERS}?national_id={number}", api.workstation)

    assert_problem(response, 422, "validation_error", "national_id")
    assert number not in response.get_data(as_text=True)


def test_only_staff_search_learners(api):
    _, provider = api.new_provider()
    learner_headers = api.learner_headers(api.new_learner())
    body = {"national_id": national_id()}

    for headers in (provider, learner_headers):
        assert_problem(api.post(SEARCH, headers, json=body), 403, "forbidden")
    assert_problem(api.post(SEARCH, json=body), 401, "unauthorized")


def test_lookup_by_name(api):
    wanted = {open_learner(api, name="赵六").get_json()["learner_id"] for _ in range(2)}
    open_learner(api, name="钱七")

    items = walk_pages(api, f"{LEARNERS}?name=赵六", api.auditor)

    assert {item["learner_id"] for item in items} == wanted
    assert {item["name"] for item in items} == {"赵六"}


def test_pagination_with_limit_1_walks_every_learner_once(api):
    opened = [open_learner(api).get_json()["learner_id"] for _ in range(4)]

    first = api.get(f"{LEARNERS}?limit=1", api.workstation).get_json()

    assert len(first["items"]) == 1 and first["next_cursor"]
    for limit in (1, 3):
        ids = [item["learner_id"] for item in walk_pages(api, LEARNERS, api.workstation, limit)]
        assert len(ids) == len(set(ids)) == 4, limit
        assert set(ids) == set(opened)


def test_page_limit_outside_1_to_500_is_422(api):
    for limit in (0, 501):
        response = api.get(f"{LEARNERS}?limit={limit}", api.workstation)
        assert_problem(response, 422, "validation_error", "limit")


def test_forged_cursor_is_422(api):
    response = api.get(f"{LEARNERS}?cursor=not-a-cursor!!", api.workstation)

    assert_problem(response, 422, "validation_error", "cursor")


def test_learner_reads_itself_and_not_another_learner(api):
    me = api.new_learner()
    other = api.new_learner()
    headers = api.learner_headers(me)

    mine = api.get(f"{LEARNERS}/{me}", headers)

    assert mine.status_code == 200
    assert mine.get_json()["learner_id"] == me
    assert_problem(api.get(f"{LEARNERS}/{other}", headers), 403, "forbidden")
    assert_problem(api.get(LEARNERS, headers), 403, "forbidden")


def test_staff_read_a_learner_and_get_404_for_an_unknown_one(api):
    learner = api.new_learner()

    for headers in (api.workstation, api.auditor):
        response = api.get(f"{LEARNERS}/{learner}", headers)
        assert response.status_code == 200
        assert response.get_json()["learner_id"] == learner
        assert_problem(api.get(f"{LEARNERS}/L_nobody", headers), 404, "not_found")


def test_only_the_workstation_opens_accounts(api):
    _, provider = api.new_provider()

    for headers in (api.auditor, provider, api.learner_headers(api.new_learner())):
        assert_problem(open_learner_as(api, headers), 403, "forbidden")


def open_learner_as(api, headers):
    return api.post(LEARNERS, headers, json={"name": "张三", "password": "p" * 12})


def test_provider_cannot_look_up_learners(api):
    _, provider = api.new_provider()

    assert_problem(api.get(LEARNERS, provider), 403, "forbidden")
