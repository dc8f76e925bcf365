"""Pending items withdrawn when the college is disabled or the learner's identity erased
(PROGRAMMES.md § Edge cases). The filing API is another part's: applications, items and
claims are written here straight through the models, as filing would leave them."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.api.college_helpers import (
    COLLEGES,
    claims_of,
    enrol,
    events,
    insert_application,
    new_college,
    new_programme,
    stored_application,
    stored_items,
)

CERT = "certificate:1X-WEB"
NCRE = "certificate:NCRE-2"


@pytest.fixture
def college(api):
    college, headers = new_college(api, "CQ1024")
    programme = new_programme(api, college["id"])
    return {**college, "headers": headers, "programme": programme}


def year() -> int:
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).year


def disable(api, college_id):
    response = api.post(f"{COLLEGES}/{college_id}/disable", api.workstation)
    assert response.status_code == 200, response.get_json()
    return response


def test_disabling_a_college_withdraws_its_pending_items_and_releases_their_claims(api, college):
    learner = api.new_learner()
    application, items = insert_application(
        learner, college["programme"], [("pending", [CERT]), ("pending", [NCRE])]
    )

    disable(api, college["id"])

    assert stored_application(application).status == "withdrawn"
    assert stored_application(application).certificate_no is None
    assert [(i.status, i.reason) for i in stored_items(application)] == [
        ("withdrawn", "college_disabled")
    ] * 2
    assert claims_of(learner) == {}
    withdrawn = events("api:application:withdrawn", learner)
    assert [e["details"]["items"] for e in withdrawn] == [items]


def test_decided_items_stand_the_application_closes_and_gets_its_certificate_number(api, college):
    learner = api.new_learner()
    application, _ = insert_application(
        learner,
        college["programme"],
        [("approved", [CERT]), ("rejected", [NCRE]), ("pending", [CERT]), ("pending", [NCRE])],
    )

    disable(api, college["id"])

    closed = stored_application(application)
    assert closed.status == "closed" and closed.closed_at is not None
    assert closed.certificate_no == f"CQ1024-{year()}-00001"
    assert [i.status for i in stored_items(application)] == [
        "approved",
        "rejected",
        "withdrawn",
        "withdrawn",
    ]
    assert claims_of(learner) == {CERT: application}  # held by the approved item only


def test_certificate_serials_count_per_college(api, college):
    other, _ = new_college(api, "CQ2048")
    other_programme = new_programme(api, other["id"])
    applications = [
        insert_application(api.new_learner(), programme, [("approved", []), ("pending", [])])[0]
        for programme in (college["programme"], college["programme"], other_programme)
    ]

    disable(api, college["id"])
    disable(api, other["id"])

    numbers = sorted(stored_application(a).certificate_no for a in applications)
    y = year()
    assert numbers == [f"CQ1024-{y}-00001", f"CQ1024-{y}-00002", f"CQ2048-{y}-00001"]


def test_disabling_leaves_other_colleges_and_closed_applications_alone(api, college):
    other, _ = new_college(api)
    other_programme = new_programme(api, other["id"])
    learner = api.new_learner()
    elsewhere, _ = insert_application(learner, other_programme, [("pending", [CERT])])
    done, _ = insert_application(learner, college["programme"], [("approved", [NCRE])])

    disable(api, college["id"])

    assert stored_application(elsewhere).status == "pending"
    assert [i.status for i in stored_items(elsewhere)] == ["pending"]
    assert stored_application(done).status == "closed"
    assert stored_application(done).certificate_no is None  # not closed by this
    assert claims_of(learner) == {CERT: elsewhere, NCRE: done}
    assert events("api:application:withdrawn") == []


def test_enabling_again_leaves_withdrawn_items_withdrawn(api, college):
    learner = api.new_learner()
    application, _ = insert_application(learner, college["programme"], [("pending", [CERT])])
    disable(api, college["id"])

    enabled = api.post(f"{COLLEGES}/{college['id']}/enable", api.workstation)

    assert enabled.status_code == 200
    assert [i.status for i in stored_items(application)] == ["withdrawn"]
    assert stored_application(application).status == "withdrawn"


def test_erasing_an_identity_withdraws_its_pending_items_and_forgets_its_student_numbers(
    api, college
):
    learner, bystander = api.new_learner(), api.new_learner()
    for someone in (learner, bystander):
        assert enrol(api, college["programme"]["id"], someone).status_code == 201
    mine, _ = insert_application(
        learner, college["programme"], [("approved", [CERT]), ("pending", [NCRE])]
    )
    theirs, _ = insert_application(bystander, college["programme"], [("pending", [NCRE])])

    erased = api.call("DELETE", f"/api/v1/learners/{learner}/identity", api.workstation)

    assert erased.status_code == 204
    assert [(i.status, i.reason) for i in stored_items(mine)] == [
        ("approved", None),
        ("withdrawn", "identity_erased"),
    ]
    assert stored_application(mine).status == "closed"
    assert stored_application(mine).certificate_no == f"CQ1024-{year()}-00001"
    assert claims_of(learner) == {CERT: mine}
    assert stored_application(theirs).status == "pending"
    assert claims_of(bystander) == {NCRE: theirs}
    listed = f"/api/v1/programmes/{college['programme']['id']}/enrolments"
    numbers = {
        e["learner_id"]: e["student_no"] for e in api.get(listed, college["headers"]).json["items"]
    }
    assert numbers == {learner: None, bystander: "2026510203001"}


def test_an_identity_erased_twice_is_404_and_changes_nothing_more(api, college):
    learner = api.new_learner()
    application, _ = insert_application(learner, college["programme"], [("pending", [CERT])])
    path = f"/api/v1/learners/{learner}/identity"
    assert api.call("DELETE", path, api.workstation).status_code == 204

    again = api.call("DELETE", path, api.workstation)

    assert again.status_code == 404
    assert len(events("api:application:withdrawn", learner)) == 1
    assert stored_application(application).status == "withdrawn"
