"""The clerk's learner pages through Flask's test client: search (posted, never in a URL), the
learner's page, correcting, erasing, voiding, resetting a password, downloads, opening one
account and a sheet of them (preview, confirm, idempotent), and what an auditor may not do."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from creditbank.domain.account_numbers import format_account_number
from creditbank.domain.roles import Role
from creditbank.extensions import db
from creditbank.models import Account, AuditEvent, Identity, OutcomeState
from creditbank.security.passwords import verify_secret
from creditbank.services.learners import open_learner
from creditbank.services.staff import create_staff
from tests.api.browsers import CSRF_FIELD, new_browser, sign_in
from tests.api.helpers import national_id, with_wrong_check

BANNED_CHARACTERS = set("0O1lI")


def token(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return CSRF_FIELD.search(page.get_data(as_text=True)).group(1)


def post(client: FlaskClient, path: str, data: dict[str, Any], form_page: str | None = None):
    return client.post(path, data={**data, "csrf_token": token(client, form_page or path)})


def events(tag: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.tag == tag)))


def count(model: Any) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def clerk(app) -> FlaskClient:
    create_staff("wang.fang", Role.WORKSTATION, "staff-password-1")
    browser = new_browser(app)
    assert sign_in(browser, "wang.fang").status_code == 302
    return browser


@pytest.fixture
def auditor(app) -> FlaskClient:
    create_staff("zhao.shen", Role.AUDITOR, "staff-password-1")
    browser = new_browser(app)
    assert sign_in(browser, "zhao.shen").status_code == 302
    return browser


@pytest.fixture
def learner(app) -> Any:
    return open_learner("陈晓雨", national_id(serial="417"), "first-password-1")


# -- search ------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["name", "account", "printed_account", "national_id"])
def test_search_finds_the_learner_by_each_key_in_the_posted_body(app, clerk, learner, key):
    open_learner("李四", national_id(serial="418"), None)
    typed = {
        "name": "陈晓雨",
        "account": learner.account_number,
        "printed_account": format_account_number(learner.account_number).replace(" ", "-"),
        "national_id": national_id(serial="417"),
    }[key]

    response = post(clerk, "/workstation/learners/search", {"q": typed})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.request.path == "/workstation/learners/search"
    assert not response.request.query_string  # the key went in the body, not the URL
    results = html.split('id="search-results"')[1]
    assert f'href="/workstation/learners/{learner.learner_id}">陈晓雨</a>' in results
    assert "李四" not in results
    assert format_account_number(learner.account_number) in results
    assert learner.national_id_masked in results
    assert national_id(serial="417") not in html  # not even typed back into the field


def test_the_search_form_posts_and_a_bad_check_digit_is_a_field_error(clerk, learner):
    form = clerk.get("/workstation/learners/search").get_data(as_text=True)
    assert 'method="post"' in form and 'name="q"' in form

    response = post(clerk, "/workstation/learners/search", {"q": with_wrong_check(national_id())})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in html and 'id="q-error"' in html and "校验位" in html


def test_search_by_get_with_a_query_string_searches_nothing(clerk, learner):
    html = clerk.get("/workstation/learners/search?q=陈晓雨").get_data(as_text=True)

    assert "search-results" not in html


# -- the learner's page ------------------------------------------------------------------------
def test_the_learner_page_shows_identity_balance_outcomes_and_journal(api, clerk, learner):
    api.publish_ruleset()
    _, provider = api.new_provider()
    assert api.post_outcome(provider, learner.learner_id, hours="32", title="电工基础").status_code
    informal = {
        "learner_id": learner.learner_id,
        "external_ref": "informal-1",
        "kind": "informal",
        "description": "社区志愿服务讲解员",
        "achieved_on": "2026-01-20",
    }
    assert api.post("/api/v1/outcomes", provider, json=informal).status_code == 201

    html = clerk.get(f"/workstation/learners/{learner.learner_id}").get_data(as_text=True)

    assert "陈晓雨" in html and learner.national_id_masked in html
    assert national_id(serial="417") not in html
    assert format_account_number(learner.account_number) in html
    assert html.count(learner.learner_id) >= 1
    assert f'<code id="learner-id">{learner.learner_id}</code>' in html
    balance = html.split('id="balance"')[1].split("</section>")[0]
    assert "理论" in balance and "2.0" in balance
    outcomes = html.split('id="learner-outcomes"')[1].split("</section>")[0]
    assert "电工基础" in outcomes and "培训学时" in outcomes and "已认定" in outcomes
    assert "社区志愿服务讲解员" in outcomes and "待审核" in outcomes
    journal = html.split('id="journal"')[1].split("</section>")[0]
    assert "登记成果" in journal and "认定学分" in journal and "电工基础" in journal
    assert "o_" not in re.sub(r'href="[^"]*"', "", outcomes + journal)  # titles, not ids
    assert 'id="correct-identity"' in html and "撤销" in outcomes


def test_an_auditor_sees_the_page_without_forms_and_gets_403_on_every_post(api, auditor, learner):
    page = auditor.get(f"/workstation/learners/{learner.learner_id}").get_data(as_text=True)
    assert "陈晓雨" in page
    assert 'id="learner-actions"' not in page and "/void" not in page
    assert "开户" not in page.split("</nav>")[0].split("<nav")[1]

    csrf = CSRF_FIELD.search(page).group(1)
    base = f"/workstation/learners/{learner.learner_id}"
    for path in (
        f"{base}/identity",
        f"{base}/erase",
        f"{base}/password",
        f"{base}/outcomes/o_x/void",
        "/workstation/learners/open",
        "/workstation/learners/collective/preview",
        "/workstation/learners/collective/confirm",
    ):
        response = auditor.post(path, data={"csrf_token": csrf, "name": "x", "confirm": "确认删除"})
        assert response.status_code == 403, path
    assert db.session.get(Identity, learner.learner_id).name == "陈晓雨"


def test_a_form_without_its_csrf_token_is_refused(clerk, learner):
    response = clerk.post(
        f"/workstation/learners/{learner.learner_id}/erase", data={"confirm": "确认删除"}
    )

    assert response.status_code == 400
    assert db.session.get(Identity, learner.learner_id) is not None


# -- correcting and erasing --------------------------------------------------------------------
def test_correcting_the_identity_changes_it_records_an_event_and_flashes(clerk, learner):
    path = f"/workstation/learners/{learner.learner_id}/identity"
    new_id = national_id(serial="555")

    response = post(clerk, path, {"name": "陈小雨", "national_id": new_id})

    assert response.status_code == 302
    page = clerk.get(response.headers["Location"]).get_data(as_text=True)
    assert "身份信息已更正" in page and "陈小雨" in page and new_id[-4:] in page
    [event] = events("api:learner:identity_corrected")
    assert event.actor == "staff:wang.fang"
    assert json.loads(event.details) == {"fields": ["name", "national_id"]}


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"name": "", "national_id": ""}, "name"),
        ({"name": "陈小雨", "national_id": "5002351990"}, "national_id"),
        ({"name": "陈小雨", "national_id": with_wrong_check(national_id())}, "national_id"),
    ],
)
def test_a_bad_correction_is_a_422_beside_the_field_and_nothing_changes(
    clerk, learner, form, field
):
    response = post(clerk, f"/workstation/learners/{learner.learner_id}/identity", form)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html and f'aria-describedby="{field}-error' in html
    assert db.session.get(Identity, learner.learner_id).name == "陈晓雨"
    assert events("api:learner:identity_corrected") == []


def test_a_national_id_another_learner_holds_is_refused(clerk, learner):
    open_learner("李四", national_id(serial="418"), None)
    path = f"/workstation/learners/{learner.learner_id}/identity"

    response = post(clerk, path, {"name": "陈晓雨", "national_id": national_id(serial="418")})

    assert response.status_code == 422
    assert "另一学员已使用此身份证号" in response.get_data(as_text=True)


def test_erasing_wants_the_typed_name_or_the_confirmation_word(clerk, learner):
    path = f"/workstation/learners/{learner.learner_id}/erase"

    wrong = post(clerk, path, {"confirm": "陈"})
    assert wrong.status_code == 422 and 'id="confirm-error"' in wrong.get_data(as_text=True)
    assert db.session.get(Identity, learner.learner_id) is not None

    right = post(clerk, path, {"confirm": "陈晓雨"})
    assert right.status_code == 302
    db.session.rollback()
    assert db.session.get(Identity, learner.learner_id) is None
    assert db.session.get(Account, learner.learner_id) is not None
    page = clerk.get(right.headers["Location"]).get_data(as_text=True)
    assert "身份信息已删除" in page
    [event] = events("api:learner:identity_erased")
    assert event.actor == "staff:wang.fang"


# -- voiding and resetting ---------------------------------------------------------------------
def test_voiding_an_outcome_wants_a_reason_then_voids_it(api, clerk, learner):
    api.publish_ruleset()
    _, provider = api.new_provider()
    outcome = api.post_outcome(provider, learner.learner_id, hours="32", title="电工基础")
    outcome_id = outcome.get_json()["outcome"]["id"]
    path = f"/workstation/learners/{learner.learner_id}/outcomes/{outcome_id}/void"
    confirm = clerk.get(path).get_data(as_text=True)
    assert "电工基础" in confirm and 'name="reason"' in confirm

    empty = post(clerk, path, {"reason": "  "})
    assert empty.status_code == 422 and 'id="reason-error"' in empty.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(OutcomeState.status)) == "credited"

    done = post(clerk, path, {"reason": "证书经核实为伪造"})
    assert done.status_code == 302
    page = clerk.get(done.headers["Location"]).get_data(as_text=True)
    assert "已撤销“电工基础”" in page and "证书经核实为伪造" in page
    db.session.rollback()
    assert db.session.scalar(select(OutcomeState.status)) == "voided"
    [event] = events("web:outcome:voided")
    assert event.subject_id == outcome_id and event.actor == "staff:wang.fang"


def test_resetting_the_password_shows_a_new_one_once_and_forces_a_change(clerk, learner):
    path = f"/workstation/learners/{learner.learner_id}/password"

    response = post(clerk, path, {})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    password = re.search(r'<code id="initial-password">([^<]+)</code>', html).group(1)
    assert len(password) == 10 and not BANNED_CHARACTERS & set(password)
    db.session.rollback()
    identity = db.session.get(Identity, learner.learner_id)
    assert identity.must_change_password and verify_secret(password, identity.password_hash)
    assert [e.subject_id for e in events("web:learner:password_reset")] == [learner.learner_id]
    assert password not in clerk.get(f"/workstation/learners/{learner.learner_id}").get_data(
        as_text=True
    )


def test_the_documents_download_as_attachments(api, clerk, learner):
    api.publish_ruleset()
    _, provider = api.new_provider()
    api.post_outcome(provider, learner.learner_id, hours="32", title="电工基础")
    base = f"/workstation/learners/{learner.learner_id}"
    number = learner.account_number

    html = clerk.get(f"{base}/transcript.html")
    pdf = clerk.get(f"{base}/transcript.pdf")
    jwt = clerk.get(f"{base}/credential.jwt")

    assert html.mimetype == "text/html" and "电工基础" in html.get_data(as_text=True)
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert jwt.mimetype == "application/vc+jwt" and jwt.data.count(b".") == 2
    for response, name in ((html, "transcript"), (pdf, "transcript"), (jwt, "credential")):
        assert response.headers["Content-Disposition"].startswith(
            f'attachment; filename="{name}-{number}'
        )


# -- opening accounts --------------------------------------------------------------------------
def test_opening_an_account_shows_the_number_and_initial_password_once(clerk):
    response = post(
        clerk,
        "/workstation/learners/open",
        {"name": "王五", "national_id": national_id(serial="601"), "phone": "138 0013 5678"},
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    password = re.search(r'<code id="initial-password">([^<]+)</code>', html).group(1)
    assert len(password) == 10 and not BANNED_CHARACTERS & set(password)
    db.session.rollback()
    identity = db.session.scalar(select(Identity).where(Identity.name == "王五"))
    account = db.session.get(Account, identity.learner_id)
    assert format_account_number(account.account_number) in html
    assert identity.must_change_password and verify_secret(password, identity.password_hash)
    assert identity.phone_masked == "138****5678" and "138****5678" in html
    assert "13800135678" not in (identity.phone_encrypted or "")
    [event] = events("web:learner:opened")
    assert event.subject_id == identity.learner_id and event.actor == "staff:wang.fang"


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"name": "", "national_id": national_id(serial="602")}, "name"),
        ({"name": "王五", "national_id": ""}, "national_id"),
        (
            {"name": "王五", "national_id": with_wrong_check(national_id(serial="602"))},
            "national_id",
        ),
        (
            {"name": "王五", "national_id": national_id(serial="602"), "phone": "2380013567"},
            "phone",
        ),
    ],
)
def test_a_bad_opening_form_is_a_422_beside_the_field_and_opens_nothing(clerk, form, field):
    response = post(clerk, "/workstation/learners/open", form)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html and 'aria-invalid="true"' in html
    assert count(Account) == 0 and events("web:learner:opened") == []


def test_a_second_opening_with_the_same_national_id_is_refused(clerk, learner):
    response = post(
        clerk,
        "/workstation/learners/open",
        {"name": "陈", "national_id": national_id(serial="417")},
    )

    assert response.status_code == 422 and "已开户" in response.get_data(as_text=True)
    assert count(Account) == 1


# -- collective opening ------------------------------------------------------------------------
def sheet(rows: list[list[str]], header: tuple[str, ...] = ("姓名", "身份证号", "手机号")) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([list(header), *rows])
    return buffer.getvalue().encode("utf-8")


def upload(client: FlaskClient, data: bytes, name: str = "learners.csv"):
    return client.post(
        "/workstation/learners/collective/preview",
        data={
            "file": (io.BytesIO(data), name),
            "csrf_token": token(client, "/workstation/learners/collective"),
        },
        content_type="multipart/form-data",
    )


def test_the_preview_gives_each_bad_row_its_number_and_reason(clerk, learner):
    good = national_id(serial="701")
    rows = [
        ["赵一", good, "13900001111"],  # row 2
        ["钱二", with_wrong_check(national_id(serial="702")), ""],  # 3: check digit
        ["孙三", "50023519900101", ""],  # 4: malformed
        ["李四", good, ""],  # 5: duplicate of row 2
        ["周五", national_id(serial="417"), ""],  # 6: registered
        ["", national_id(serial="706"), ""],  # 7: no name
        ["吴六", national_id(serial="707"), "12345"],  # 8: phone
        ["郑七", national_id(serial="708"), ""],  # 9
    ]

    response = upload(clerk, sheet(rows))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<strong id="to-open">2</strong>' in html
    problems = dict(
        re.findall(
            r'data-row="(\d+)">\s*<td class="num">\d+</td><td>[^<]*</td>\s*'
            r"<td><code>[^<]*</code></td><td>([^<]+)</td>",
            html,
        )
    )
    assert problems == {
        "3": "身份证号校验位不符（可能输错了某一位）",
        "4": "身份证号格式不对：应为 17 位数字加 1 位数字或 X",
        "5": "与第 2 行的身份证号重复",
        "6": "该身份证号已开户，不再重复开户",
        "7": "姓名为空",
        "8": "手机号不对：应为 1 开头的 11 位数字",
    }
    assert good not in html and count(Account) == 1  # a preview opens nobody


def test_confirming_opens_the_good_rows_and_a_second_confirm_opens_nobody(clerk, learner):
    rows = [
        ["赵一", national_id(serial="701"), "13900001111"],
        ["钱二", national_id(serial="702"), ""],
        ["周五", national_id(serial="417"), ""],
    ]
    preview = upload(clerk, sheet(rows)).get_data(as_text=True)
    staged = re.search(r'name="staged" value="([0-9a-f]{64})"', preview).group(1)
    confirm = "/workstation/learners/collective/confirm"

    first = post(clerk, confirm, {"staged": staged}, "/workstation/learners/collective")

    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert '<strong id="opened-count">2</strong>' in html
    passwords = re.findall(r'<code class="initial-password">([^<]+)</code>', html)
    assert len(passwords) == 2 and count(Account) == 3
    db.session.rollback()
    zhao = db.session.scalar(select(Identity).where(Identity.name == "赵一"))
    assert zhao.phone_masked == "139****1111" and zhao.must_change_password
    assert verify_secret(passwords[0], zhao.password_hash)
    assert len(events("web:learner:opened")) == 2

    again = post(clerk, confirm, {"staged": staged}, "/workstation/learners/collective")
    assert '<strong id="opened-count">0</strong>' in again.get_data(as_text=True)
    assert count(Account) == 3
    summaries = [json.loads(e.details) for e in events("web:learners:collective_opened")]
    assert [(s["opened"], s["registered"]) for s in summaries] == [(2, 1), (0, 3)]

    listing = clerk.post(
        "/workstation/learners/collective/list",
        data={
            "csrf_token": token(clerk, "/workstation/learners/collective"),
            "format": "csv",
            **{
                key: re.findall(rf'name="{key}" value="([^"]*)"', html)
                for key in ("row", "name", "account_number", "password")
            },
        },
    )
    assert listing.headers["Content-Disposition"] == 'attachment; filename="opened.csv"'
    lines = list(csv.reader(io.StringIO(listing.data.decode("utf-8-sig"))))
    assert lines[0] == ["行号", "姓名", "学习账号", "初始密码"]
    assert [line[3] for line in lines[1:]] == passwords


def test_an_xlsx_sheet_is_read_and_the_list_downloads_as_xlsx(clerk):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["姓名", "身份证号"])
    workbook.active.append(["赵一", national_id(serial="701")])
    buffer = io.BytesIO()
    workbook.save(buffer)

    preview = upload(clerk, buffer.getvalue(), "learners.xlsx").get_data(as_text=True)

    assert '<strong id="to-open">1</strong>' in preview


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"", "请选择"),
        (sheet([], header=("名字", "号码")), "表头须有"),
        (sheet([]), "没有任何数据行"),
        (b"\xd0\xcf\x11\xe0" + b"\0" * 100, "无法读取"),
        (sheet([["赵一", national_id(serial="701")]] * 1001), "行数超过 1000 行"),
        (b"x" * (2 * 1024 * 1024 + 1), "文件超过 2 MB"),
    ],
    ids=["empty", "headers", "no-rows", "xls", "rows", "bytes"],
)
def test_a_file_that_is_not_a_sheet_of_learners_is_a_clear_422(clerk, data, said):
    response = upload(clerk, data)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert said in html.split('id="file-error"')[1]
    assert count(Account) == 0


def test_a_forged_or_expired_staged_name_asks_to_upload_again(clerk):
    response = post(
        clerk,
        "/workstation/learners/collective/confirm",
        {"staged": "a" * 64},
        "/workstation/learners/collective",
    )

    assert response.status_code == 422
    assert "预览已过期" in response.get_data(as_text=True)


def test_a_body_over_the_servers_limit_is_a_413_page_in_chinese(app, clerk):
    app.config["MAX_CONTENT_LENGTH"] = 3 * 1024 * 1024

    response = upload(clerk, b"x" * (4 * 1024 * 1024))

    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "上传的文件过大" in response.get_data(as_text=True)


def test_an_unknown_learner_or_outcome_is_a_404_page_in_chinese(clerk, learner):
    missing = clerk.get("/workstation/learners/L00000000000000000000000000")
    outcome = clerk.get(f"/workstation/learners/{learner.learner_id}/outcomes/o_x/void")

    assert missing.status_code == 404 and "没有这个学员" in missing.get_data(as_text=True)
    assert outcome.status_code == 404 and "没有这项成果" in outcome.get_data(as_text=True)


def test_with_nothing_credited_the_credential_link_says_so(clerk, learner):
    response = clerk.get(f"/workstation/learners/{learner.learner_id}/credential.jwt")

    assert response.status_code == 302
    assert "暂无可验证凭证" in clerk.get(response.headers["Location"]).get_data(as_text=True)


def test_the_journal_pages_by_keyset_without_losing_or_repeating_an_entry(api, clerk, learner):
    api.publish_ruleset()
    _, provider = api.new_provider()
    for index in range(26):  # an outcome entry and a credit entry each: 52 entries
        assert api.post_outcome(provider, learner.learner_id, title=f"课{index}").status_code == 201

    seen: list[str] = []
    path = f"/workstation/learners/{learner.learner_id}"
    for _ in range(3):
        html = clerk.get(path).get_data(as_text=True)
        journal = html.split('id="journal"')[1].split("</section>")[0]
        seen.extend(re.findall(r'<tr>\s*<td class="num">(\d+)</td>', journal))
        following = re.search(r'<a rel="next" href="([^"]+)">后续流水', journal)
        if following is None:
            break
        path = following.group(1).replace("&amp;", "&")

    assert seen == [str(seq) for seq in range(1, 53)]


def test_the_opened_list_downloads_as_xlsx_with_text_cells(clerk):
    from openpyxl import load_workbook

    response = clerk.post(
        "/workstation/learners/collective/list",
        data={
            "csrf_token": token(clerk, "/workstation/learners/collective"),
            "format": "xlsx",
            "row": ["2"],
            "name": ["=HYPERLINK(1)"],
            "account_number": ["1234 5678 9012"],
            "password": ["abcdefghjk"],
        },
    )

    assert response.headers["Content-Disposition"] == 'attachment; filename="opened.xlsx"'
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [cell.value for cell in sheet[2]] == [
        "2",
        "=HYPERLINK(1)",
        "1234 5678 9012",
        "abcdefghjk",
    ]
    assert sheet["B2"].data_type == "s"


def test_a_tampered_list_is_refused(clerk):
    response = clerk.post(
        "/workstation/learners/collective/list",
        data={
            "csrf_token": token(clerk, "/workstation/learners/collective"),
            "row": ["2", "3"],
            "name": ["赵一"],
            "account_number": [],
            "password": [],
        },
    )

    assert response.status_code == 422
