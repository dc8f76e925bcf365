"""Every endpoint × every role × own / other / missing resource, from the URL map.

``DECISIONS`` says, for each route, which roles may call it and on whose resources, or that it
is public. Every rule of the app's URL map — the API, the operations endpoints, the docs, the
workstation's pages and their static files — needs one: a route without a decision fails
``test_every_route_has_a_decision``, naming it, so a new endpoint cannot ship without one; a
decision whose route is not in the URL map fails ``test_every_decision_is_a_route``. Expected
answers (API.md § Auth, § Conventions):

- no token → 401, except the public set of API.md (and the token endpoint itself);
- a role the route does not let in → 403, whatever the resource;
- ``ANY``: the role reaches every resource → 2xx; a resource that does not exist → 404;
- ``OWN``: only its own (a provider's outcomes, a college's programmes) → 2xx, another's →
  403, none → 404;
- ``SELF``: only itself (a learner's own account) → 2xx, any other id → 403;
- ``HIDDEN``: the role is let in, but every resource is hidden from it → 404 (a learner's
  evidence files to a provider or a college).
- ``SCOPED``: only its own, and another's is hidden as if it did not exist → 2xx, another's
  → 404, none → 404 (PROGRAMMES.md § Words and roles, rules of scope: a college naming
  another college's applications, items, enrolments, eligibility or certificates; a learner
  naming another learner's application).

"own" is the side of the provider, the learner and the college whose tokens the matrix uses;
"other" is a second provider, learner and college. Staff have no side: both are simply
resources to them.

The console's pages are for people in a browser (``browser`` rows; the page rows live in
role_matrix_pages.py): a signed-in session decides who sees them, never a bearer token. The
workstation's and the college's pages take a staff session; the learner portal's
(``/learner/``) the own side's learner signed in there by account number and password, its
first sign-in's password change made. Without a session — no token, or any role's token — a
page answers with its door's sign-in form (302); signed in, a role the row lets in gets its
answer (a learner: another learner's application as one that does not exist, 404); a staff
session a staff page does not let in gets 403, and a session of the other door (staff on the
portal, the learner on staff pages) that door's sign-in form. Their forms carry the session's
CSRF token, as a browser's do.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from creditbank.domain.roles import Role
from creditbank.services.staff import create_staff
from tests.api.browsers import STAFF_PASSWORD, csrf_token, new_browser, sign_in
from tests.api.catalogue_helpers import C1_FORM, c1
from tests.api.matrix_colleges import APPLICATIONS, Colleges, programme_body
from tests.api.role_matrix_pages import (
    CONVERSION_PAGES,
    LEARNER_HOME,
    LEARNER_PAGES,
    LEARNER_SIGN_IN,
    WORKSTATION_PAGES,
    account_number,
    approved_item,
    flagged_item,
    pending_item,
)
from tests.api.role_matrix_rows import (
    ANY,
    HIDDEN,
    MISSING,
    NO,
    OWN,
    OWNED,
    ROLES,
    SCOPED,
    SELF,
    SIDES,
    SINGLE,
    Call,
    Row,
    everyone,
    fixed,
    for_anyone_in_a_browser,
    page,
    staff,
    writer_page,
)

# The roles with a staff session in a browser; with the learner's portal session, the roles
# with a session, and the page each one's forms are taken from.
STAFF_ROLES = ("workstation", "auditor", "college")
SESSION_ROLES = (*STAFF_ROLES, "learner")
HOME = {
    "workstation": "/workstation/",
    "auditor": "/workstation/",
    "college": "/college/",
    "learner": LEARNER_HOME,
}
PASSWORD = "correct horse battery"
SIGN_IN_FORM = "/workstation/login"


LEARNER_READERS = {**staff(), "learner": SELF}
PROGRAMME_WRITERS = {"workstation": ANY, "college": OWN}  # a college: its own college's
APPLICATION_READERS = {**staff(), "learner": SCOPED, "college": SCOPED}
APPLICATION_READERS_OF_LISTS = {**staff(), "learner": ANY, "college": ANY}  # each its own

# -- the world the calls act in ------------------------------------------------------------------


class World:
    """Two sides, each a provider with a client, a learner with a credited outcome, and a
    college with a client (its programme, enrolments and applications: ``colleges``)."""

    def __init__(self, api) -> None:
        self.api = api
        self.ruleset_id = api.publish_ruleset()["id"]
        self.provider_id: dict[str, str] = {}
        self.provider_headers: dict[str, dict[str, str]] = {}
        self.learner_id: dict[str, str] = {}
        for side in ("own", "other"):
            self.provider_id[side], self.provider_headers[side] = api.new_provider()
            self.learner_id[side] = api.new_learner(password=PASSWORD)
        self.outcome_id = {side: self.new_outcome(side) for side in ("own", "other")}
        self.colleges = Colleges(api, self.learner_id, self.provider_headers)
        self.headers = {
            "workstation": api.workstation,
            "auditor": api.auditor,
            "provider": self.provider_headers["own"],
            "learner": api.learner_headers(self.learner_id["own"], PASSWORD),
            "college": self.colleges.headers["own"],
        }
        self._audit_id: str | None = None
        self._sessions: dict[str, FlaskClient] = {}
        self._deposits: set[tuple[str, str]] = set()

    def new_outcome(self, side: str, **fields: Any) -> str:
        """An outcome the side's provider posts for the side's learner (16 h: 1.0 credit)."""
        response = self.api.post_outcome(
            self.provider_headers[side], self.learner_id[side], hours="16", **fields
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["outcome"]["id"]

    def new_pending(self, side: str) -> str:
        """An informal outcome: no rule covers it, so it waits for review."""
        body = {
            "learner_id": self.learner_id[side],
            "external_ref": f"pending-{uuid.uuid4().hex}",
            "kind": "informal",
            "description": "社区讲座",
            "achieved_on": "2026-01-15",
        }
        response = self.api.post("/api/v1/outcomes", self.provider_headers[side], json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["outcome"]["id"]

    def deposited(self, side: str, data: bytes) -> str:
        """``data`` deposited as evidence to the side's learner (once); its SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        if (side, digest) not in self._deposits:
            call = deposit(self, "workstation", side)
            form = {**call.data, "evidence": (io.BytesIO(data), "evidence.pdf")}
            response = self.api.post(call.path, self.api.workstation, data=form)
            assert response.status_code == 201, response.get_json()
            self._deposits.add((side, digest))
        return digest

    def new_client(self, side: str) -> str:
        path = f"/api/v1/providers/{self.provider_id[side]}/clients"
        response = self.api.post(path, self.api.workstation)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["client_id"]

    def new_learner_headers(self) -> tuple[str, dict[str, str]]:
        learner = self.api.new_learner(password=PASSWORD)
        return learner, self.api.learner_headers(learner, PASSWORD)

    def audit_id(self) -> str:
        if self._audit_id is None:
            response = self.api.post("/api/v1/audits", self.api.workstation, json={})
            assert response.status_code in (201, 202), response.get_json()
            self._audit_id = response.get_json()["id"]
        return self._audit_id

    def checkpoint(self) -> None:
        response = self.api.post("/api/v1/checkpoints", self.api.workstation)
        assert response.status_code == 201, response.get_json()

    def staff_account(self, role: str) -> str:
        """The username of the world's staff account of ``role``, made when first asked for."""
        username = f"matrix.{role}"
        if role not in self._sessions:
            college = self.colleges.college_id["own"] if role == "college" else None
            create_staff(username, Role(role), STAFF_PASSWORD, college_id=college)
            browser = new_browser(self.api.app)
            assert sign_in(browser, username).status_code == 302
            self._sessions[role] = browser
        return username

    def signed_in(self, role: str) -> FlaskClient:
        """A browser signed in as the world's staff account of ``role``, or as the own side's
        learner to the portal (``learner``)."""
        if role == "learner":
            return self.learner_session()
        self.staff_account(role)
        return self._sessions[role]

    def learner_session(self) -> FlaskClient:
        """A browser signed in to the portal as the own side's learner, by account number and
        password, its first sign-in's password change made (to the same password: the change
        ends the learner's bearer token, so the world takes a new one)."""
        if "learner" not in self._sessions:
            browser = new_browser(self.api.app)
            form = {"username": account_number(self), "password": PASSWORD}
            token = csrf_token(browser, LEARNER_SIGN_IN)
            signed = browser.post(LEARNER_SIGN_IN, data={**form, "csrf_token": token})
            assert signed.status_code == 302, signed.status_code
            assert browser.get(LEARNER_HOME).headers["Location"] == "/learner/password"
            change = {
                "old_password": PASSWORD,
                "new_password": PASSWORD,
                "confirm_password": PASSWORD,
                "csrf_token": csrf_token(browser, "/learner/password"),
            }
            assert browser.post("/learner/password", data=change).status_code == 302
            assert browser.get(LEARNER_HOME).status_code == 200
            self.headers["learner"] = self.api.learner_headers(self.learner_id["own"], PASSWORD)
            self._sessions["learner"] = browser
        return self._sessions["learner"]

    def learner(self, target: str) -> str:
        return self.learner_id.get(target, MISSING["learner"])

    def outcome(self, target: str, fresh: Callable[[str], str] | None = None) -> str:
        if target == "missing":
            return MISSING["outcome"]
        return fresh(target) if fresh else self.outcome_id[target]


