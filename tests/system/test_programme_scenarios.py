"""PROGRAMMES.md's acceptance scenarios 1–7 against a real gunicorn on SQLite and PostgreSQL,
each from an empty bank (a fresh copy of the session's bootstrapped database), with the exact
numbers given there. Scenarios 8–13: test_programme_scenarios_more.py."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from tests.system.programme_world import World, problem, shanghai_now, void_and_revoke

pytestmark = pytest.mark.system


def test_1_happy_path_partial_approval(world: World):
    zhang = world.zhang
    balance = world.balance(zhang)
    assert balance["total"] == "14.5"
    assert balance["by_category"] == {"certificate": "8.0", "course": "3.0", "practice": "3.5"}

    from tests.support.programmes import worked_example_items

    filed = world.file(
        zhang, worked_example_items(zhang.o), "ZS-2026-01", note="申请软件技术专业课程免修"
    )
    assert filed.status_code == 201, filed.text
    application = filed.json()
    assert application["requested_credits"] == "14.0"
    ta, ti = application["id"], [item["id"] for item in application["items"]]
    first = world.decide(ta, ti[0], decision="approve")
    assert first.status_code == 201 and first.json()["transfer"]["amount"] == "6.0"
    second = world.decide(ta, ti[1], decision="approve").json()["transfer"]
    assert (second["amount"], second["sources"][0]["held_by"]) == ("0.0", ti[0])
    capped = problem(world.decide(ta, ti[2], decision="approve"), 409, "source_cap_exceeded")
    assert capped["cap"]["recognised"] == "7.0"
    reject = world.decide(ta, ti[2], decision="reject", reason="超过单一证书认定上限（8学分）")
    assert reject.status_code == 201
    assert world.decide(ta, ti[3], decision="approve").json()["transfer"]["amount"] == "2.0"
    assert world.decide(ta, ti[4], decision="approve").json()["transfer"]["amount"] == "3.5"

    closed = world.ok("GET", f"/applications/{ta}", world.college)
    assert (closed["status"], closed["approved_credits"]) == ("closed", "12.0")
    assert closed["certificate_no"] == f"CQ1024-{shanghai_now().year}-00001"
    balance = world.balance(zhang)
    assert (balance["converted"], balance["available"]) == ("11.5", "3.0")
    assert balance["converted_by_category"] == {"certificate": "8.0", "practice": "3.5"}
    assert balance["available_by_category"] == {
        "certificate": "0.0",
        "course": "3.0",
        "practice": "0.0",
    }
    ledger = world.ok("GET", f"/learners/{zhang.learner_id}/ledger?limit=100", zhang.headers)
    kinds = [entry["kind"] for entry in ledger["items"]]
    assert len(kinds) == 14 and kinds[10:] == ["transfer"] * 4
    certificate = world.ok("GET", f"/applications/{ta}/certificate", zhang.headers)
    assert (len(certificate["courses"]), certificate["total_credits"]) == (4, "12.0")
    html = world.get(f"/applications/{ta}/certificate", {**zhang.headers, "Accept": "text/html"})
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    pdf = world.get(
        f"/applications/{ta}/certificate", {**zhang.headers, "Accept": "application/pdf"}
    )
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"


def test_2_idempotency(world: World):
    from tests.support.programmes import worked_example_items

    ta, ti = world.worked_example()
    body = worked_example_items(world.zhang.o)
    again = world.file(world.zhang, body, "ZS-2026-01")
    assert again.status_code == 200 and again.json()["id"] == ta
    problem(world.file(world.zhang, body[:4], "ZS-2026-01"), 409, "idempotency_conflict")
    repeat = world.decide(ta, ti[0], decision="approve")
    assert repeat.status_code == 200 and repeat.json()["transfer"]["seq"] == 11
    problem(world.decide(ta, ti[0], decision="approve", grade="良好"), 409, "already_decided")
    ledger = world.ok(
        "GET", f"/learners/{world.zhang.learner_id}/ledger?limit=100", world.workstation
    )
    assert len(ledger["items"]) == 14


def test_3_two_filings_racing_for_one_outcome_never_both_win(world: World):
    for round_ in range(20):
        replies = race_for_one_certificate(world, round_)
        statuses = sorted(reply.status_code for reply in replies)
        assert statuses == [201, 409], [reply.text for reply in replies]
        lost = next(reply for reply in replies if reply.status_code == 409).json()
        assert lost["type"] == "outcome_claimed"
        assert list(lost["errors"]) == ["items.0.outcome_ids.0"]


def race_for_one_certificate(world: World, round_: int) -> list:
    """A fresh learner's two filings released together, one by the learner and one by the
    workstation on its behalf: WEB101 and UI103, both offering the same certificate."""
    from tests.integration.threads import run_in_threads

    learner = world.fresh_learner()
    filings = [
        (learner.headers, "WEB101", f"race-{round_}-A"),
        (world.workstation, "UI103", f"race-{round_}-B"),
    ]

    def file(index: int):
        headers, code, ref = filings[index]
        body = {
            "learner_id": learner.learner_id,
            "programme_id": world.programme_id,
            "external_ref": ref,
            "items": [{"course_code": code, "outcome_ids": [learner.o["CERT"]]}],
        }
        return world.post("/applications", headers, json=body)

    return run_in_threads(2, file)


def test_4_online_and_share_caps(world: World):
    from tests.support.programmes import catalogue

    programme = world.ok(
        "POST",
        f"/colleges/{world.college_id}/programmes",
        world.workstation,
        201,
        json={
            "code": "510201",
            "name": "计算机应用技术",
            "level_code": "21",
            "category_code": "30",
        },
    )
    caps = {"share_percent": 50, "online_share_percent": 15, "per_source": "8.0"}
    document = catalogue(total_credits="16.0", caps=caps)
    world.ok(
        "POST", f"/programmes/{programme['id']}/catalogues", world.workstation, 201, json=document
    )
    learner = world.fresh_learner(programme_id=programme["id"])
    o = learner.o
    items = [
        {"course_code": "JS102", "outcome_ids": [o["MOOC"]]},
        {"course_code": "WEB101", "outcome_ids": [o["CERT"]]},
        {"course_code": "ICT100", "outcome_ids": [o["NCRE"]]},
        {"course_code": "PRAC201", "outcome_ids": [o["H1"], o["H2"]]},
    ]
    body = {"programme_id": programme["id"], "external_ref": "caps-1", "items": items}
    application = world.ok("POST", "/applications", learner.headers, 201, json=body)
    ta, ti = application["id"], [item["id"] for item in application["items"]]

    online = problem(world.decide(ta, ti[0], decision="approve"), 409, "online_cap_exceeded")
    assert online["cap"] == {
        "name": "online",
        "key": None,
        "limit": "2.4",
        "recognised": "0.0",
        "requested": "3.0",
    }
    assert world.decide(ta, ti[0], decision="reject", reason="超过在线课程上限").status_code == 201
    assert world.decide(ta, ti[1], decision="approve").status_code == 201
    assert world.decide(ta, ti[2], decision="approve").status_code == 201
    share = problem(world.decide(ta, ti[3], decision="approve"), 409, "share_cap_exceeded")
    assert {k: share["cap"][k] for k in ("limit", "recognised", "requested")} == {
        "limit": "8.0",
        "recognised": "6.0",
        "requested": "3.0",
    }
    assert world.decide(ta, ti[3], decision="reject", reason="超过专业比例上限").status_code == 201
    balance = world.balance(learner)
    assert (balance["converted"], balance["available"]) == ("8.0", "6.5")
    assert balance["available_by_category"] == {
        "certificate": "0.0",
        "course": "3.0",
        "practice": "3.5",
    }


def test_5_a_void_after_approval(world: World):
    ta, ti = world.worked_example()
    world.post(
        f"/outcomes/{world.zhang.o['NCRE']}/void", world.provider, json={"reason": "证书撤销"}
    )
    balance = world.balance(world.zhang)
    assert (balance["total"], balance["converted"], balance["available"]) == ("12.5", "11.5", "1.0")
    assert balance["available_by_category"]["certificate"] == "-2.0"
    items = world.ok("GET", f"/applications/{ta}", world.college)["items"]
    assert items[3]["flag"] == "source_changed"
    flagged = world.ok("GET", "/applications?flagged=true", world.college)
    assert [a["id"] for a in flagged["items"]] == [ta]
    problem(
        world.post(f"/applications/{ta}/items/{ti[1]}/confirm", world.college, json={}),
        409,
        "not_flagged",
    )

    revoke = f"/applications/{ta}/items/{ti[3]}/revoke"
    revoked = world.ok("POST", revoke, world.college, 201, json={"reason": "来源证书已被撤销"})
    assert (revoked["reversal"]["seq"], revoked["reversal"]["amount"]) == (17, "2.0")
    balance = world.balance(world.zhang)
    assert (balance["converted"], balance["available"]) == ("9.5", "3.0")
    assert balance["available_by_category"]["certificate"] == "0.0"
    certificate = world.ok("GET", f"/applications/{ta}/certificate", world.workstation)
    assert (certificate["revision"], certificate["total_credits"]) == (1, "10.0")
    assert [c["course_code"] for c in certificate["revoked"]] == ["ICT100"]
    problem(world.post(revoke, world.college, json={"reason": "again"}), 409, "already_revoked")


def test_6_scoping(world: World):
    ta, ti = world.worked_example()
    other = world.ok(
        "POST",
        "/colleges",
        world.workstation,
        201,
        json={"school_code": "CQ2048", "name": "重庆某学院"},
    )
    client = world.ok("POST", f"/colleges/{other['id']}/clients", world.workstation, 201, json={})
    cq2048 = world.bank.token(client["client_id"], client["client_secret"])

    problem(world.decide(ta, ti[0], cq2048, decision="approve"), 404, "not_found")
    problem(world.get(f"/applications/{ta}", cq2048), 404, "not_found")
    problem(world.get(f"/applications?college_id={world.college_id}", cq2048), 403, "forbidden")
    assert world.get(f"/programmes/{world.programme_id}", cq2048).status_code == 200
    from tests.support.programmes import C1

    problem(
        world.post(f"/programmes/{world.programme_id}/catalogues", cq2048, json=C1),
        403,
        "forbidden",
    )
    second = world.fresh_learner(outcomes=False)
    problem(world.get(f"/applications/{ta}", second.headers), 404, "not_found")
    body = {
        "learner_id": second.learner_id,
        "programme_id": world.programme_id,
        "external_ref": "p",
        "items": [{"course_code": "WEB101", "outcome_ids": ["o_x"]}],
    }
    problem(world.post("/applications", world.provider, json=body), 403, "forbidden")


HEADER = (
    "姓名,身份证号,转换学校代码,原课程来源代码,原专业名称,原课程名称,原办学机构,原教育层次代码,"
    "原教育类别代码,原学分,原学时,原成绩,获得时间,转换后教育层次代码,转换后课程代码,转换后课程名称,"
    "转换后学分,转换时间,转换后专业"
)
ROWS = """\
张三,11010519491231002X,CQ1024,02,待补,Web前端开发职业技能等级证书（高级）,云阳职教中心,21,30,0,0,高级,202606,21,WEB101,Web前端开发,4,M,软件技术
张三,11010519491231002X,CQ1024,02,待补,Web前端开发职业技能等级证书（高级）,云阳职教中心,21,30,0,0,高级,202606,21,JS102,JavaScript程序设计,3,M,软件技术
张三,11010519491231002X,CQ1024,02,待补,全国计算机等级考试二级,云阳职教中心,21,30,0,0,合格,202603,21,ICT100,信息技术基础,2,M,软件技术
张三,11010519491231002X,CQ1024,01,待补,网页制作实训,云阳职教中心,21,30,0,48,合格,202605,21,PRAC201,专业综合实训,3,M,软件技术
张三,11010519491231002X,CQ1024,01,待补,前端项目实训,云阳职教中心,21,30,0,36,合格,202607,21,PRAC201,专业综合实训,3,M,软件技术"""


def test_7_the_national_conversion_record(world: World):
    ta, ti = world.worked_example()
    month = shanghai_now().strftime("%Y%m")
    response = world.get("/exports/course-conversions.csv", world.workstation)
    assert response.status_code == 200, response.text
    text = response.content.decode("utf-8-sig")
    expected = "\r\n".join([HEADER, *ROWS.replace(",M,", f",{month},").splitlines()]) + "\r\n"
    assert text == expected

    sheet = world.get("/exports/course-conversions.xlsx", world.workstation)
    book = openpyxl.load_workbook(io.BytesIO(sheet.content))
    rows = list(book.active.iter_rows(values_only=True))
    assert ",".join(rows[0]) == HEADER and len(rows) == 6
    assert (book.active["B2"].value, book.active["B2"].number_format) == ("11010519491231002X", "@")
    assert (book.active["D2"].value, book.active["D2"].number_format) == ("02", "@")

    audited = world.get("/exports/course-conversions.csv", world.bank.token(*auditor(world)))
    lines = list(csv.reader(io.StringIO(audited.content.decode("utf-8-sig"))))
    assert {line[1] for line in lines[1:]} == {"**************002X"}

    void_and_revoke(world, ta, ti)
    after = world.get("/exports/course-conversions.csv", world.workstation).content.decode(
        "utf-8-sig"
    )
    assert len(after.splitlines()) == 5 and "ICT100" not in after
    later = shanghai_now().replace(day=28)
    following = (later.year + later.month // 12, later.month % 12 + 1)
    query = f"?from={following[0]}{following[1]:02d}"
    empty = world.get(f"/exports/course-conversions.csv{query}", world.workstation)
    assert empty.content.decode("utf-8-sig") == HEADER + "\r\n"


def auditor(world: World) -> tuple[str, str]:
    created = world.bank.server.cli("clients", "create", "--role", "auditor", "--name", "审计")
    import json

    credentials = json.loads(created.strip().splitlines()[-1])
    return credentials["client_id"], credentials["client_secret"]
