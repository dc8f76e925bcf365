"""The workstation's conversion pages (/workstation/conversion…) in process, on both databases:
enrol one learner by the form and many by a sheet (preview, then confirm), file on a learner's
behalf from the eligibility preview, follow it, print its certificate, export the national
record; auditors read and change nothing; field errors 422 with nothing written; CSRF."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from creditbank.college_models import Enrolment, TransferApplication
from creditbank.domain.account_numbers import format_account_number
from creditbank.extensions import db
from creditbank.models import Account
from tests.api.conversion_world import build_world, events, post_form, staff_browser, token_of

HUB = "/workstation/conversion"


@pytest.fixture
def world(api):
    return build_world(api)


@pytest.fixture
def ws(app, world):
    return staff_browser(app, "wang.ws")


@pytest.fixture
def auditor(app, world):
    return staff_browser(app, "zhao.audit")


def account_of(learner_id: str) -> str:
    return format_account_number(db.session.get(Account, learner_id).account_number)


def enrolment(learner_id: str, programme_id: str) -> Enrolment | None:
    db.session.expire_all()
    return db.session.get(Enrolment, (learner_id, programme_id))


def applications() -> list[TransferApplication]:
    db.session.expire_all()
    return list(db.session.query(TransferApplication))


def test_the_hub_lists_applications_by_name_and_the_nav_links_it(ws, world):
    world.file(("WEB101",))

    html = ws.get(HUB).get_data(as_text=True)

    assert 'href="/workstation/conversion">学分转换</a>' in html
    assert "张三" in html and "渝东北职业技术学院 · 软件技术" in html
    assert world.learner not in re.sub(r"<[^>]+>", "", html)


def test_enrolling_one_learner_by_the_form(ws, api, world):
    learner = api.new_learner(name="李四")

    done = post_form(
        ws,
        HUB,
        f"{HUB}/enrol",
        programme_id=world.programme_id,
        account=account_of(learner),
        student_no="2026510203002",
        enrolled_on="2026-09-01",
    )

    assert done.status_code == 302
    assert enrolment(learner, world.programme_id).student_no == "2026510203002"
    [event] = events("api:enrolment:created")
    assert event.actor == "staff:wang.ws" and event.subject_id == learner
    assert "已为 李四 注册 软件技术" in ws.get(HUB).get_data(as_text=True)


def test_enrolling_with_bad_fields_is_422_beside_them_nothing_written(ws, api, world):
    learner = api.new_learner(name="李四")

    response = post_form(
        ws,
        HUB,
        f"{HUB}/enrol",
        programme_id=world.programme_id,
        account=account_of(learner),
        student_no="",
        enrolled_on="2099-01-01",
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-describedby="student_no-error"' in html
    assert 'aria-describedby="enrolled_on-error"' in html and "入学日期不能晚于今天" in html
    assert enrolment(learner, world.programme_id) is None


def test_an_unknown_account_number_is_422(ws, world):
    response = post_form(
        ws, HUB, f"{HUB}/enrol", programme_id=world.programme_id, account="123",
        student_no="1", enrolled_on="2026-09-01",
    )  # fmt: skip
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-describedby="account-error"' in html
    assert 'aria-describedby="apply-account-error"' not in html  # beside the posted form only


def test_enrolling_many_by_a_sheet_previews_then_confirms(ws, api, world):
    first, second = api.new_learner(name="李四"), api.new_learner(name="王五")
    sheet = "学习账号,学号,入学日期\n"
    sheet += f"{account_of(first)},S-1,2026-09-01\n{account_of(second)},S-2,2026/9/1\n"
    form = {
        "programme_id": world.programme_id,
        "sheet": (io.BytesIO(sheet.encode()), "enrol.csv"),
        "csrf_token": token_of(ws, HUB),
    }

    preview = ws.post(f"{HUB}/enrol-sheet", data=form)

    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert "李四" in html and "王五" in html and enrolment(first, world.programme_id) is None
    staged = re.search(r'name="staged" value="([0-9a-f]{64})"', html)
    assert staged
    done = post_form(
        ws, HUB, f"{HUB}/enrol-sheet/confirm", programme_id=world.programme_id,
        staged=staged.group(1),
    )  # fmt: skip
    assert done.status_code == 302
    assert enrolment(first, world.programme_id).student_no == "S-1"
    assert enrolment(second, world.programme_id).student_no == "S-2"


def test_a_sheet_with_a_bad_row_cannot_be_confirmed(ws, api, world):
    learner = api.new_learner(name="李四")
    sheet = f"学习账号,学号,入学日期\n{account_of(learner)},,2026-09-01\n"
    form = {
        "programme_id": world.programme_id,
        "sheet": (io.BytesIO(sheet.encode()), "enrol.csv"),
        "csrf_token": token_of(ws, HUB),
    }

    preview = ws.post(f"{HUB}/enrol-sheet", data=form)

    assert preview.status_code == 422
    assert 'id="enrol-confirm"' not in preview.get_data(as_text=True)
    assert enrolment(learner, world.programme_id) is None


def test_filing_on_a_learners_behalf_from_the_preview(ws, world):
    query = f"account={account_of(world.learner)}&programme_id={world.programme_id}"
    page = f"{HUB}/apply?{query}"
    html = ws.get(page).get_data(as_text=True)
    assert "张三：软件技术 可转换课程" in html and 'id="course-WEB101"' in html
    ref = re.search(r'name="ref" value="([^"]+)"', html)
    assert ref

    done = post_form(
        ws, page, f"{HUB}/apply", account=account_of(world.learner),
        programme_id=world.programme_id, ref=ref.group(1), course="WEB101",
    )  # fmt: skip

    assert done.status_code == 302
    [application] = applications()
    assert application.filed_by_role == "workstation"
    [event] = events("api:application:filed")
    assert event.actor == "staff:wang.ws"
    status = ws.get(done.headers["Location"]).get_data(as_text=True)
    assert "已代学员提交申请，共 1 门课程" in status and "待审核" in status


def test_the_application_page_and_its_certificate(ws, world):
    filed = world.file(("WEB101",))
    assert world.decide(filed, 0, decision="approve").status_code == 201
    page = f"{HUB}/applications/{filed['id']}"

    html = ws.get(page).get_data(as_text=True)

    assert 'id="certificate-link"' in html and "CQ1024-" in html
    pdf = ws.get(f"{page}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_national_record_for_a_month_range(ws, auditor, world):
    filed = world.file(("WEB101",))
    world.decide(filed, 0, decision="approve")

    whole = ws.get(f"{HUB}/record.xlsx?download=1&from=2020-01&to=2099-12")
    masked = auditor.get(f"{HUB}/record.xlsx?download=1")
    bad = ws.get(f"{HUB}/record.xlsx?download=1&from=2027-01&to=2026-01")

    cells = [c for row in load_workbook(io.BytesIO(whole.data)).active.values for c in row]
    assert "11010519491231002X" in cells
    masked_cells = [c for row in load_workbook(io.BytesIO(masked.data)).active.values for c in row]
    assert "11010519491231002X" not in masked_cells and "张三" in masked_cells
    assert bad.status_code == 422 and "结束月份不能早于起始月份" in bad.get_data(as_text=True)


def test_auditors_read_the_pages_but_post_no_form(auditor, api, world):
    learner = api.new_learner(name="李四")
    html = auditor.get(HUB).get_data(as_text=True)
    assert 'id="enrol-submit"' not in html and "张三" not in html  # nothing filed yet

    response = post_form(
        auditor, HUB, f"{HUB}/enrol", programme_id=world.programme_id,
        account=account_of(learner), student_no="S", enrolled_on="2026-09-01",
    )  # fmt: skip

    assert response.status_code == 403 and enrolment(learner, world.programme_id) is None


def test_a_form_without_the_csrf_token_is_refused(ws, api, world):
    learner = api.new_learner(name="李四")
    form = {"programme_id": world.programme_id, "account": account_of(learner),
            "student_no": "S", "enrolled_on": "2026-09-01"}  # fmt: skip

    assert ws.post(f"{HUB}/enrol", data=form).status_code == 400
    assert enrolment(learner, world.programme_id) is None


def test_a_sheet_naming_a_learner_enrolled_already_says_so(ws, world):
    sheet = f"学习账号,学号,入学日期\n{account_of(world.learner)},S-9,2026-09-01\n"
    form = {
        "programme_id": world.programme_id,
        "sheet": (io.BytesIO(sheet.encode()), "enrol.csv"),
        "csrf_token": token_of(ws, HUB),
    }

    preview = ws.post(f"{HUB}/enrol-sheet", data=form)

    assert preview.status_code == 422
    assert "该学员已在此专业注册" in preview.get_data(as_text=True)
    assert enrolment(world.learner, world.programme_id).student_no == "2026510203001"