def deposit(world: World, _role: str, target: str) -> Call:
    """A deposit to the side's learner (a learner: as itself, or naming the other side's)."""
    form = {
        "kind": "informal",
        "title": "社区讲座",
        "issuer": "社区学校",
        "achieved_on": "2026-01-15",
        "description": "讲座记录",
        "evidence": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "record.pdf"),
    }
    path = f"/api/v1/learners/{world.learner(target)}/deposits"
    return Call(path, data=form, content_type="multipart/form-data")


EVIDENCE = b"%PDF-1.4\n% matrix evidence\n%%EOF\n"


def evidence(world: World, _role: str, target: str) -> Call:
    """The side's learner's evidence file, deposited by the workstation."""
    digest = hashlib.sha256(EVIDENCE).hexdigest()
    if target != "missing":
        world.deposited(target, EVIDENCE)
    return Call(f"/api/v1/learners/{world.learner(target)}/evidence/{digest}")


def evidence_page(world: World, _role: str, _target: str) -> Call:
    learner = world.learner_id["own"]
    digest = world.deposited("own", EVIDENCE)
    return Call(f"/workstation/evidence/{learner}/{digest}")


def review_page(suffix: str = "", **kwargs: Any) -> Callable[[World, str, str], Call]:
    """A page (or a form) of a fresh pending outcome's review."""
    return lambda world, _role, _target: Call(
        f"/workstation/reviews/{world.new_pending('own')}{suffix}", **kwargs
    )


def portal_deposit(world: World, role: str, target: str) -> Call:
    call = deposit(world, role, "own")
    return Call("/learner/deposit", data=call.data, content_type="multipart/form-data")


def portal_evidence(world: World, _role: str, _target: str) -> Call:
    return Call(f"/learner/evidence/{world.deposited('own', EVIDENCE)}")


def learner_path(suffix: str = "") -> Callable[[World, str, str], Call]:
    return lambda world, _role, target: Call(f"/api/v1/learners/{world.learner(target)}{suffix}")


def password_change(world: World, role: str, target: str) -> Call:
    """A fresh learner each time: a changed password ends the tokens of the one it changes."""
    if target == "missing":
        learner, headers = MISSING["learner"], None
    elif role == "learner" and target == "own":
        learner, headers = world.new_learner_headers()
    else:
        learner, headers = world.api.new_learner(password=PASSWORD), None
    body = {"new_password": "a brand new secret"}
    if role == "learner":
        body["old_password"] = PASSWORD
    return Call(f"/api/v1/learners/{learner}/password", json=body, headers=headers)


def erase_identity(world: World, _role: str, target: str) -> Call:
    """A fresh learner each time: erasing one ends its tokens and the world's learner's."""
    learner = MISSING["learner"] if target == "missing" else world.api.new_learner()
    return Call(f"/api/v1/learners/{learner}/identity")


def void(world: World, _role: str, target: str) -> Call:
    outcome = world.outcome(target, fresh=world.new_outcome)
    return Call(f"/api/v1/outcomes/{outcome}/void", json={"reason": "录入错误"})


def review(world: World, _role: str, target: str) -> Call:
    outcome = world.outcome(target, fresh=world.new_pending)
    body = {"credits": "1.0", "category": "general", "note": "讲座记录齐全"}
    return Call(f"/api/v1/reviews/{outcome}", json=body)


def client_action(action: str) -> Callable[[World, str, str], Call]:
    def call(world: World, _role: str, target: str) -> Call:
        client = MISSING["client"] if target == "missing" else world.new_client(target)
        return Call(f"/api/v1/clients/{client}/{action}")

    return call


def provider_clients(world: World, _role: str, target: str) -> Call:
    return Call(f"/api/v1/providers/{world.provider_id.get(target, MISSING['provider'])}/clients")


def provider_path(world: World, _role: str, target: str) -> Call:
    provider = MISSING["provider"] if target == "missing" else world.provider_id["other"]
    return Call(f"/api/v1/providers/{provider}")


def post_outcome(world: World, _role: str, _target: str) -> Call:
    body = {
        "learner_id": world.learner_id["own"],
        "external_ref": f"matrix-{uuid.uuid4().hex}",
        "kind": "training_hours",
        "hours": "8",
        "category": "theory",
        "achieved_on": "2026-01-15",
    }
    return Call("/api/v1/outcomes", json=body)


def upload(world: World, role: str, target: str) -> Call:
    row = post_outcome(world, role, target).json
    csv = ",".join(row) + "\n" + ",".join(str(value) for value in row.values()) + "\n"
    file = (io.BytesIO(csv.encode("utf-8")), "outcomes.csv")
    return Call("/api/v1/outcomes/upload", data={"file": file}, content_type="multipart/form-data")


