"""PROGRAMMES.md's acceptance scenarios 8–13 against a real gunicorn on SQLite and PostgreSQL
(1–7: test_programme_scenarios.py, whose fixture and helpers these share)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.programmes import catalogue
from tests.system.programme_world import World, problem, void_and_revoke

pytestmark = pytest.mark.system


def one_item(world: World, learner, code: str, outcome: str, ref: str):
    return world.file(learner, [{"course_code": code, "outcome_ids": [outcome]}], ref)


def test_8_catalogue_versions(world: World):
    learner = world.fresh_learner()
    filed = one_item(world, learner, "UI103", learner.o["CERT"], "v-1")
    assert filed.status_code == 201, filed.text
    application = filed.json()
    version_2 = catalogue(effective_from="2026-10-01T00:00:00+08:00")
    version_2["courses"] = [c for c in version_2["courses"] if c["code"] != "UI103"]
    path = f"/programmes/{world.programme_id}/catalogues"
    assert world.ok("POST", path, world.workstation, 201, json=version_2)["version"] == 2

    approved = world.decide(application["id"], application["items"][0]["id"], decision="approve")
    assert approved.status_code == 201, approved.text
    assert approved.json()["transfer"]["catalogue_version"] == 1
    again = one_item(world, learner, "UI103", learner.o["MOOC"], "v-2")
    body = problem(again, 422, "validation_error")
    assert list(body["errors"]) == ["items.0.course_code"]
    active = world.ok("GET", f"/programmes/{world.programme_id}/catalogues/active", learner.headers)
    assert active["version"] == 2


def test_9_withdraw_and_apply_again(world: World):
    learner = world.fresh_learner()
    a = one_item(world, learner, "UI103", learner.o["CERT"], "w-A").json()
    withdrawn = world.post(f"/applications/{a['id']}/withdraw", learner.headers, json={})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    b = one_item(world, learner, "WEB101", learner.o["CERT"], "w-B")
    assert b.status_code == 201, b.text
    b = b.json()
    rejected = world.decide(b["id"], b["items"][0]["id"], decision="reject", reason="材料不全")
    assert rejected.json()["application"]["status"] == "closed"
    problem(
        world.get(f"/applications/{b['id']}/certificate", learner.headers),
        409,
        "certificate_not_issued",
    )
    assert one_item(world, learner, "WEB101", learner.o["CERT"], "w-C").status_code == 201


def test_10_a_line_is_converted_whole(world: World):
    learner = world.fresh_learner(outcomes=False)
    posted = {}
    for level, number in (("junior", "WEB-J-0101"), ("senior", "WEB-S-0101")):
        body = {
            "learner_id": learner.learner_id,
            "external_ref": f"line-{level}",
            "kind": "certificate",
            "certificate_code": "1X-WEB-FRONTEND",
            "level": level,
            "certificate_no": f"{number}-{learner.learner_id[-6:]}",
            "achieved_on": "2026-06-01",
        }
        posted[level] = world.bank.created("/outcomes", world.provider, json=body)["outcome"]["id"]
    junior = problem(
        one_item(world, learner, "WEB101", posted["junior"], "l-1"), 422, "invalid_source"
    )
    assert "superseded" in junior["errors"]["items.0.outcome_ids.0"][0]
    filed = one_item(world, learner, "WEB101", posted["senior"], "l-2").json()
    transfer = world.decide(filed["id"], filed["items"][0]["id"], decision="approve").json()[
        "transfer"
    ]
    assert transfer["sources"] == [
        {"outcome_id": posted["senior"], "category": "certificate", "amount": "4.0"},
        {
            "outcome_id": posted["junior"],
            "category": "certificate",
            "amount": "2.0",
            "line_of": posted["senior"],
        },
    ]
    assert transfer["amount"] == "6.0"
    balance = world.balance(learner)
    assert (balance["converted"], balance["available"]) == ("6.0", "0.0")


def expected_preview(world: World) -> dict:
    """PROGRAMMES.md § Eligibility preview, with this bank's ids."""
    o = world.zhang.o

    def option(
        course: str,
        index: int,
        outcomes: list[str],
        keys: list[str],
        credits: str,
        grade: str,
        online: bool = False,
    ) -> dict:
        return {
            "equivalence": f"courses.{course}.equivalences.{index}",
            "outcome_ids": outcomes,
            "claim_keys": keys,
            "bank_credits": credits,
            "grade": grade,
            "online": online,
        }

    web = "certificate:1X-WEB-FRONTEND"
    courses = [
        (
            "WEB101",
            "Web前端开发",
            "4.0",
            "practice",
            [option("WEB101", 0, [o["CERT"]], [web], "6.0", "优秀")],
        ),
        (
            "JS102",
            "JavaScript程序设计",
            "3.0",
            "theory",
            [
                option("JS102", 0, [o["CERT"]], [web], "6.0", "优秀"),
                option("JS102", 1, [o["MOOC"]], [f"outcome:{o['MOOC']}"], "3.0", "85", True),
            ],
        ),
        (
            "UI103",
            "网页设计与制作",
            "2.0",
            "practice",
            [option("UI103", 0, [o["CERT"]], [web], "6.0", "良好")],
        ),
        (
            "ICT100",
            "信息技术基础",
            "2.0",
            "theory",
            [
                option("ICT100", 0, [o["NCRE"]], ["certificate:NCRE-2"], "2.0", "合格"),
            ],
        ),
        (
            "PRAC201",
            "专业综合实训",
            "3.0",
            "practice",
            [
                option(
                    "PRAC201",
                    0,
                    [o["H1"], o["H2"]],
                    [f"outcome:{o['H1']}", f"outcome:{o['H2']}"],
                    "3.5",
                    "合格",
                ),
            ],
        ),
        ("MATH101", "高等数学", "4.0", "theory", []),
    ]
    return {
        "learner_id": world.zhang.learner_id,
        "programme_id": world.programme_id,
        "enrolled": True,
        "caps": {
            "total_credits": "120.0",
            "share_cap": "60.0",
            "online_cap": "30.0",
            "per_source": "8.0",
        },
        "recognised": "0.0",
        "recognised_online": "0.0",
        "remaining": "60.0",
        "remaining_online": "30.0",
        "courses": [
            {
                "course_code": code,
                "course_name": name,
                "course_credits": credits,
                "kind": kind,
                "status": "eligible" if options else "no_equivalence",
                "options": options,
            }
            for code, name, credits, kind, options in courses
        ],
    }


