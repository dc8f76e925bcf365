"""Races of the college half's writers that lock learners' accounts or counters: certificate
serials taken at once, and a college disabled while its learners' identities are erased."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from creditbank.extensions import db
from creditbank.models import AuditEvent
from creditbank.services.certificate_numbers import next_certificate_number
from creditbank.services.transaction import write_transaction
from tests.api.college_helpers import (
    claims_of,
    insert_application,
    new_college,
    new_programme,
    stored_application,
    stored_items,
)
from tests.integration.threads import run_in_threads

pytestmark = pytest.mark.usefixtures("cheap_secret_hashing")
THREADS = 8


def test_serials_taken_at_once_are_one_to_n_without_a_gap_or_a_repeat(app: Flask, api):
    college, _ = new_college(api, "CQ1024")
    other, _ = new_college(api, "CQ2048")
    closed_at = datetime(2026, 12, 31, 15, 59, tzinfo=UTC)  # 2026-12-31 23:59 in Shanghai

    def take(index: int) -> str:
        with app.app_context(), write_transaction() as session:
            college_id = college["id"] if index % 2 else other["id"]
            return next_certificate_number(session, college_id, closed_at)

    numbers = run_in_threads(THREADS, take)

    half = THREADS // 2
    assert sorted(numbers) == [f"CQ1024-2026-{n:05d}" for n in range(1, half + 1)] + [
        f"CQ2048-2026-{n:05d}" for n in range(1, half + 1)
    ]


def test_the_year_is_shanghai_s(app: Flask, api):
    college, _ = new_college(api, "CQ1024")
    new_year = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # 2027-01-01 00:00 in Shanghai

    with write_transaction() as session:
        first = next_certificate_number(session, college["id"], new_year)

    assert first == "CQ1024-2027-00001"


def test_disabling_a_college_while_its_learners_are_erased_withdraws_each_item_once(
    app: Flask, api
):
    college, _ = new_college(api, "CQ1024")
    programme = new_programme(api, college["id"])
    learners = [api.new_learner(password=None) for _ in range(THREADS - 1)]
    applications = [
        insert_application(learner, programme, [("pending", [f"outcome:o_{index}"])])[0]
        for index, learner in enumerate(learners)
    ]
    headers = api.workstation

    def act(index: int) -> int:
        client = app.test_client()
        if index == 0:
            path = f"/api/v1/colleges/{college['id']}/disable"
            return client.post(path, headers=headers).status_code
        path = f"/api/v1/learners/{learners[index - 1]}/identity"
        return client.delete(path, headers=headers).status_code

    statuses = run_in_threads(THREADS, act)

    assert statuses == [200] + [204] * (THREADS - 1)
    for learner, application in zip(learners, applications, strict=True):
        assert stored_application(application).status == "withdrawn"
        assert [item.status for item in stored_items(application)] == ["withdrawn"]
        assert claims_of(learner) == {}
    withdrawn = db.session.scalars(
        select(AuditEvent).where(AuditEvent.tag == "api:application:withdrawn")
    )
    counted = Counter(json.loads(event.details)["application_id"] for event in withdrawn)
    assert counted == dict.fromkeys(applications, 1)