def audit_path(suffix: str = "") -> Callable[[World, str, str], Call]:
    def call(world: World, _role: str, target: str) -> Call:
        audit = MISSING["audit"] if target == "missing" else world.audit_id()
        return Call(f"/api/v1/audits/{audit}{suffix}")

    return call


def latest_checkpoint(world: World, _role: str, _target: str) -> Call:
    world.checkpoint()
    return Call("/api/v1/checkpoints/latest")


def proof(world: World, _role: str, target: str) -> Call:
    world.checkpoint()
    return Call("/api/v1/checkpoints/latest/proof", query={"learner_id": world.learner(target)})


def ruleset_path(world: World, _role: str, target: str) -> Call:
    ruleset = MISSING["ruleset"] if target == "missing" else world.ruleset_id
    return Call(f"/api/v1/rulesets/{ruleset}")


RULESET = {"name": "矩阵规则", "effective_from": "2020-01-01T00:00:00+08:00"}


def new_provider(_world: World, _role: str, _target: str) -> Call:
    body = {"code": f"M{uuid.uuid4().hex[:12]}", "name": "矩阵培训中心"}
    return Call("/api/v1/providers", json=body)


# -- the college half (PROGRAMMES.md) --------------------------------------------------------
# Reads use the side's programme with C1 in force (world.colleges.programme); a write that
# changes a programme gets a new one of the side's college, so that disabling or renaming
# one never touches another call's; the workstation's college rows use colleges of their own.
NO_SIDE = "own"  # the side a SINGLE row's resource belongs to (to a college, its own)


