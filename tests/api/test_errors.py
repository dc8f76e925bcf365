"""Every error is application/problem+json with a stable slug (API.md § Conventions)."""

from __future__ import annotations

import dataclasses

import pytest

from creditbank.app import create_app
from creditbank.extensions import db
from tests.api.helpers import NO_TRACEBACK, PROBLEM_JSON, assert_problem, national_id

FIVE_MIB = 5 * 1024 * 1024


@pytest.fixture
def provider(api):
    api.publish_ruleset()
    return api.new_provider()[1]


# -- 400 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"{bad", b"", b'{"name": "x",}', b'{"hours": NaN}', b"\xff\xfe{}", b'{"a": 1} trailing'],
    ids=["truncated", "empty", "trailing-comma", "nan", "not-utf8", "trailing-text"],
)
def test_malformed_json_is_400_malformed_json_on_every_json_endpoint(api, provider, raw):
    targets = [
        ("/api/v1/learners", api.workstation),
        ("/api/v1/providers", api.workstation),
        ("/api/v1/rulesets", api.workstation),
        ("/api/v1/outcomes", provider),
        ("/api/v1/auth/token", {}),
    ]

    for path, headers in targets:
        response = api.post(path, headers, data=raw, content_type="application/json")
        assert_problem(response, 400, "malformed_json")


# -- 413 -------------------------------------------------------------------------------------


def test_body_over_the_configured_limit_is_413_before_anything_else(api, settings):
    small = create_app(dataclasses.replace(settings, max_body_bytes=1024))
    small.config["TESTING"] = True
    client = small.test_client()
    headers = api.workstation
    try:
        big = {"name": "张" * 2000, "password": "p" * 12}
        refused = client.post("/api/v1/learners", headers=headers, json=big)
        anonymous = client.post("/api/v1/outcomes", json={"items": ["x" * 2000]})
        fits = client.post("/api/v1/learners", headers=headers, json={"name": "张三"})
    finally:
        with small.app_context():
            db.engine.dispose()

    assert_problem(refused, 413, "payload_too_large")
    assert_problem(anonymous, 413, "payload_too_large")  # refused before the token is read
    assert fits.status_code == 201


def test_body_over_5_mib_is_413_by_default(api, provider):
    padding = "x" * (FIVE_MIB + 1)

    response = api.post(
        "/api/v1/outcomes",
        provider,
        data=f'{{"items": [], "pad": "{padding}"}}',
        content_type="application/json",
    )

    assert_problem(response, 413, "payload_too_large")


# -- 404, 405, 500 ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "/api/v1/nope", "/api/v2/learners"])
def test_unknown_route_is_404_problem_json(api, path):
    assert_problem(api.get(path), 404, "not_found")


def test_wrong_method_is_405_problem_json_with_allow(api):
    learner = api.new_learner()

    response = api.call("DELETE", f"/api/v1/learners/{learner}", api.workstation)

    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers.get("Allow", ""), response.headers


def test_unexpected_error_is_500_problem_json_without_details(api, monkeypatch):
    from creditbank.services import clients

    def explode(*_args, **_kwargs):
        raise RuntimeError("boom: SELECT secret_hash FROM clients")

    monkeypatch.setattr(clients, "list_providers", explode)

    response = api.get("/api/v1/providers", api.workstation)

    assert_problem(response, 500, "internal_error")
    text = response.get_data(as_text=True)
    assert "boom" not in text and "SELECT" not in text and "RuntimeError" not in text


# -- the shape of every error ----------------------------------------------------------------


def test_every_error_is_problem_json_with_type_title_status_detail(api, provider):
    learner = api.new_learner(national_id=national_id())
    responses = {
        400: api.post(
            "/api/v1/learners", api.workstation, data="{", content_type="application/json"
        ),
        401: api.get("/api/v1/learners"),
        403: api.get("/api/v1/learners", provider),
        404: api.get("/api/v1/learners/L_nobody", api.workstation),
        405: api.call("PATCH", "/api/v1/rulesets"),
        409: api.post(
            "/api/v1/learners",
            api.workstation,
            json={"name": "重复", "national_id": national_id()},
        ),
        413: api.post("/api/v1/learners", data=b"x" * (FIVE_MIB + 1)),
        422: api.post("/api/v1/outcomes", provider, json={"kind": "informal"}),
    }

    assert learner
    for status, response in responses.items():
        assert response.status_code == status, (status, response.get_data(as_text=True))
        assert response.mimetype == PROBLEM_JSON, status
        body = response.get_json(force=True)
        assert {"type", "title", "status", "detail"} <= body.keys(), body
        assert body["status"] == status
        assert isinstance(body["type"], str) and body["type"]
        assert ("errors" in body) == (status == 422), body
        text = response.get_data(as_text=True)
        assert not any(marker in text for marker in NO_TRACEBACK), text


def test_problem_json_keeps_chinese_readable(api):
    response = api.post(
        "/api/v1/rulesets",
        api.workstation,
        json={"name": "规则", "effective_from": "2026-01-01T00:00:00+08:00", "颜色": "红"},
    )

    assert_problem(response, 422, "validation_error", "颜色")


# -- validation comes first ------------------------------------------------------------------


def test_duplicate_national_id_with_an_invalid_body_is_422_not_409(api):
    number = national_id()
    api.new_learner(national_id=number)

    response = api.post(
        "/api/v1/learners",
        api.workstation,
        json={"name": "李四", "national_id": number, "password": "short"},
    )

    assert_problem(response, 422, "validation_error", "password")


def test_duplicate_provider_code_with_an_invalid_body_is_422_not_409(api):
    api.new_provider(code="YYZJ")

    response = api.post("/api/v1/providers", api.workstation, json={"code": "YYZJ"})

    assert_problem(response, 422, "validation_error", "name")


def test_conflicting_replay_with_an_invalid_body_is_422_not_409(api, provider):
    learner = api.new_learner()
    first = api.post_outcome(provider, learner, external_ref="dup-1")
    assert first.status_code == 201

    response = api.post_outcome(provider, learner, external_ref="dup-1", hours="3.25")

    assert_problem(response, 422, "validation_error", "hours")


def test_conflicting_replay_with_an_unknown_category_is_422_not_409(api, provider):
    learner = api.new_learner()
    assert api.post_outcome(provider, learner, external_ref="dup-2").status_code == 201

    response = api.post_outcome(provider, learner, external_ref="dup-2", category="cooking")

    assert_problem(response, 422, "validation_error", "category")


def test_void_of_a_voided_outcome_without_reason_is_422_not_409(api, provider):
    learner = api.new_learner()
    outcome = api.post_outcome(provider, learner).get_json()["outcome"]["id"]
    path = f"/api/v1/outcomes/{outcome}/void"
    assert api.post(path, provider, json={"reason": "错报"}).status_code == 201

    assert_problem(api.post(path, provider, json={}), 422, "validation_error", "reason")
