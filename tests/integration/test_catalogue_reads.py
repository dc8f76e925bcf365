"""Catalogues as the transfer rules read them (services/catalogue_reads), and publishes of one
programme racing: versions stay 1, 2, … with none counted twice, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask

from creditbank.domain.errors import NotFound
from creditbank.domain.roles import SHELL
from creditbank.extensions import db
from creditbank.services.catalogue_reads import (
    catalogue_for,
    catalogue_in_force_for,
    catalogues_in_force,
)
from creditbank.services.catalogues import publish_catalogue
from creditbank.transfer import catalogue_from_document
from tests.api.catalogue_helpers import PROGRAMMES, c1, new_college, new_programme
from tests.integration.threads import run_in_threads

pytestmark = pytest.mark.usefixtures("cheap_secret_hashing")

THREADS = 8


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture
def programmes(app) -> list[str]:
    college = new_college("CQ1024")
    return [new_programme(college, "510203"), new_programme(college, "510201", "计算机应用技术")]


def test_a_catalogue_is_read_as_the_rules_read_its_document_and_parsed_once(programmes):
    published = publish_catalogue(SHELL, programmes[0], c1())

    catalogue = catalogue_for(db.session(), published["id"])

    assert catalogue == catalogue_from_document(published["id"], programmes[0], 1, c1())
    assert catalogue_for(db.session(), published["id"]) is catalogue
    with pytest.raises(NotFound):
        catalogue_for(db.session(), "cat_01JZZZZZZZZZZZZZZZZZZZZZZZ")


def test_the_catalogue_in_force_follows_effective_from_then_version(programmes):
    first, second = programmes
    publish_catalogue(SHELL, first, c1(effective_from="2026-09-01T00:00:00+08:00"))
    v2 = publish_catalogue(SHELL, first, c1(effective_from="2026-10-01T00:00:00+08:00"))
    v3 = publish_catalogue(SHELL, first, c1(effective_from="2026-09-30T16:00:00Z"))  # = v2's
    other = publish_catalogue(SHELL, second, c1(effective_from="2026-01-01T00:00:00+08:00"))

    def version_at(text: str) -> int | None:
        found = catalogue_in_force_for(db.session(), first, at(text))
        return None if found is None else found.version

    assert version_at("2026-08-31T23:59:59+08:00") is None
    assert version_at("2026-09-01T00:00:00+08:00") == 1
    assert version_at("2026-09-30T23:59:59+08:00") == 1
    assert version_at("2026-10-01T00:00:00+08:00") == 3  # the tie goes to the higher version
    both = catalogues_in_force(db.session(), [first, second], at("2026-12-01T00:00:00+08:00"))
    assert {key: value.id for key, value in both.items()} == {first: v3["id"], second: other["id"]}
    assert v2["version"] == 2
    with pytest.raises(ValueError, match="time zone"):
        catalogue_in_force_for(db.session(), first, datetime(2026, 10, 1))


def test_publishes_of_one_programme_racing_count_every_version_once(app: Flask, api, programmes):
    headers = api.workstation
    path = f"{PROGRAMMES}/{programmes[0]}/catalogues"

    def publish(index: int) -> tuple[int, int]:
        response = app.test_client().post(path, headers=headers, json=c1(name=f"第 {index} 版"))
        return response.status_code, (response.get_json() or {}).get("version")

    results = run_in_threads(THREADS, publish)

    assert [status for status, _ in results] == [201] * THREADS, results
    assert sorted(version for _, version in results) == list(range(1, THREADS + 1))
