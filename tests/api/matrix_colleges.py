"""The college half of the role matrix's world (tests/api/test_role_matrix.py), built through
the API as a client would: a college per side (``CQ…``) with a client of it, and — made when
a row first asks for it — the side's programme 510203 with catalogue C1 in force, the side's
learner enrolled, and an application of that learner to it.

An application names one course, PRAC201 (C1: practice credits adding up to 3.0), offered one
training-hours outcome of 72 practice hours (3.0 credits at the world's 24 hours a credit), so
that deciding its item closes it: approved, it has a certificate; its outcome voided, the
approved item is flagged for the college to confirm.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.programmes import C1, programme_code

SIDES = ("own", "other")
COLLEGES = "/api/v1/colleges"
PROGRAMMES = "/api/v1/programmes"
APPLICATIONS = "/api/v1/applications"
PASSWORD = "correct horse battery"
COURSE = "PRAC201"


def programme_body(code: str | None = None) -> dict[str, str]:
    """A programme of a college (a code of its own unless given: a college's codes are
    unique)."""
    code = code or programme_code()
    return {"code": code, "name": "软件技术", "level_code": "21", "category_code": "30"}


class Colleges:
    """Both sides' colleges and what hangs off them; ``learner_id`` and ``provider_headers``
    are the world's, by side."""

    def __init__(
        self,
        api: Any,
        learner_id: dict[str, str],
        provider_headers: dict[str, dict[str, str]],
    ) -> None:
        self.api = api
        self.learner_id = learner_id
        self.provider_headers = provider_headers
        self.college_id: dict[str, str] = {}
        self.headers: dict[str, dict[str, str]] = {}
        for side in SIDES:
            body = {"school_code": f"CQ{uuid.uuid4().hex[:6].upper()}", "name": f"{side}职业学院"}
            self.college_id[side] = self._created(COLLEGES, body)["id"]
            path = f"{COLLEGES}/{self.college_id[side]}/clients"
            client = self._created(path, {"name": "教务处 李老师"})
            self.headers[side] = api.token_for(client["client_id"], client["client_secret"])
        self._programme: dict[str, str] = {}
        self._catalogue: dict[str, str] = {}
        self._application: dict[str, dict[str, Any]] = {}
        self._decided: dict[tuple[str, str], str] = {}
        self._flagged: set[str] = set()

    # -- programmes and enrolments ----------------------------------------------------------
    def fresh_programme(self, side: str) -> str:
        """A new programme of the side's college, no catalogue, nobody enrolled."""
        path = f"{COLLEGES}/{self.college_id[side]}/programmes"
        return self._created(path, programme_body())["id"]

    def programme(self, side: str) -> str:
        """The side's programme 510203 with C1 in force and the side's learner enrolled."""
        if side not in self._programme:
            path = f"{COLLEGES}/{self.college_id[side]}/programmes"
            programme = self._created(path, programme_body("510203"))["id"]
            catalogue = self._created(f"{PROGRAMMES}/{programme}/catalogues", C1)
            self._programme[side], self._catalogue[side] = programme, catalogue["id"]
            self.enrol(programme, self.learner_id[side])
        return self._programme[side]

    def catalogue(self, side: str) -> str:
        self.programme(side)
        return self._catalogue[side]

    def enrol(self, programme_id: str, learner_id: str) -> None:
        body = {
            "learner_id": learner_id,
            "student_no": "2026510203001",
            "enrolled_on": "2026-09-01",
        }
        self._created(f"{PROGRAMMES}/{programme_id}/enrolments", body)

    # -- applications -----------------------------------------------------------------------
    def practice_outcome(self, side: str, learner_id: str) -> str:
        """72 hours of practice (3.0 credits) the side's provider posts for the learner."""
        response = self.api.post_outcome(
            self.provider_headers[side], learner_id, hours="72", category="practice"
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["outcome"]["id"]

    def filing(self, side: str, learner_id: str) -> dict[str, Any]:
        """The body of an application of ``learner_id`` to the side's programme (its outcome
        posted now)."""
        outcome = self.practice_outcome(side, learner_id)
        return {
            "learner_id": learner_id,
            "programme_id": self.programme(side),
            "external_ref": f"matrix-{uuid.uuid4().hex}",
            "items": [{"course_code": COURSE, "outcome_ids": [outcome]}],
        }

    def applicant(self, side: str) -> tuple[str, dict[str, str]]:
        """A new learner enrolled in the side's programme, and its token's headers."""
        learner = self.api.new_learner(password=PASSWORD)
        self.enrol(self.programme(side), learner)
        return learner, self.api.learner_headers(learner, PASSWORD)

    def file(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        return self._created(APPLICATIONS, body, headers)

    def fresh_application(self, side: str) -> tuple[str, dict[str, str]]:
        """A new applicant's pending application to the side's programme: its id, and the
        applicant's headers."""
        learner, headers = self.applicant(side)
        return self.file(self.filing(side, learner), headers)["id"], headers

    def application(self, side: str) -> dict[str, Any]:
        """The side's learner's application (filed by the learner), as filed."""
        if side not in self._application:
            learner = self.learner_id[side]
            headers = self.api.learner_headers(learner, PASSWORD)
            self._application[side] = self.file(self.filing(side, learner), headers)
        return self._application[side]

    def item_path(self, side: str) -> str:
        """The path of the one item of the side's application."""
        application = self.application(side)
        return f"{APPLICATIONS}/{application['id']}/items/{application['items'][0]['id']}"

    def decided(self, side: str, decision: str = "approve") -> str:
        """The item path of the side's application, decided by the side's college (approving it
        closes the application, with a certificate)."""
        if (side, decision) not in self._decided:
            body: dict[str, Any] = {"decision": decision}
            if decision == "reject":
                body["reason"] = "材料不全"
            path = self.item_path(side)
            self._created(f"{path}/decision", body, self.headers[side])
            self._decided[(side, decision)] = path
        return self._decided[(side, decision)]

    def flagged(self, side: str) -> str:
        """The item path of the side's approved item whose outcome its provider then voided."""
        path = self.decided(side)
        if side not in self._flagged:
            outcome = self.application(side)["items"][0]["outcome_ids"][0]
            voided = self.api.post(
                f"/api/v1/outcomes/{outcome}/void",
                self.provider_headers[side],
                json={"reason": "证书撤销"},
            )
            assert voided.status_code == 201, voided.get_json()
            self._flagged.add(side)
        return path

    # ----------------------------------------------------------------------------------------
    def _created(
        self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        response = self.api.post(path, headers or self.api.workstation, json=body)
        assert response.status_code == 201, (path, response.get_json())
        return response.get_json()