def test_11_eligibility(world: World):
    path = f"/programmes/{world.programme_id}/eligibility"
    before = world.ok("GET", path, world.zhang.headers)
    assert before.pop("catalogue_id").startswith("cat_") and before.pop("catalogue_version") == 1
    assert before == expected_preview(world)

    world.worked_example()
    after = world.ok("GET", path, world.zhang.headers)
    assert {c["course_code"]: c["status"] for c in after["courses"]} == {
        "WEB101": "recognised",
        "JS102": "recognised",
        "UI103": "not_eligible",
        "ICT100": "recognised",
        "PRAC201": "recognised",
        "MATH101": "no_equivalence",
    }
    assert (after["recognised"], after["remaining"]) == ("12.0", "48.0")


def test_12_erasure_and_disabling(world: World):
    erased = world.fresh_learner()
    filed = one_item(world, erased, "WEB101", erased.o["CERT"], "e-1").json()
    gone = world.call("DELETE", f"/learners/{erased.learner_id}/identity", world.workstation)
    assert gone.status_code == 204, gone.text
    now = world.ok("GET", f"/applications/{filed['id']}", world.workstation)
    assert now["items"][0]["status"] == "withdrawn"
    preview = world.ok(
        "GET",
        f"/programmes/{world.programme_id}/eligibility?learner_id={erased.learner_id}",
        world.workstation,
    )
    web101 = next(c for c in preview["courses"] if c["course_code"] == "WEB101")
    assert web101["status"] == "eligible"  # the claim was released

    other = world.fresh_learner()
    pending = one_item(world, other, "WEB101", other.o["CERT"], "d-1").json()
    assert world.post(f"/colleges/{world.college_id}/disable", world.workstation).status_code == 200
    now = world.ok("GET", f"/applications/{pending['id']}", world.workstation)
    assert now["items"][0]["status"] == "withdrawn"
    problem(world.get("/applications", world.college), 401, "unauthorized")
    problem(one_item(world, other, "JS102", other.o["MOOC"], "d-2"), 409, "college_disabled")
    assert world.post(f"/colleges/{world.college_id}/enable", world.workstation).status_code == 200
    assert world.get("/applications", world.college).status_code == 200


def test_13_audit_and_offline_verification(world: World, tmp_path: Path):
    ta, ti = world.worked_example()
    void_and_revoke(world, ta, ti)
    learner = world.fresh_learner(outcomes=False)  # scenario 10's line, on another learner
    for level in ("junior", "senior"):
        body = {
            "learner_id": learner.learner_id,
            "external_ref": f"a-{level}",
            "kind": "certificate",
            "certificate_code": "1X-WEB-FRONTEND",
            "level": level,
            "certificate_no": f"A-{level}-{learner.learner_id[-6:]}",
            "achieved_on": "2026-06-01",
        }
        senior = world.bank.created("/outcomes", world.provider, json=body)["outcome"]["id"]
    filed = one_item(world, learner, "WEB101", senior, "a-1").json()
    assert world.decide(filed["id"], filed["items"][0]["id"], decision="approve").status_code == 201

    audit = world.post("/audits", world.workstation, json={})
    assert audit.status_code == 201, audit.text
    assert (audit.json()["status"], audit.json()["findings_total"]) == ("passed", 0)
    one = world.ok(
        "POST", "/audits", world.workstation, 201, json={"learner_id": world.zhang.learner_id}
    )
    assert (one["status"], one["entries_checked"]) == ("passed", 17)

    world.bank.server.cli("checkpoint")
    checkpoint = world.ok("GET", "/checkpoints/latest", world.workstation)
    (tmp_path / "checkpoint.json").write_text(json.dumps(checkpoint), encoding="utf-8")
    export = tmp_path / "zhang.jsonl"
    world.bank.server.cli("export", "--learner", world.zhang.learner_id, "--out", str(export))
    verified = verify(world, export, tmp_path / "checkpoint.json")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def verify(world: World, export: Path, checkpoint: Path) -> subprocess.CompletedProcess[str]:
    from tests.support.processes import TIMEOUT, executable

    creditbank = executable("creditbank")
    assert creditbank is not None
    return subprocess.run(
        [str(creditbank), "verify", str(export), "--checkpoint", str(checkpoint)],
        env=world.bank.server.env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
