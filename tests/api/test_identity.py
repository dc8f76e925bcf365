"""Correcting and erasing a learner's identity (PATCH /learners/{id}, DELETE
/learners/{id}/identity): workstation only, each an audit event without personal data, and the
journal untouched (its hashes still recompute from the ledger)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from creditbank.events import EventTag
from creditbank.extensions import db
from creditbank.models import AuditEvent, Identity
from tests.api.helpers import assert_problem, ledger_of, national_id, with_wrong_check
from tests.integration.chains import assert_chain_intact, assert_running_totals

LEARNERS = "/api/v1/learners"
FIRST_ID = national_id(serial="111")
SECOND_ID = national_id(serial="222")


@pytest.fixture
def learner(api: Any) -> str:
    """张三 with a national ID, a password and credits in the journal."""
    api.publish_ruleset()
    learner_id = api.new_learner(name="张三", national_id=FIRST_ID)
    _, provider = api.new_provider()
    for hours in ("10", "14", "20"):
        assert api.post_outcome(provider, learner_id, hours=hours).status_code == 201
    return learner_id


def events(subject: str) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).where(AuditEvent.subject_id == subject)
    return list(db.session.scalars(query.order_by(AuditEvent.occurred_at)))


def assert_no_personal_data(*secrets: str) -> None:
    """No audit event anywhere holds any of these strings (or their masked forms)."""
    db.session.expire_all()
    for event in db.session.scalars(select(AuditEvent)):
        stored = json.dumps([event.tag, event.actor, event.subject_id, event.details])
        stored += event.details
        for secret in secrets:
            assert secret not in stored, (secret, stored)
            if len(secret) == 18:
                assert secret[-4:] + '"' not in stored and secret[:6] not in stored


def test_the_workstation_corrects_a_name(api: Any, learner: str) -> None:
    response = api.call("PATCH", f"{LEARNERS}/{learner}", api.workstation, json={"name": "张珊"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["name"] == "张珊"
    assert api.get(f"{LEARNERS}/{learner}", api.workstation).get_json()["name"] == "张珊"
    [event] = events(learner)
    assert event.tag == EventTag.LEARNER_IDENTITY_CORRECTED == "api:learner:identity_corrected"
    assert json.loads(event.details) == {"fields": ["name"]}
    assert event.actor  # the workstation client that did it
    assert_no_personal_data("张三", "张珊")


def test_a_corrected_national_id_is_found_by_the_new_one_only(api: Any, learner: str) -> None:
    body = {"national_id": SECOND_ID}
    response = api.call("PATCH", f"{LEARNERS}/{learner}", api.workstation, json=body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["national_id_masked"] == f"**************{SECOND_ID[-4:]}"
    search = f"{LEARNERS}/search"
    found = api.post(search, api.workstation, json={"national_id": SECOND_ID}).get_json()["items"]
    assert [item["learner_id"] for item in found] == [learner]
    assert (
        api.post(search, api.workstation, json={"national_id": FIRST_ID}).get_json()["items"] == []
    )
    assert [json.loads(event.details) for event in events(learner)] == [{"fields": ["national_id"]}]
    assert_no_personal_data(FIRST_ID, SECOND_ID)


def test_an_unchanged_value_records_nothing(api: Any, learner: str) -> None:
    body = {"name": "张三", "national_id": FIRST_ID}
    assert api.call("PATCH", f"{LEARNERS}/{learner}", api.workstation, json=body).status_code == 200
    assert events(learner) == []


def test_a_national_id_can_be_removed(api: Any, learner: str) -> None:
    body = {"national_id": None}
    response = api.call("PATCH", f"{LEARNERS}/{learner}", api.workstation, json=body)
    assert response.status_code == 200
    assert response.get_json()["national_id_masked"] is None
    # The number is free again: another account may hold it.
    assert api.new_learner(name="张三", national_id=FIRST_ID)


def test_another_accounts_national_id_is_409(api: Any, learner: str) -> None:
    api.new_learner(name="李四", national_id=SECOND_ID)
    body = {"national_id": SECOND_ID}
    response = api.call("PATCH", f"{LEARNERS}/{learner}", api.workstation, json=body)
    assert_problem(response, 409, "conflict")
    assert events(learner) == []
    assert api.get(f"{LEARNERS}/{learner}", api.workstation).get_json()["national_id_masked"] == (
        f"**************{FIRST_ID[-4:]}"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"national_id": with_wrong_check(SECOND_ID)}, "national_id"),
        ({"national_id": "123"}, "national_id"),
        ({"password": "new password 1"}, "password"),
        ({"name": None}, "name"),
    ],
)
def test_invalid_corrections_are_422(api: Any, learner: str, body: dict, field: str) -> None:
    response = api.call("PATCH", f"{LEARNERS}/{learner}", api.workstation, json=body)
    assert_problem(response, 422, "validation_error", field)
    assert events(learner) == []


def test_only_the_workstation_corrects_or_erases(api: Any, learner: str) -> None:
    _, provider = api.new_provider()
    for headers in (api.auditor, provider, api.learner_headers(learner)):
        patch = api.call("PATCH", f"{LEARNERS}/{learner}", headers, json={"name": "王五"})
        assert_problem(patch, 403, "forbidden")
        erase = api.call("DELETE", f"{LEARNERS}/{learner}/identity", headers)
        assert_problem(erase, 403, "forbidden")
    assert_problem(
        api.call("PATCH", f"{LEARNERS}/L0NONE", api.workstation, json={"name": "王五"}),
        404,
        "not_found",
    )
    assert_problem(
        api.call("DELETE", f"{LEARNERS}/L0NONE/identity", api.workstation), 404, "not_found"
    )
    assert events(learner) == []


def test_erasing_an_identity_keeps_the_journal_whole(api: Any, learner: str) -> None:
    learner_token = api.learner_headers(learner)
    balance_before = api.get(f"{LEARNERS}/{learner}/balance", api.workstation).get_json()
    ledger_before = ledger_of(api, learner, api.workstation)

    response = api.call("DELETE", f"{LEARNERS}/{learner}/identity", api.workstation)
    assert response.status_code == 204, response.get_data(as_text=True)

    db.session.expire_all()
    assert db.session.get(Identity, learner) is None  # the person's data is gone
    shown = api.get(f"{LEARNERS}/{learner}", api.workstation).get_json()
    assert (shown["learner_id"], shown["name"], shown["national_id_masked"]) == (
        learner,
        None,
        None,
    )
    search = api.post(f"{LEARNERS}/search", api.workstation, json={"national_id": FIRST_ID})
    assert search.get_json()["items"] == []
    balance_after = api.get(f"{LEARNERS}/{learner}/balance", api.workstation).get_json()
    assert (balance_after["total"], balance_after["seq"]) == (
        balance_before["total"],
        balance_before["seq"],
    )
    ledger_after = ledger_of(api, learner, api.workstation)
    assert ledger_after == ledger_before
    assert_chain_intact(ledger_after)  # every hash recomputed from the ledger itself
    total, _ = assert_running_totals(ledger_after)
    assert f"{total // 10}.{total % 10}" == balance_after["total"]

    [event] = events(learner)
    assert event.tag == "api:learner:identity_erased"
    assert json.loads(event.details) == {"fields": ["name", "national_id", "password"]}
    assert_no_personal_data("张三", FIRST_ID)

    # The learner can no longer sign in, nor use a token issued before.
    assert_problem(api.get(f"{LEARNERS}/{learner}", learner_token), 401, "unauthorized")
    login = api.post(
        "/api/v1/auth/token",
        json={"grant_type": "password", "username": learner, "password": "correct horse battery"},
    )
    assert login.status_code == 401
    # Gone means gone: erasing again, or correcting, finds nothing.
    again = api.call("DELETE", f"{LEARNERS}/{learner}/identity", api.workstation)
    assert_problem(again, 404, "not_found")
    patch = api.call("PATCH", f"{LEARNERS}/{learner}", api.workstation, json={"name": "张三"})
    assert_problem(patch, 404, "not_found")
    assert len(events(learner)) == 1


def test_an_audit_after_erasure_still_passes(api: Any, learner: str) -> None:
    assert api.call("DELETE", f"{LEARNERS}/{learner}/identity", api.workstation).status_code == 204
    response = api.post("/api/v1/audits", api.workstation, json={"learner_id": learner})
    assert response.status_code in (201, 202), response.get_json()
    audit = response.get_json()
    assert audit["status"] == "passed", audit
    assert audit["findings_total"] == 0