def fresh_college(world: World) -> str:
    body = {"school_code": f"M{uuid.uuid4().hex[:8].upper()}", "name": "矩阵学院"}
    response = world.api.post("/api/v1/colleges", world.api.workstation, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def college_path(suffix: str = "", **kwargs: Any) -> Callable[[World, str, str], Call]:
    """A new college of its own (SINGLE): the workstation's rows disable and enable it."""

    def call(world: World, _role: str, target: str) -> Call:
        college = MISSING["college"] if target == "missing" else fresh_college(world)
        return Call(f"/api/v1/colleges/{college}{suffix}", **kwargs)

    return call


def new_programme(world: World, _role: str, target: str) -> Call:
    """A programme of the side's college, under a code of its own."""
    college = world.colleges.college_id.get(target, MISSING["college"])
    return Call(f"/api/v1/colleges/{college}/programmes", json=programme_body())


def catalogued_programme_path(suffix: str = "") -> Callable[[World, str, str], Call]:
    """The programme with C1 in force (SINGLE: of the own side's college)."""

    def call(world: World, _role: str, target: str) -> Call:
        missing = target == "missing"
        programme = MISSING["programme"] if missing else world.colleges.programme(NO_SIDE)
        return Call(f"/api/v1/programmes/{programme}{suffix}")

    return call


def fresh_programme_path(suffix: str = "", **kwargs: Any) -> Callable[[World, str, str], Call]:
    """A new programme of the side's college (OWNED), nothing in it."""

    def call(world: World, _role: str, target: str) -> Call:
        missing = target == "missing"
        programme = MISSING["programme"] if missing else world.colleges.fresh_programme(target)
        return Call(f"/api/v1/programmes/{programme}{suffix}", **kwargs)

    return call


def catalogue_upload(world: World, role: str, target: str) -> Call:
    rows = "课程代码,课程名称,学分\nMATH101,高等数学,4\n"
    form = {**C1_FORM, "file": (io.BytesIO(rows.encode("utf-8")), "catalogue.csv")}
    call = fresh_programme_path("/catalogues/upload", data=form, content_type="multipart/form-data")
    return call(world, role, target)


def catalogue_path(world: World, _role: str, target: str) -> Call:
    missing = target == "missing"
    catalogue = MISSING["catalogue"] if missing else world.colleges.catalogue(NO_SIDE)
    return Call(f"/api/v1/catalogues/{catalogue}")


ENROLMENT = {"student_no": "M001", "enrolled_on": "2026-09-01"}


def enrolment(world: World, role: str, target: str) -> Call:
    call = fresh_programme_path("/enrolments")(world, role, target)
    return Call(call.path, json={"learner_id": world.learner_id["own"], **ENROLMENT})


def end_enrolment(world: World, role: str, target: str) -> Call:
    call = enrolment(world, role, target)
    if target != "missing":
        response = world.api.post(call.path, world.api.workstation, json=call.json)
        assert response.status_code == 201, response.get_json()
    ending = {"ended_on": "2026-09-02", "reason": "毕业"}
    return Call(f"{call.path}/{world.learner_id['own']}/end", json=ending)


def learner_enrolments(world: World, _role: str, target: str) -> Call:
    """The side's learner, enrolled in the side's programme (a college sees its own)."""
    if target != "missing":
        world.colleges.programme(target)
    return Call(f"/api/v1/learners/{world.learner(target)}/enrolments")


def eligibility(world: World, _role: str, target: str) -> Call:
    """The side's learner in the side's programme; "missing": no such learner."""
    programme = world.colleges.programme("own" if target == "missing" else target)
    query = {"learner_id": world.learner(target)}
    return Call(f"/api/v1/programmes/{programme}/eligibility", query=query)


def file_application(world: World, role: str, target: str) -> Call:
    """A new applicant of the side each time (filing claims its outcome); as a learner, the
    applicant files itself ("own"), or names the other side's learner ("other")."""
    if role not in ("workstation", "learner"):  # refused before the body is read
        return Call(APPLICATIONS, json={})
    if role == "learner" and target == "other":
        body = world.colleges.filing("other", world.learner_id["other"])
        return Call(APPLICATIONS, json=body)
    learner, headers = world.colleges.applicant(target)
    body = world.colleges.filing(target, learner)
    return Call(APPLICATIONS, json=body, headers=headers if role == "learner" else None)


def application_path(suffix: str = "") -> Callable[[World, str, str], Call]:
    """The side's learner's application (pending: its one item undecided)."""

    def call(world: World, _role: str, target: str) -> Call:
        missing = target == "missing"
        application = (
            MISSING["application"] if missing else world.colleges.application(target)["id"]
        )
        return Call(f"{APPLICATIONS}/{application}{suffix}")

    return call


def certificate(world: World, _role: str, target: str) -> Call:
    """The side's application, its item approved: closed, with a certificate."""
    if target == "missing":
        return Call(f"{APPLICATIONS}/{MISSING['application']}/certificate")
    world.colleges.decided(target)
    return Call(f"{APPLICATIONS}/{world.colleges.application(target)['id']}/certificate")


def withdraw(world: World, role: str, target: str) -> Call:
    """A new applicant's pending application each time; as a learner, the applicant's own
    ("own") or another's ("other", with the world's learner's token)."""
    body = {"reason": "不再申请"}
    if target == "missing":
        return Call(f"{APPLICATIONS}/{MISSING['application']}/withdraw", json=body)
    application, headers = world.colleges.fresh_application(target)
    own = role == "learner" and target == "own"
    return Call(
        f"{APPLICATIONS}/{application}/withdraw", json=body, headers=headers if own else None
    )


MISSING_ITEM = f"{APPLICATIONS}/{MISSING['application']}/items/{MISSING['item']}"


def item_action(action: str, item: Callable[[World, str], str], **kwargs: Any):
    """``action`` on the side's item as ``item`` leaves it (pending, approved, flagged)."""

    def call(world: World, _role: str, target: str) -> Call:
        path = MISSING_ITEM if target == "missing" else item(world, target)
        return Call(f"{path}/{action}", **kwargs)

    return call


def sign_in_form(world: World, _role: str, _target: str) -> Call:
    form = {"username": world.staff_account("workstation"), "password": STAFF_PASSWORD}
    return Call(SIGN_IN_FORM, data=form)


# -- verifiable documents (tests/api/test_documents.py, test_document_pages.py) -----------------
MISSING_DOCUMENT = "YY-T-2026-9999990"


def issued_document(world: World) -> str:
    """A fresh transcript of the own side's learner: its number."""
    path = f"/api/v1/learners/{world.learner_id['own']}/transcript"
    response = world.api.get(path, {**world.api.workstation, "Accept": "text/html"})
    assert response.status_code == 200
    return response.headers["X-Document-Number"]


def revoke_document(world: World, _role: str, target: str) -> Call:
    number = MISSING_DOCUMENT if target == "missing" else issued_document(world)
    return Call(f"/api/v1/documents/{number}/revoke", json={"reason": "矩阵"})


def revoke_credential(world: World, _role: str, target: str) -> Call:
    learner = world.learner(target)
    if target != "missing":  # a credential to revoke
        world.api.get(f"/api/v1/learners/{learner}/credential", world.api.workstation)
    return Call(f"/api/v1/learners/{learner}/credential/revoke", json={"reason": "矩阵"})


def verify_page(world: World, _role: str, _target: str) -> Call:
    return Call(f"/verify/{issued_document(world)}")


def documents_page(suffix: str = "", data: dict[str, str] | None = None):
    def call(world: World, _role: str, _target: str) -> Call:
        learner = world.learner_id["own"]
        path = f"/workstation/learners/{learner}{suffix}"
        return Call(path.replace("{number}", issued_document(world)), data=data)

    return call


def fresh_client_path(suffix: str) -> Callable[[World, str, str], Call]:
    """A provider's client of its own for each call (disabling or rotating one spends it)."""

    def call(_world: World, _role: str, _target: str) -> Call:
        from creditbank.services.clients import create_client, register_provider

        provider = register_provider(f"M{uuid.uuid4().hex[:8]}", "矩阵培训中心")
        client = create_client(Role.PROVIDER, provider.name, provider.id)
        return Call(f"/workstation/clients/{client.client_id}/{suffix}", data={})

    return call


def fresh_staff_path(_world: World, _role: str, _target: str) -> Call:
    username = f"m{uuid.uuid4().hex[:8]}"
    create_staff(username, Role.AUDITOR, STAFF_PASSWORD)
    return Call(f"/workstation/staff/{username}/disable", data={})


def checkpoint_file(world: World, _role: str, _target: str) -> Call:
    world.checkpoint()
    latest = world.api.get("/api/v1/checkpoints/latest", world.api.workstation).get_json()
    return Call(f"/workstation/checkpoints/{latest['id']}.json")


# -- the decisions -------------------------------------------------------------------------------
# Keys are "METHOD /path" with every <converter:name> written as {}.

DECISIONS: dict[str, Row] = {
    # public (API.md § the contract, § Operations)
    "GET /healthz": Row(fixed("/healthz"), public=True),
    "GET /readyz": Row(fixed("/readyz"), public=True),
    "GET /metrics": Row(fixed("/metrics"), public=True),
    "GET /.well-known/jwks.json": Row(fixed("/.well-known/jwks.json"), public=True),
    "GET /api/v1/openapi.json": Row(fixed("/api/v1/openapi.json"), public=True),
    "GET /api/v1/docs": Row(fixed("/api/v1/docs"), public=True),
    "GET /api/v1/docs/assets/{}": Row(
        fixed("/api/v1/docs/assets/swagger-ui-bundle.js"), public=True
    ),
    # auth: open by nature, tested in test_auth.py and test_tokens_independent.py
    "POST /api/v1/auth/token": Row(fixed("/api/v1/auth/token"), public=True),
    # learners
    "POST /api/v1/learners": Row(
        fixed("/api/v1/learners", json={"name": "李四", "password": PASSWORD}),
        {"workstation": ANY},
        ok=(201,),
    ),
    "GET /api/v1/learners": Row(fixed("/api/v1/learners"), staff()),
    "POST /api/v1/learners/search": Row(
        fixed("/api/v1/learners/search", json={"national_id": "11010519491231002X"}), staff()
    ),
    "GET /api/v1/learners/{}": Row(learner_path(), LEARNER_READERS, OWNED),
    "PATCH /api/v1/learners/{}": Row(
        lambda world, _role, target: Call(
            f"/api/v1/learners/{world.learner(target)}", json={"name": "王五"}
        ),
        {"workstation": ANY},
        OWNED,
    ),
    "DELETE /api/v1/learners/{}/identity": Row(
        erase_identity, {"workstation": ANY}, OWNED, ok=(204,)
    ),
    "PUT /api/v1/learners/{}/password": Row(
        password_change, {"workstation": ANY, "learner": SELF}, OWNED, ok=(204,)
    ),
    "GET /api/v1/learners/{}/balance": Row(learner_path("/balance"), LEARNER_READERS, OWNED),
    "GET /api/v1/learners/{}/ledger": Row(learner_path("/ledger"), LEARNER_READERS, OWNED),
    "GET /api/v1/learners/{}/transcript": Row(learner_path("/transcript"), LEARNER_READERS, OWNED),
    "GET /api/v1/learners/{}/credential": Row(learner_path("/credential"), LEARNER_READERS, OWNED),
    # providers and clients
    "POST /api/v1/providers": Row(new_provider, {"workstation": ANY}, ok=(201,)),
    "GET /api/v1/providers": Row(fixed("/api/v1/providers"), {**staff(), "provider": ANY}),
    "GET /api/v1/providers/{}": Row(provider_path, {**staff(), "provider": ANY}, SINGLE),
    "POST /api/v1/providers/{}/clients": Row(
        provider_clients, {"workstation": ANY}, OWNED, ok=(201,)
    ),
    "POST /api/v1/clients/{}/disable": Row(client_action("disable"), {"workstation": ANY}, OWNED),
    "POST /api/v1/clients/{}/rotate": Row(client_action("rotate"), {"workstation": ANY}, OWNED),
    # outcomes
    "POST /api/v1/outcomes": Row(post_outcome, {"provider": ANY}, ok=(201,)),
    "GET /api/v1/outcomes": Row(fixed("/api/v1/outcomes"), {**staff(), "provider": ANY}),
    "GET /api/v1/outcomes/{}": Row(
        lambda world, _role, target: Call(f"/api/v1/outcomes/{world.outcome(target)}"),
        {**staff(), "provider": OWN},
        OWNED,
    ),
    "POST /api/v1/outcomes/{}/void": Row(
        void, {"workstation": ANY, "provider": OWN}, OWNED, ok=(201,)
    ),
    "POST /api/v1/outcomes/upload": Row(upload, {"provider": ANY}, ok=(201,)),
    "GET /api/v1/outcomes/template.xlsx": Row(
        fixed("/api/v1/outcomes/template.xlsx", query={"kind": "training_hours"}),
        {**staff(), "provider": ANY},
    ),
    # rulesets and reviews
    "POST /api/v1/rulesets": Row(
        fixed("/api/v1/rulesets", json=RULESET), {"workstation": ANY}, ok=(201,)
    ),
    "GET /api/v1/rulesets": Row(fixed("/api/v1/rulesets"), everyone()),
    "GET /api/v1/rulesets/active": Row(fixed("/api/v1/rulesets/active"), everyone()),
    "GET /api/v1/rulesets/{}": Row(ruleset_path, everyone(), SINGLE),
    "GET /api/v1/reviews": Row(fixed("/api/v1/reviews"), staff()),
    "POST /api/v1/reviews/{}": Row(review, {"workstation": ANY}, OWNED, ok=(201,)),
    # catalogues (PROGRAMMES.md): every role reads; the workstation and the programme's
    # college publish (another college's programme: 403)
    "POST /api/v1/programmes/{}/catalogues": Row(
        fresh_programme_path("/catalogues", json=c1()), PROGRAMME_WRITERS, OWNED, ok=(201,)
    ),
    "GET /api/v1/programmes/{}/catalogues": Row(
        catalogued_programme_path("/catalogues"), everyone(), SINGLE
    ),
    "GET /api/v1/programmes/{}/catalogues/active": Row(
        catalogued_programme_path("/catalogues/active"), everyone(), SINGLE
    ),
    "POST /api/v1/programmes/{}/catalogues/upload": Row(
        catalogue_upload, PROGRAMME_WRITERS, OWNED, ok=(201,)
    ),
    "GET /api/v1/catalogues/{}": Row(catalogue_path, everyone(), SINGLE),
    "GET /api/v1/catalogues/template.xlsx": Row(
        fixed("/api/v1/catalogues/template.xlsx"), everyone()
    ),
    # audits and checkpoints (API.md: workstation and auditor; checkpoints made by the
    # workstation only)
    "POST /api/v1/audits": Row(fixed("/api/v1/audits", json={}), staff(), ok=(201, 202)),
    "GET /api/v1/audits/{}": Row(audit_path(), staff(), SINGLE),
    "GET /api/v1/audits/{}/findings": Row(audit_path("/findings"), staff(), SINGLE),
    "POST /api/v1/checkpoints": Row(fixed("/api/v1/checkpoints"), {"workstation": ANY}, ok=(201,)),
    "GET /api/v1/checkpoints/latest": Row(latest_checkpoint, staff()),
    "GET /api/v1/checkpoints/latest/proof": Row(proof, staff(), OWNED),
    # exports for the workstation's own records; the national conversion record (a college:
    # its own rows, test_course_conversions.py)
    "GET /api/v1/exports/course-conversions.csv": Row(
        fixed("/api/v1/exports/course-conversions.csv"), {**staff(), "college": ANY}
    ),
    "GET /api/v1/exports/course-conversions.xlsx": Row(
        fixed("/api/v1/exports/course-conversions.xlsx"), {**staff(), "college": ANY}
    ),
    "GET /api/v1/exports/conversions.csv": Row(fixed("/api/v1/exports/conversions.csv"), staff()),
    "GET /api/v1/exports/conversions.xlsx": Row(fixed("/api/v1/exports/conversions.xlsx"), staff()),
    "GET /api/v1/exports/balances.xlsx": Row(fixed("/api/v1/exports/balances.xlsx"), staff()),
    # colleges and their clients, programmes and enrolments (PROGRAMMES.md § Words and roles)
    "POST /api/v1/colleges": Row(
        fixed("/api/v1/colleges", json={"school_code": "MATRIX", "name": "矩阵学院"}),
        {"workstation": ANY},
        ok=(201,),
    ),
    "GET /api/v1/colleges": Row(fixed("/api/v1/colleges"), everyone()),
    "GET /api/v1/colleges/{}": Row(college_path(), everyone(), SINGLE),
    "PATCH /api/v1/colleges/{}": Row(
        college_path(json={"name": "新名"}), {"workstation": ANY}, SINGLE
    ),
    "POST /api/v1/colleges/{}/disable": Row(college_path("/disable"), {"workstation": ANY}, SINGLE),
    "POST /api/v1/colleges/{}/enable": Row(college_path("/enable"), {"workstation": ANY}, SINGLE),
    "POST /api/v1/colleges/{}/clients": Row(
        college_path("/clients"), {"workstation": ANY}, SINGLE, ok=(201,)
    ),
    "POST /api/v1/colleges/{}/programmes": Row(new_programme, PROGRAMME_WRITERS, OWNED, ok=(201,)),
    "GET /api/v1/programmes": Row(fixed("/api/v1/programmes"), everyone()),
    "GET /api/v1/programmes/{}": Row(catalogued_programme_path(), everyone(), SINGLE),
    "PATCH /api/v1/programmes/{}": Row(
        fresh_programme_path(json={"name": "新名"}), PROGRAMME_WRITERS, OWNED
    ),
    "POST /api/v1/programmes/{}/disable": Row(
        fresh_programme_path("/disable"), PROGRAMME_WRITERS, OWNED
    ),
    "POST /api/v1/programmes/{}/enrolments": Row(enrolment, PROGRAMME_WRITERS, OWNED, ok=(201,)),
    "GET /api/v1/programmes/{}/enrolments": Row(
        fresh_programme_path("/enrolments"), {**staff(), "college": OWN}, OWNED
    ),
    "POST /api/v1/programmes/{}/enrolments/{}/end": Row(end_enrolment, PROGRAMME_WRITERS, OWNED),
    "GET /api/v1/learners/{}/enrolments": Row(
        learner_enrolments, {**LEARNER_READERS, "college": SCOPED}, OWNED
    ),
    # eligibility, applications and decisions (PROGRAMMES.md § Words and roles): a college
    # sees its own college's learners, a learner its own applications; the rest is 404
    "GET /api/v1/programmes/{}/eligibility": Row(
        eligibility, {**LEARNER_READERS, "college": SCOPED}, OWNED
    ),
    "POST /api/v1/applications": Row(
        file_application, {"workstation": ANY, "learner": SELF}, SIDES, ok=(201,)
    ),
    "GET /api/v1/applications": Row(fixed(APPLICATIONS), APPLICATION_READERS_OF_LISTS),
    "GET /api/v1/applications/{}": Row(application_path(), APPLICATION_READERS, OWNED),
    "GET /api/v1/applications/{}/certificate": Row(certificate, APPLICATION_READERS, OWNED),
    "POST /api/v1/applications/{}/withdraw": Row(
        withdraw, {"workstation": ANY, "learner": SCOPED}, OWNED
    ),
    "POST /api/v1/applications/{}/items/{}/decision": Row(
        item_action("decision", pending_item, json={"decision": "approve"}),
        {"college": SCOPED},
        OWNED,
        ok=(201,),
    ),
    "POST /api/v1/applications/{}/items/{}/revoke": Row(
        item_action("revoke", approved_item, json={"reason": "来源证书已被撤销"}),
        {"college": SCOPED},
        OWNED,
        ok=(201,),
    ),
    "POST /api/v1/applications/{}/items/{}/confirm": Row(
        item_action("confirm", flagged_item, json={"note": "证书已重新核实"}),
        {"college": SCOPED},
        OWNED,
    ),
    # the workstation's pages (tests/api/test_workstation_pages.py): signed-in staff only
    "GET /workstation/": page("/workstation/"),
    "GET /workstation/learners": page("/workstation/learners"),
    "GET /workstation/outcomes": page("/workstation/outcomes"),
    "GET /workstation/reviews": page("/workstation/reviews"),
    "GET /workstation/audits/{}": Row(
        lambda world, _role, _target: Call(f"/workstation/audits/{world.audit_id()}"),
        staff(),
        browser=True,
    ),
    "GET /workstation/charts/monthly-{}.svg": page("/workstation/charts/monthly-credits.svg"),
    "GET /workstation/audits": page("/workstation/audits"),
    "POST /workstation/audits": Row(
        fixed("/workstation/audits", data={}), staff(), browser=True, ok=(302,)
    ),
    "GET /workstation/audits/{}/status": Row(
        lambda world, _role, _target: Call(f"/workstation/audits/{world.audit_id()}/status"),
        staff(),
        browser=True,
    ),
    "GET /workstation/checkpoints/{}.json": Row(checkpoint_file, staff(), browser=True),
    "GET /workstation/providers": page("/workstation/providers"),
    "POST /workstation/providers": writer_page(
        lambda _world, _role, _target: Call(
            "/workstation/providers", data={"code": f"M{uuid.uuid4().hex[:8]}", "name": "矩阵"}
        )
    ),
    "GET /workstation/clients/{}/disable": writer_page(fresh_client_path("disable")),
    "POST /workstation/clients/{}/disable": writer_page(fresh_client_path("disable"), 302),
    "GET /workstation/clients/{}/rotate": writer_page(fresh_client_path("rotate")),
    "POST /workstation/clients/{}/rotate": writer_page(fresh_client_path("rotate")),
    "GET /workstation/staff": page("/workstation/staff"),
    "POST /workstation/staff": writer_page(
        lambda _world, _role, _target: Call(
            "/workstation/staff",
            data={
                "username": f"m{uuid.uuid4().hex[:8]}",
                "role": "auditor",
                "password": STAFF_PASSWORD,
                "confirm_password": STAFF_PASSWORD,
            },
        ),
        302,
    ),
    "GET /workstation/staff/{}/disable": writer_page(fresh_staff_path),
    "POST /workstation/staff/{}/disable": writer_page(fresh_staff_path, 302),
    "GET /workstation/events": page("/workstation/events"),
    # verifiable documents: public status, keys and status list; revoking (the workstation)
    "GET /api/v1/documents/{}": Row(
        lambda world, _role, _target: Call(f"/api/v1/documents/{issued_document(world)}"),
        public=True,
    ),
    "GET /keys/{}": Row(
        lambda world, _role, _target: Call(
            f"/keys/{world.api.get('/.well-known/jwks.json').get_json()['keys'][0]['kid']}"
        ),
        public=True,
    ),
    "GET /credentials/status/{}": Row(fixed("/credentials/status/1"), public=True),
    "POST /api/v1/documents/{}/revoke": Row(revoke_document, {"workstation": ANY}, SINGLE),
    "POST /api/v1/learners/{}/credential/revoke": Row(
        revoke_credential, {"workstation": ANY}, OWNED
    ),
    "GET /verify/{}": for_anyone_in_a_browser(verify_page),
    "GET /workstation/learners/{}/documents": Row(
        documents_page("/documents"), staff(), browser=True
    ),
    "GET /workstation/learners/{}/documents/{}/revoke": Row(
        documents_page("/documents/{number}/revoke"), {"workstation": ANY}, browser=True
    ),
    "POST /workstation/learners/{}/documents/{}/revoke": Row(
        documents_page("/documents/{number}/revoke", {"reason": "矩阵"}),
        {"workstation": ANY},
        browser=True,
        ok=(302,),
    ),
    "GET /workstation/learners/{}/credential/revoke": Row(
        documents_page("/credential/revoke"), {"workstation": ANY}, browser=True
    ),
    "POST /workstation/learners/{}/credential/revoke": Row(
        documents_page("/credential/revoke", {"reason": "矩阵"}),
        {"workstation": ANY},
        browser=True,
        ok=(302,),
    ),
    # ...and what a browser needs before it has a session: the form, signing in and out (both
    # forms with the session's CSRF token), the pages' stylesheet and the site's icon
    "GET /workstation/login": for_anyone_in_a_browser(fixed(SIGN_IN_FORM)),
    "POST /workstation/login": for_anyone_in_a_browser(sign_in_form, 302),
    "POST /workstation/logout": for_anyone_in_a_browser(fixed("/workstation/logout", data={}), 302),
    "GET /workstation/static/{}": for_anyone_in_a_browser(
        fixed("/workstation/static/workstation.css")
    ),
    "GET /favicon.ico": for_anyone_in_a_browser(fixed("/favicon.ico")),
    **CONVERSION_PAGES,
    **WORKSTATION_PAGES,
    **LEARNER_PAGES,
    # deposits (存入) and their evidence: another learner's are hidden as if they did not exist
    "POST /api/v1/learners/{}/deposits": Row(
        deposit, {"workstation": ANY, "learner": SCOPED}, OWNED, ok=(201,)
    ),
    "GET /api/v1/learners/{}/evidence/{}": Row(
        evidence,
        {**staff(), "learner": SCOPED, "provider": HIDDEN, "college": HIDDEN},
        OWNED,
    ),
    "GET /workstation/reviews/{}": Row(review_page(), staff(), browser=True),
    "POST /workstation/reviews/{}/approve": Row(
        review_page("/approve", data={"credits": "1.0", "category": "general"}),
        {"workstation": ANY},
        ok=(302,),
        browser=True,
    ),
    "POST /workstation/reviews/{}/reject": Row(
        review_page("/reject", data={"reason": "材料不足"}), {"workstation": ANY}, browser=True
    ),
    "GET /workstation/evidence/{}/{}": Row(evidence_page, staff(), browser=True),
    "GET /learner/balance-chart.svg": Row(
        fixed("/learner/balance-chart.svg"), {"learner": ANY}, browser=True
    ),
    "GET /learner/deposit": Row(fixed("/learner/deposit"), {"learner": ANY}, browser=True),
    "POST /learner/deposit": Row(portal_deposit, {"learner": ANY}, ok=(302,), browser=True),
    "GET /learner/evidence/{}": Row(portal_evidence, {"learner": ANY}, browser=True),
}
# API.md: "Outside it, at the root, and public: ..."; "Also public: openapi.json and docs".
API_MD_PUBLIC = {
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    "GET /.well-known/jwks.json",
    "GET /api/v1/openapi.json",
    "GET /api/v1/docs",
    "GET /api/v1/docs/assets/{}",
    # docs/api.md § Verifiable documents: a document's status, each key, the status list
    "GET /api/v1/documents/{}",
    "GET /keys/{}",
    "GET /credentials/status/{}",
}
TOKEN_ENDPOINT = "POST /api/v1/auth/token"
BROWSER_PUBLIC = {
    "GET /workstation/login",
    "POST /workstation/login",
    "POST /workstation/logout",
    "GET /workstation/static/{}",
    "GET /favicon.ico",
    "GET /verify/{}",  # the public verify page a document's QR code opens
    # the learner portal's door: its sign-in form, signing in and out
    "GET /learner/login",
    "POST /learner/login",
    "POST /learner/logout",
}


def route_keys(app: Flask) -> dict[str, str]:
    """Every (method, rule) of the URL map, as a decision key → the rule as written. HEAD and
    OPTIONS are left out: Flask answers them for every rule by itself."""
    keys = {}
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            keys[f"{method} {re.sub(r'<[^>]+>', '{}', rule.rule)}"] = f"{method} {rule.rule}"
    return keys


def expected(row: Row, role: str, target: str) -> tuple[int, ...]:
    access = row.access.get(role, NO)
    if access is NO:
        return (403,)
    if target == "missing":
        return (403,) if access is SELF else (404,)
    if target == "other" and access in (OWN, SELF):
        return (403,)
    if target == "other" and access is SCOPED:
        return (404,)
    if access is HIDDEN:
        return (404,)
    return row.ok


def form_token(client: FlaskClient, token_page: str = SIGN_IN_FORM) -> str:
    """The session's CSRF token: from ``token_page`` (a signed-in session's home) or, by default,
    from the sign-in form or, signed in, from the dashboard."""
    if token_page != SIGN_IN_FORM:
        return csrf_token(client, token_page)
    if client.get(SIGN_IN_FORM).status_code == 302:
        return csrf_token(client, "/workstation/")
    return csrf_token(client)


def send(
    world: World,
    key: str,
    role: str | None,
    target: str,
    client: FlaskClient | None = None,
    token_page: str = SIGN_IN_FORM,
):
    """Make the row's call as ``role`` (None: without a token) on ``target``, from ``client``:
    by default the API's client, or a new browser for a browser row (no session yet); a
    form's CSRF token comes from ``token_page`` (a signed-in session's home)."""
    row = DECISIONS[key]
    method = key.split(" ", 1)[0]
    call = row.call(world, role or "workstation", target)
    headers = call.headers if call.headers is not None else world.headers.get(role or "", {})
    if client is None:
        client = new_browser(world.api.app) if row.browser else world.api.client
    data = call.data
    if row.browser and method == "POST":  # the form as a browser posts it
        data = {**call.data, "csrf_token": form_token(client, token_page)}
    response = client.open(
        call.path,
        method=method,
        headers=headers,
        json=call.json,
        data=data,
        query_string=call.query,
        content_type=call.content_type,
    )
    response.get_data()  # read a streamed body to its end
    return response


# -- the tests -----------------------------------------------------------------------------------


def test_every_route_has_a_decision(app):
    missing = sorted(rule for key, rule in route_keys(app).items() if key not in DECISIONS)

    assert not missing, "add a decision to DECISIONS in tests/api/test_role_matrix.py for: " + (
        ", ".join(missing)
    )


def test_every_rule_of_the_url_map_is_a_route_of_the_matrix(app):
    """No rule slips through route_keys (one answering only HEAD or OPTIONS, say)."""
    keyed = set(route_keys(app).values())
    rules = {rule.rule for rule in app.url_map.iter_rules()}

    assert {route.split(" ", 1)[1] for route in keyed} == rules


def test_every_decision_is_a_route(app):
    stale = sorted(set(DECISIONS) - set(route_keys(app)))

    assert not stale, f"decisions for routes the URL map does not have: {stale}"


def test_the_public_set_is_api_md_s(app):
    public = {key for key, row in DECISIONS.items() if row.public and not row.browser}

    assert public - {TOKEN_ENDPOINT} == API_MD_PUBLIC


def test_a_browser_needs_a_session_for_everything_but_signing_in_and_out(app):
    public = {key for key, row in DECISIONS.items() if row.public and row.browser}

    assert public == BROWSER_PUBLIC


def test_only_roles_with_a_session_are_let_in_to_pages():
    granted = {role for row in DECISIONS.values() if row.browser for role in row.access}

    assert granted <= set(SESSION_ROLES)


def test_learner_pages_let_in_the_learner_alone_and_staff_pages_staff_alone():
    """The portal's pages are the learner's; the workstation's and the college's, staff's."""
    wrong = {
        key: sorted(row.access)
        for key, row in DECISIONS.items()
        if row.browser
        and (set(row.access) == {"learner"}) != (sign_in_form_of(key) == LEARNER_SIGN_IN)
        and not row.public
    }

    assert wrong == {}


@pytest.mark.parametrize("key", sorted(key for key, row in DECISIONS.items() if not row.public))
def test_role_matrix(api, key):
    assert key in route_keys(api.app), f"{key} is not in the URL map"
    row = DECISIONS[key]
    world = World(api)
    if row.browser:
        assert_page_answers(world, key)
        return
    answers = {}

    for target in row.targets:
        for role in (None, *ROLES):
            response = send(world, key, role, target)
            want = (401,) if role is None else expected(row, role, target)
            answers[(role or "anonymous", target)] = (response.status_code, want)
            if response.status_code >= 400:
                assert response.mimetype == "application/problem+json", (key, role, target)
            if role is None:
                assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")

    wrong = {cell: got for cell, got in answers.items() if got[0] not in got[1]}
    assert not wrong, f"{key}: (role, target) -> (status, expected) {wrong}"


def sign_in_form_of(key: str) -> str:
    """Where a page sends a caller it does not let in: the portal's pages to the portal's
    sign-in form, every other page to the staff's."""
    return LEARNER_SIGN_IN if key.split(" ", 1)[1].startswith("/learner/") else SIGN_IN_FORM


def assert_page_answers(world: World, key: str) -> None:
    """A page as every caller: without a session (no token, or a role's token) the sign-in
    form of its door; signed in, the row's answer on each target if it lets the role in; a
    session the page does not let in gets 403 if it came through the page's door (a staff
    session on a staff page), else that door's sign-in form (staff on the portal's pages, the
    learner on staff pages)."""
    row = DECISIONS[key]
    door = sign_in_form_of(key)
    wrong = {}
    for role in (None, *ROLES):
        response = send(world, key, role, row.targets[0])
        location = response.headers.get("Location", "")
        if response.status_code != 302 or not location.startswith(door):
            wrong[(role or "anonymous", "no session")] = (response.status_code, location)
    for role in SESSION_ROLES:
        session = world.signed_in(role)
        same_door = (role == "learner") == (door == LEARNER_SIGN_IN)
        for target in row.targets:
            response = send(world, key, None, target, session, HOME[role])
            location = response.headers.get("Location", "")
            if row.access.get(role, NO) is not NO:
                want = expected(row, role, target)
                if response.status_code not in want:
                    wrong[(role, target)] = (response.status_code, want)
            elif same_door and response.status_code != 403:
                wrong[(role, target)] = (response.status_code, (403,))
            elif not same_door and (response.status_code != 302 or not location.startswith(door)):
                wrong[(role, target)] = (response.status_code, location)

    assert not wrong, f"{key}: (caller, target) -> what came instead {wrong}"


@pytest.mark.parametrize("key", sorted(API_MD_PUBLIC))
def test_public_routes_answer_without_a_token_and_with_any(api, key):
    """The token endpoint is open too, but takes credentials: test_auth.py."""
    assert key in route_keys(api.app), f"{key} is not in the URL map"
    world = World(api)

    statuses = {role: send(world, key, role, "-").status_code for role in (None, *ROLES)}

    assert all(200 <= status < 300 for status in statuses.values()), statuses


@pytest.mark.parametrize("key", sorted(BROWSER_PUBLIC))
def test_a_browser_without_a_session_reaches_the_routes_for_anyone(api, key):
    """With no session, and whatever bearer token it sends (pages take none)."""
    world = World(api)

    statuses = {role: send(world, key, role, "-").status_code for role in (None, *ROLES)}

    assert set(statuses.values()) <= set(DECISIONS[key].ok), statuses


def test_head_without_a_token_is_401_like_get(api):
    learner = api.new_learner()

    for path in ("/api/v1/learners", f"/api/v1/learners/{learner}/balance", "/api/v1/outcomes"):
        response = api.call("HEAD", path)
        assert response.status_code == 401, path


def test_a_forged_session_cookie_does_not_stand_in_for_a_token(api):
    """Bearer tokens only: a cookie that is not a signed-in session grants nothing."""
    api.client.set_cookie("creditbank_session", "forged")

    response = api.get("/api/v1/learners", {"Accept": "text/html"})

    assert response.status_code == 401


def test_a_learner_token_cannot_be_used_for_another_learner_by_changing_case(api):
    learner = api.new_learner(password=PASSWORD)
    headers = api.learner_headers(learner, PASSWORD)

    for variant in (learner.lower(), f" {learner}", f"{learner}%20", f"{learner}%00"):
        response = api.get(f"/api/v1/learners/{variant}/balance", headers)
        assert response.status_code in (403, 404), (variant, response.status_code)


def test_every_role_is_let_in_somewhere():
    """Every role can do something; a typo in a role name would silently mean NO."""
    seen = {role for row in DECISIONS.values() for role in row.access}

    assert seen == set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_bearer_token_works_for_its_role(api, role):
    """The control for the 403s above: each role's token really is accepted somewhere."""
    world = World(api)

    assert api.get("/api/v1/rulesets/active", world.headers[role]).status_code == 200


def test_a_college_s_staff_account_opens_no_workstation_page(api):
    """A college's staff sign in through the shared form to the college's own pages
    (PROGRAMMES.md, *College accounts*), never to the workstation's, which show the whole
    bank: every workstation page answers 403 to them."""
    world = World(api)
    browser = world.signed_in("college")

    landed = browser.get("/workstation/login")

    assert landed.status_code == 302 and landed.headers["Location"] == "/college/"
    pages = [
        key
        for key, row in DECISIONS.items()
        if row.browser and not row.public and key.split(" ", 1)[1].startswith("/workstation/")
    ]
    for key in pages:
        response = send(world, key, None, "-", browser, HOME["college"])
        assert response.status_code == 403, key


def test_each_role_lists_the_applications_it_may_read(api):
    """``GET /applications``: staff all, a learner its own, a college its own college's; a
    filter naming another learner or college is 403 (PROGRAMMES.md § Words and roles)."""
    world = World(api)
    ids = {side: world.colleges.application(side)["id"] for side in ("own", "other")}

    def listed(role: str, **query: str) -> list[str] | int:
        response = api.get(APPLICATIONS, world.headers[role], query_string=query)
        if response.status_code != 200:
            return response.status_code
        return [application["id"] for application in response.get_json()["items"]]

    assert listed("workstation") == listed("auditor") == [ids["own"], ids["other"]]
    assert listed("learner") == listed("college") == [ids["own"]]
    assert listed("learner", learner_id=world.learner_id["own"]) == [ids["own"]]
    assert listed("college", college_id=world.colleges.college_id["own"]) == [ids["own"]]
    assert listed("learner", learner_id=world.learner_id["other"]) == 403
    assert listed("college", college_id=world.colleges.college_id["other"]) == 403
    assert listed("college", learner_id=world.learner_id["other"]) == []
    assert listed("provider") == 403


def test_a_college_sees_only_its_own_students_eligibility(api):
    """A college previews a learner with an open enrolment in its own programme; its own
    programme for another college's learner, or the other college's programme for its own
    learner, is 404 as a learner that does not exist is."""
    world = World(api)
    colleges, college = world.colleges, world.headers["college"]

    def preview(side: str, learner: str) -> int:
        path = f"/api/v1/programmes/{colleges.programme(side)}/eligibility"
        query = {"learner_id": world.learner_id[learner]}
        return api.get(path, college, query_string=query).status_code

    assert preview("own", "own") == 200
    assert preview("own", "other") == 404
    assert preview("other", "own") == 404
    colleges.enrol(colleges.programme("other"), world.learner_id["own"])
    assert preview("other", "own") == 404  # enrolled there too: not this college's programme


def test_the_document_names_the_roles_the_matrix_lets_in(api):
    """Each operation's ``x-roles`` in the served document (its view's ``allow``) are the
    roles its row lets in: the document and the matrix tell a client the same."""
    document = api.get("/api/v1/openapi.json").get_json()
    wrong, checked = {}, 0
    for key, rule in route_keys(api.app).items():
        row = DECISIONS[key]
        if row.public or row.browser:
            continue
        method, path = rule.split(" ", 1)
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", path)
        documented = set(document["paths"][path][method.lower()]["x-roles"])
        granted = {role for role, access in row.access.items() if access is not NO}
        checked += 1
        if documented != granted:
            wrong[key] = {"document": sorted(documented), "matrix": sorted(granted)}

    assert checked >= 70
    assert wrong == {}
