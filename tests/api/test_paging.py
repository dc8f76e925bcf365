"""Every list pages the same way (services.pagination.keyset_page): ``next_cursor`` in the body
and, while more follow, a ``Link: <…>; rel="next"`` header that keeps the query's filters."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.helpers import assert_problem

LINK = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


def _follow(api, path, headers):
    """Walk a list by its Link headers alone; the cursors in the bodies must agree."""
    items, pages = [], 0
    while path is not None:
        response = api.get(path, headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        items.extend(body["items"])
        pages += 1
        link = response.headers.get("Link")
        if body["next_cursor"] is None:
            assert link is None, link
            return items, pages
        match = LINK.match(link or "")
        assert match, link
        url = urlsplit(match["url"])
        assert parse_qs(url.query)["cursor"] == [body["next_cursor"]]
        path = f"{url.path}?{url.query}"
    raise AssertionError("unreachable")


def test_following_the_next_links_reads_every_provider_once_in_order(api):
    headers = api.workstation
    codes = [f"PG{index:02d}" for index in range(5)]
    for code in codes:
        api.new_provider(code)

    items, pages = _follow(api, "/api/v1/providers?limit=2", headers)

    assert pages == 3
    assert [item["code"] for item in items] == codes
    assert len({item["id"] for item in items}) == 5


def test_the_next_link_keeps_the_filters_and_the_limit(api):
    headers = api.workstation
    learner = api.new_learner()
    _, provider = api.new_provider()
    for index in range(3):
        response = api.post_outcome(provider, learner, external_ref=f"PAGE-{index}")
        assert response.status_code == 201, response.get_json()

    first = api.get(f"/api/v1/outcomes?learner_id={learner}&limit=2", headers)

    url = urlsplit(LINK.match(first.headers["Link"])["url"])
    query = parse_qs(url.query)
    assert query["learner_id"] == [learner] and query["limit"] == ["2"]
    items, _ = _follow(api, f"/api/v1/outcomes?learner_id={learner}&limit=2", headers)
    assert [item["external_ref"] for item in items] == ["PAGE-0", "PAGE-1", "PAGE-2"]


@pytest.mark.parametrize(
    "path", ["/api/v1/providers", "/api/v1/rulesets", "/api/v1/learners", "/api/v1/reviews"]
)
def test_a_list_documents_its_link_header(api, path):
    operation = api.get("/api/v1/openapi.json").get_json()["paths"][path]["get"]
    assert "Link" in operation["responses"]["200"]["headers"]


def test_a_query_parameter_given_twice_is_a_422_naming_it(api):
    """The document says one limit; ``?limit=5&limit=6`` does not say which (nor is a page of
    the first one what the caller meant)."""
    response = api.get("/api/v1/rulesets?limit=5&limit=6&cursor=", api.workstation)

    assert_problem(response, 422, "validation_error", "limit")
    assert "cursor" not in response.get_json()["errors"]
