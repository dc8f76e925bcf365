"""Catalogues (PROGRAMMES.md § Endpoints, *Catalogues*): publish, read, versions, the version in
force, who may publish, and what the database keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from creditbank.college_models import CatalogueVersion
from creditbank.extensions import db
from creditbank.models import AuditEvent
from tests.api.catalogue_helpers import (
    CATALOGUES,
    PROGRAMMES,
    c1,
    college_headers,
    new_college,
    new_programme,
    publish,
)
from tests.api.helpers import assert_problem, walk_pages

MISSING_PROGRAMME = "pg_01JZZZZZZZZZZZZZZZZZZZZZZZ"


@pytest.fixture
def college(api) -> dict[str, Any]:
    """College CQ1024 with one client and programme 510203 (no catalogue yet)."""
    college_id = new_college("CQ1024")
    return {
        "id": college_id,
        "headers": college_headers(api, college_id),
        "programme_id": new_programme(college_id),
    }


def instant(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat(timespec="seconds")


def catalogue_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(CatalogueVersion)) or 0


def test_publishing_c1_answers_the_normalised_document_with_defaults_filled(api, college):
    response = publish(api, college["programme_id"], college["headers"], caps=None)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"].startswith("cat_")
    assert body["programme_id"] == college["programme_id"]
    assert body["version"] == 1
    assert body["published_by"]
    assert body["published_at"].endswith("Z")
    assert body["caps"] == {"share_percent": 50, "online_share_percent": 25, "per_source": "8.0"}
    assert body["total_credits"] == "120.0"
    assert [course["code"] for course in body["courses"]] == [
        "WEB101",
        "JS102",
        "UI103",
        "ICT100",
        "PRAC201",
        "MATH101",
    ]
    assert body["courses"][0]["equivalences"] == [
        {
            "kind": "certificate",
            "certificate_code": "1X-WEB-FRONTEND",
            "min_level": "intermediate",
            "online": False,
            "grade": {"intermediate": "良好", "senior": "优秀"},
        }
    ]
    assert body["courses"][3]["equivalences"][0]["min_level"] is None
    assert body["courses"][5]["equivalences"] == []


def test_a_published_catalogue_reads_back_the_same(api, college):
    published = publish(api, college["programme_id"], api.workstation).get_json()

    for headers in (api.workstation, api.auditor, college["headers"]):
        response = api.get(f"{CATALOGUES}/{published['id']}", headers)
        assert response.status_code == 200
        assert response.get_json() == published
    learner = api.learner_headers(api.new_learner())
    assert api.get(f"{CATALOGUES}/{published['id']}", learner).get_json() == published


def test_publishing_records_an_audit_event(api, college):
    published = publish(api, college["programme_id"], college["headers"]).get_json()

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.subject_id == published["id"]))
    assert event is not None
    assert event.tag == "api:catalogue:published"
    assert event.actor == published["published_by"]


@pytest.mark.parametrize(
    ("changes", "paths"),
    [
        ({"name": ""}, ["name"]),
        ({"effective_from": "2026-09-01T00:00:00"}, ["effective_from"]),
        ({"total_credits": "300.1"}, ["total_credits"]),
        (
            {"caps": {"share_percent": 101, "per_source": "-1"}},
            ["caps.share_percent", "caps.per_source"],
        ),
        ({"courses": []}, ["courses"]),
        ({"colour": "red"}, ["colour"]),
    ],
    ids=lambda value: ",".join(value) if isinstance(value, list) else None,
)
def test_a_bad_document_is_422_naming_every_bad_path_and_nothing_is_written(
    api, college, changes, paths
):
    response = publish(api, college["programme_id"], college["headers"], **changes)

    body = assert_problem(response, 422, "validation_error", *paths)
    assert set(body["errors"]) == set(paths)
    assert catalogue_rows() == 0


def test_every_bad_course_path_is_named_at_once(api, college):
    courses = c1()["courses"]
    courses[0]["code"] = "WEB.101"
    courses[1]["equivalences"][1]["min_score"] = 59
    courses[2]["kind"] = "lab"
    courses[4]["equivalences"][0]["grade"] = "score"

    response = publish(api, college["programme_id"], college["headers"], courses=courses)

    body = assert_problem(response, 422, "validation_error")
    assert set(body["errors"]) == {
        "courses.0.code",
        "courses.1.equivalences.1.min_score",
        "courses.2.kind",
        "courses.4.equivalences.0.grade",
    }


def test_a_body_that_is_not_json_is_422(api, college):
    path = f"{PROGRAMMES}/{college['programme_id']}/catalogues"
    response = api.post(path, api.workstation, data="name=x", content_type="text/plain")

    assert_problem(response, 422, "validation_error", "body")


def test_versions_count_per_programme(api, college):
    other = new_programme(college["id"], code="510201", name="计算机应用技术")
    headers = college["headers"]

    versions = [
        publish(api, college["programme_id"], headers).get_json()["version"],
        publish(api, college["programme_id"], headers).get_json()["version"],
        publish(api, other, headers).get_json()["version"],
        publish(api, college["programme_id"], headers).get_json()["version"],
    ]

    assert versions == [1, 2, 1, 3]
    listed = walk_pages(api, f"{PROGRAMMES}/{college['programme_id']}/catalogues", headers, 2)
    assert [item["version"] for item in listed] == [1, 2, 3]
    assert {item["programme_id"] for item in listed} == {college["programme_id"]}


def test_the_active_catalogue_is_the_latest_in_force_not_a_future_one(api, college):
    programme = college["programme_id"]
    active = f"{PROGRAMMES}/{programme}/catalogues/active"
    assert_problem(api.get(active, api.workstation), 404, "not_found")

    publish(api, programme, api.workstation, effective_from=instant(1))
    assert_problem(api.get(active, api.workstation), 404, "not_found")

    past = publish(api, programme, api.workstation, effective_from=instant(-2)).get_json()
    publish(api, programme, api.workstation, effective_from=instant(30))
    assert api.get(active, api.workstation).get_json()["id"] == past["id"]

    later = publish(api, programme, api.workstation, effective_from=instant(-1)).get_json()
    assert api.get(active, college["headers"]).get_json()["id"] == later["id"]


def test_of_two_in_force_from_the_same_instant_the_higher_version_is_active(api, college):
    programme = college["programme_id"]
    same = "2026-01-01T00:00:00+08:00"
    publish(api, programme, api.workstation, effective_from=same)
    second = publish(api, programme, api.workstation, effective_from="2025-12-31T16:00:00Z")

    response = api.get(f"{PROGRAMMES}/{programme}/catalogues/active", api.auditor)

    assert response.get_json()["id"] == second.get_json()["id"]
    assert response.get_json()["version"] == 2


def test_another_colleges_client_may_read_but_not_publish(api, college):
    other = college_headers(api, new_college("CQ2048", "渝西职业学院"))
    published = publish(api, college["programme_id"], college["headers"]).get_json()

    assert_problem(publish(api, college["programme_id"], other), 403, "forbidden")
    assert api.get(f"{CATALOGUES}/{published['id']}", other).status_code == 200
    listed = api.get(f"{PROGRAMMES}/{college['programme_id']}/catalogues", other)
    assert [item["id"] for item in listed.get_json()["items"]] == [published["id"]]
    assert catalogue_rows() == 1


def test_only_the_workstation_and_colleges_publish(api, college):
    _, provider = api.new_provider()
    learner = api.learner_headers(api.new_learner())

    for headers in (api.auditor, provider, learner):
        assert_problem(publish(api, college["programme_id"], headers), 403, "forbidden")
    assert publish(api, college["programme_id"], api.workstation).status_code == 201


def test_a_programme_or_catalogue_that_does_not_exist_is_404(api, college):
    assert_problem(publish(api, MISSING_PROGRAMME, api.workstation), 404, "not_found")
    for suffix in ("", "/active"):
        response = api.get(f"{PROGRAMMES}/{MISSING_PROGRAMME}/catalogues{suffix}", api.auditor)
        assert_problem(response, 404, "not_found")
    response = api.get(f"{CATALOGUES}/cat_01JZZZZZZZZZZZZZZZZZZZZZZZ", api.auditor)
    assert_problem(response, 404, "not_found")


def test_the_programme_is_checked_before_the_document(api, college):
    other = college_headers(api, new_college("CQ2048", "渝西职业学院"))

    assert_problem(publish(api, MISSING_PROGRAMME, api.workstation, name=""), 404, "not_found")
    assert_problem(publish(api, college["programme_id"], other, name=""), 403, "forbidden")


def test_the_template_is_not_read_as_a_catalogue_id(api):
    response = api.get(f"{CATALOGUES}/template.xlsx", api.auditor)

    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert_problem(api.get(f"{CATALOGUES}/template.json", api.auditor), 404, "not_found")


def test_a_catalogue_in_a_media_type_not_offered_is_406(api, college):
    published = publish(api, college["programme_id"], api.workstation).get_json()

    response = api.get(
        f"{CATALOGUES}/{published['id']}", {**api.workstation, "Accept": "application/pdf"}
    )

    assert_problem(response, 406, "not_acceptable")


def test_the_documented_body_has_every_field_the_server_reads(api):
    from creditbank.transfer.catalogues import CAP_FIELDS, COURSE_FIELDS, FIELDS
    from creditbank.transfer.equivalence_documents import COMMON
    from creditbank.transfer.equivalence_documents import FIELDS as EQUIVALENCE_FIELDS

    document = api.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    body = document["paths"]["/api/v1/programmes/{programme_id}/catalogues"]["post"]
    reference = body["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    catalogue = schemas[reference.rsplit("/", 1)[1]]

    assert set(catalogue["properties"]) == set(FIELDS)
    assert set(catalogue["properties"]["caps"]["properties"]) == set(CAP_FIELDS)
    assert set(schemas["NewCourse"]["properties"]) == set(COURSE_FIELDS)
    mapping = schemas["NewEquivalence"]["discriminator"]["mapping"]
    assert set(mapping) == {kind.value for kind in EQUIVALENCE_FIELDS}
    for kind, fields in EQUIVALENCE_FIELDS.items():
        equivalence = schemas[mapping[kind.value].rsplit("/", 1)[1]]
        assert set(equivalence["properties"]) == {*COMMON, *fields}, kind
        assert equivalence["additionalProperties"] is False
