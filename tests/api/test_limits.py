"""Limits, each with a clear error (issue 5, § Hostile input): body size (413), batch size,
page size, string lengths, nesting depth, number length, hours and credits ranges (422
naming the field)."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest

from tests.api.helpers import assert_problem

FIVE_MIB = 5 * 1024 * 1024
LISTS = ["/api/v1/learners", "/api/v1/outcomes", "/api/v1/providers", "/api/v1/rulesets"]
LISTS += ["/api/v1/reviews", "/api/v1/learners/{learner}/ledger"]


@pytest.fixture
def bank(api) -> dict[str, Any]:
    api.publish_ruleset()
    _, provider = api.new_provider()
    return {"provider": provider, "learner": api.new_learner()}


def outcome(learner: str, **fields: Any) -> dict[str, Any]:
    body = {
        "learner_id": learner,
        "external_ref": f"limits-{uuid.uuid4().hex}",
        "kind": "training_hours",
        "hours": "10",
        "category": "theory",
        "achieved_on": "2026-01-15",
        **fields,
    }
    return {name: value for name, value in body.items() if value is not None}


def course(learner: str, **fields: Any) -> dict[str, Any]:
    kind = {
        "course_code": "C-101",
        "credits": "2.0",
        "score": 80,
        "institution": "重庆城市职业学院",
    }
    return outcome(learner, kind="course", hours=None, category=None, **{**kind, **fields})


# -- body size -----------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_with_or_without_content_length(api, bank):
    big = b'{"items": [' + b'{"kind": "x"},' * (FIVE_MIB // 14) + b'{"kind": "x"}]}'
    headers = {**bank["provider"], "Content-Type": "application/json"}

    declared = api.client.post("/api/v1/outcomes", headers=headers, data=big)
    chunked = api.client.post(
        "/api/v1/outcomes",
        headers={**headers, "Transfer-Encoding": "chunked"},
        input_stream=io.BytesIO(big),
        environ_overrides={"wsgi.input_terminated": True},  # as gunicorn says of chunked
    )
    form = api.client.post(
        "/api/v1/auth/token",
        headers={"Transfer-Encoding": "chunked"},
        content_type="application/x-www-form-urlencoded",
        input_stream=io.BytesIO(b"grant_type=password&username=u&password=" + b"p" * FIVE_MIB),
        environ_overrides={"wsgi.input_terminated": True},
    )

    for response in (declared, chunked, form):
        assert_problem(response, 413, "payload_too_large")


def test_a_chunked_body_within_the_limit_is_read_whole(api):
    response = api.client.post(
        "/api/v1/learners",
        headers={**api.workstation, "Transfer-Encoding": "chunked"},
        content_type="application/json",
        input_stream=io.BytesIO('{"name": "分块"}'.encode()),
        environ_overrides={"wsgi.input_terminated": True},
    )

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["name"] == "分块"


# -- batch and page size -----------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 1001])
def test_a_batch_outside_1_to_1000_is_422_naming_items(api, bank, count):
    items = [outcome(bank["learner"], external_ref=f"b-{i}") for i in range(count)]

    response = api.post("/api/v1/outcomes", bank["provider"], json={"items": items})

    body = assert_problem(response, 422, "validation_error", "items")
    assert "1000" in body["errors"]["items"][0]


def test_a_batch_of_1000_is_accepted(api, bank):
    items = [outcome(bank["learner"], external_ref=f"full-{i}", hours="1") for i in range(1000)]

    response = api.post("/api/v1/outcomes", bank["provider"], json={"items": items})

    assert response.status_code == 201, response.get_json()
    assert len(response.get_json()["items"]) == 1000


@pytest.mark.parametrize("path", LISTS)
def test_a_page_size_outside_1_to_500_is_422_naming_limit(api, bank, path):
    url = path.format(learner=bank["learner"])

    for limit in ("0", "501", "-1", "ten", "1e3", "9" * 40):
        response = api.get(f"{url}?limit={limit}", api.workstation)
        assert_problem(response, 422, "validation_error", "limit")
    for limit in (1, 500):
        assert api.get(f"{url}?limit={limit}", api.workstation).status_code == 200


def test_a_cursor_too_long_or_forged_is_422_naming_cursor(api):
    for cursor in ("a" * 201, "not-ours", "eyJ4IjoxfQ"):
        response = api.get(f"/api/v1/learners?cursor={cursor}", api.workstation)
        assert_problem(response, 422, "validation_error", "cursor")


# -- string lengths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "longest"),
    [("external_ref", 128), ("title", 200), ("category", 64), ("learner_id", 40)],
)
def test_outcome_strings_over_their_length_are_422_naming_the_field(api, bank, field, longest):
    value = "R" * (longest + 1)
    body = outcome(bank["learner"], **{field: value})

    response = api.post("/api/v1/outcomes", bank["provider"], json=body)

    assert_problem(response, 422, "validation_error", field)


def test_outcome_strings_at_their_length_are_accepted(api, bank):
    body = outcome(bank["learner"], external_ref="R" * 128, title="题" * 200)

    assert api.post("/api/v1/outcomes", bank["provider"], json=body).status_code == 201


@pytest.mark.parametrize(
    ("kind", "field", "longest"),
    [
        ("informal", "description", 2000),
        ("competition", "event", 200),
        ("course", "institution", 200),
        ("certificate", "certificate_no", 64),
    ],
)
def test_kind_specific_strings_over_their_length_are_422(api, bank, kind, field, longest):
    extra = {
        "informal": {"description": "说明"},
        "competition": {"scope": "national", "rank": 1, "event": "技能大赛"},
        "course": {"course_code": "C", "credits": "1", "score": 80, "institution": "院校"},
        "certificate": {"certificate_code": "1X-WEB", "certificate_no": "N-1"},
    }[kind]
    body = outcome(bank["learner"], kind=kind, hours=None, category=None, **extra)
    body[field] = "长" * (longest + 1)

    response = api.post("/api/v1/outcomes", bank["provider"], json=body)

    assert_problem(response, 422, "validation_error", field)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/learners", {"name": "名" * 101}, "name"),
        ("/api/v1/learners", {"name": "张三", "password": "p" * 257}, "password"),
        ("/api/v1/learners", {"name": "张三", "national_id": "1" * 19}, "national_id"),
        ("/api/v1/providers", {"code": "C" * 33, "name": "机构"}, "code"),
        ("/api/v1/providers", {"code": "CODE", "name": "机" * 201}, "name"),
        (
            "/api/v1/rulesets",
            {"name": "规" * 201, "effective_from": "2026-01-01T00:00:00Z"},
            "name",
        ),
    ],
    ids=["learner-name", "password", "national-id", "provider-code", "provider-name", "ruleset"],
)
def test_workstation_strings_over_their_length_are_422(api, path, body, field):
    assert_problem(api.post(path, api.workstation, json=body), 422, "validation_error", field)


@pytest.mark.parametrize(
    ("grant", "field"),
    [
        (
            {"grant_type": "client_credentials", "client_id": "c" * 65, "client_secret": "s"},
            "client_id",
        ),
        (
            {"grant_type": "client_credentials", "client_id": "c", "client_secret": "s" * 257},
            "client_secret",
        ),
        ({"grant_type": "password", "username": "u" * 65, "password": "p"}, "username"),
        ({"grant_type": "password", "username": "u", "password": "p" * 257}, "password"),
    ],
    ids=["client-id", "client-secret", "username", "password"],
)
def test_token_request_strings_over_their_length_are_422(api, grant, field):
    assert_problem(api.post("/api/v1/auth/token", json=grant), 422, "validation_error", field)


def test_void_reason_and_review_note_over_their_length_are_422(api, bank):
    posted = api.post("/api/v1/outcomes", bank["provider"], json=outcome(bank["learner"]))
    outcome_id = posted.get_json()["outcome"]["id"]
    pending = outcome(bank["learner"], kind="informal", hours=None, category=None)
    pending_id = api.post(
        "/api/v1/outcomes",
        bank["provider"],
        json={**pending, "description": "讲座", "external_ref": "p-1"},
    ).get_json()["outcome"]["id"]

    void = api.post(
        f"/api/v1/outcomes/{outcome_id}/void", bank["provider"], json={"reason": "因" * 501}
    )
    review = api.post(
        f"/api/v1/reviews/{pending_id}",
        api.workstation,
        json={"credits": "1.0", "category": "general", "note": "注" * 2001},
    )

    assert_problem(void, 422, "validation_error", "reason")
    assert_problem(review, 422, "validation_error", "note")


def test_a_bearer_token_over_16_kib_is_401_unread(api):
    response = api.get("/api/v1/learners", {"Authorization": "Bearer " + "a" * 20_000})

    assert_problem(response, 401, "unauthorized")


# -- nesting and numbers -------------------------------------------------------------------------


JSON_ENDPOINTS = [
    ("POST", "/api/v1/learners"),
    ("POST", "/api/v1/providers"),
    ("POST", "/api/v1/rulesets"),
    ("POST", "/api/v1/outcomes"),
    ("POST", "/api/v1/auth/token"),
    ("PUT", "/api/v1/learners/{learner}/password"),
]


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 100_000 + "]" * 100_000,  # deeper than the JSON decoder can recurse
        '{"a":' * 2_000 + "1" + "}" * 2_000,
        '{"items": [' + "[" * 40 + "]" * 40 + "]}",  # just over the limit
    ],
    ids=["arrays-100000", "objects-2000", "batch-40"],
)
def test_deep_nesting_is_422_never_a_500(api, bank, raw):
    for method, path in JSON_ENDPOINTS:
        headers = bank["provider"] if path.endswith("outcomes") else api.workstation
        url = path.format(learner=bank["learner"])

        response = api.call(method, url, headers, data=raw, content_type="application/json")

        body = assert_problem(response, 422, "validation_error", "body")
        assert "32" in body["errors"]["body"][0], path


def test_a_ruleset_within_the_nesting_limit_is_judged_on_its_content(api):
    certificates = {"1X-WEB": {"junior": "2.0", "senior": "6.0"}}
    document = {"name": "深度", "effective_from": "2026-01-01T00:00:00+08:00"}

    response = api.post(
        "/api/v1/rulesets", api.workstation, json={**document, "certificates": certificates}
    )

    assert response.status_code == 201, response.get_json()


def test_a_whole_number_of_thousands_of_digits_is_422_not_malformed(api, bank):
    text = json.dumps(course(bank["learner"], score=0)).replace(
        '"score": 0', '"score": ' + "9" * 5000
    )

    response = api.post(
        "/api/v1/outcomes", bank["provider"], data=text, content_type="application/json"
    )

    assert_problem(response, 422, "validation_error", "body")


# -- hours and credits ---------------------------------------------------------------------------


def test_hours_outside_0_1_to_2000_are_422_naming_hours(api, bank):
    wrong = [0, "0", "0.0", -1, "2000.1", 2001, "10.25", "1e400", "NaN", True, "", None, [1]]

    for hours in wrong:
        body = {**outcome(bank["learner"]), "hours": hours}
        response = api.post("/api/v1/outcomes", bank["provider"], json=body)
        assert_problem(response, 422, "validation_error", "hours")
    for hours in ("0.1", 2000, "2000.0"):
        body = outcome(bank["learner"], hours=hours, external_ref=f"h-{hours}")
        assert api.post("/api/v1/outcomes", bank["provider"], json=body).status_code == 201


def test_course_credits_and_score_out_of_range_are_422_naming_them(api, bank):
    wrong = [("credits", value) for value in ("-0.5", "100.1", "3.25", "abc", None)]
    wrong += [("score", value) for value in (101, -1, 80.5, "80", None)]

    for field, value in wrong:
        body = {**course(bank["learner"]), field: value}
        response = api.post("/api/v1/outcomes", bank["provider"], json=body)
        assert_problem(response, 422, "validation_error", field)
    for credits, score in (("0", 0), ("100", 100)):
        body = course(bank["learner"], credits=credits, score=score, external_ref=f"c-{score}")
        assert api.post("/api/v1/outcomes", bank["provider"], json=body).status_code == 201


def test_review_credits_outside_0_to_100_are_422(api, bank):
    pending = outcome(bank["learner"], kind="informal", hours=None, category=None)
    posted = api.post("/api/v1/outcomes", bank["provider"], json={**pending, "description": "讲座"})
    path = f"/api/v1/reviews/{posted.get_json()['outcome']['id']}"

    for credits in ("-1", "100.1", "0.05", None):
        body = {"credits": credits, "category": "general"}
        assert_problem(
            api.post(path, api.workstation, json=body), 422, "validation_error", "credits"
        )
    assert (
        api.post(path, api.workstation, json={"credits": "100", "category": "general"}).status_code
        == 201
    )


@pytest.mark.parametrize(
    ("tables", "field"),
    [
        ({"hours_per_credit": {"theory": "0"}}, "hours_per_credit.theory"),
        ({"caps": {"per_year": "-1"}}, "caps.per_year"),
        ({"validity_years": 1_000_000}, "validity_years"),
        ({"credit_step": "0.25"}, "credit_step"),
    ],
    ids=["zero-hours-per-credit", "negative-cap", "validity", "step"],
)
def test_ruleset_amounts_out_of_range_are_422_naming_them(api, tables, field):
    document = {"name": "越界", "effective_from": "2026-01-01T00:00:00+08:00", **tables}

    response = api.post("/api/v1/rulesets", api.workstation, json=document)

    assert_problem(response, 422, "validation_error", field)
