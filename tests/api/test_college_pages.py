"""The college's pages (/college/) in process, on both databases: college staff sign in through
the shared form and land on their queue; scope (another college's application is 404, the
workstation's staff 403 here, a college's staff 403 on the workstation's pages); decisions
course by course through the same services as the API, a cap refusal in words beside its
course, field errors 422 with nothing written, CSRF; catalogues from a sheet; the record."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from creditbank.college_models import TransferItem
from creditbank.documents.catalogue_sheets import catalogue_workbook
from creditbank.domain.roles import Role
from creditbank.extensions import db
from creditbank.models import JournalEntry
from creditbank.services.staff import create_staff
from tests.api.browsers import STAFF_PASSWORD, new_browser, sign_in
from tests.api.conversion_world import build_world, events, post_form, staff_browser, token_of
from tests.support.programmes import C1, seed_programme


@pytest.fixture
def world(api):
    return build_world(api)


@pytest.fixture
def college(app, world):
    return staff_browser(app, "li.college")


def item_status(item_id: str) -> str:
    db.session.expire_all()
    row = db.session.query(TransferItem).filter(TransferItem.id == item_id).one()
    return row.status


def journal_length(learner_id: str) -> int:
    db.session.expire_all()
    return db.session.query(JournalEntry).filter(JournalEntry.learner_id == learner_id).count()


def page_of(application: dict[str, Any]) -> str:
    return f"/college/applications/{application['id']}"


def action(application: dict[str, Any], index: int, verb: str) -> str:
    return f"{page_of(application)}/items/{application['items'][index]['id']}/{verb}"


# -- signing in and scope ----------------------------------------------------------------------
def test_college_staff_sign_in_through_the_shared_form_and_land_on_their_queue(app, world):
    browser = new_browser(app)
    response = sign_in(browser, "li.college")

    assert response.status_code == 302
    assert response.headers["Location"] == "/college/"
    queue = browser.get("/college/")
    assert queue.status_code == 200
    assert "待处理的学分转换申请" in queue.get_data(as_text=True)


def test_college_staff_get_403_on_every_workstation_page(college):
    for path in ("/workstation/", "/workstation/learners", "/workstation/conversion"):
        assert college.get(path).status_code == 403, path


def test_workstation_and_auditor_staff_get_403_on_the_college_pages(app, world):
    for username in ("wang.ws", "zhao.audit"):
        browser = staff_browser(app, username)
        assert browser.get("/college/").status_code == 403
        assert browser.get("/college/catalogues").status_code == 403


def test_a_stranger_is_sent_to_the_sign_in_form_and_back_to_the_college_page(app, world):
    browser = new_browser(app)
    response = browser.get("/college/catalogues")
    assert response.headers["Location"] == "/workstation/login?next=/college/catalogues"
    signed = sign_in(browser, "li.college", next="/college/catalogues")
    assert signed.headers["Location"] == "/college/catalogues"


def test_another_colleges_application_is_404(app, api, world, college):
    other = seed_programme(api, api.new_learner(name="李四"), school_code="CQ2048")
    create_staff("wu.other", Role.COLLEGE, STAFF_PASSWORD, college_id=other.college_id)
    filed = world.file()
    assert college.get(page_of(filed)).status_code == 200

    stranger = staff_browser(app, "wu.other")

    missing = stranger.get(page_of(filed))
    assert missing.status_code == 404
    assert "返回待处理申请" in missing.get_data(as_text=True)
    assert "张三" not in stranger.get("/college/").get_data(as_text=True)
    approve = post_form(stranger, "/college/", action(filed, 0, "approve"), grade="优秀")
    assert approve.status_code == 404
    assert item_status(filed["items"][0]["id"]) == "pending"


# -- the queue and the application page --------------------------------------------------------
def test_the_queue_and_the_application_page_show_names_not_ids(college, world):
    filed = world.file()

    queue = college.get("/college/").get_data(as_text=True)
    assert "张三" in queue and "2026510203001" in queue and "软件技术" in queue
    assert world.learner not in queue
    page = college.get(page_of(filed)).get_data(as_text=True)
    assert "张三" in page and "**************002X" in page and "2026510203001" in page
    assert "Web前端开发职业技能等级证书（高级）" in page
    assert "证书编号 WEB-S-0001" in page and "取得于 2026-06-01" in page  # the evidence
    assert world.learner not in re.sub(r"<[^>]+>", "", page)
    assert 'value="优秀"' in page  # WEB101's suggested grade, filled in
    assert 'id="room-share">60.0<' in page  # 50% of 120.0, nothing recognised yet


def test_approving_two_and_the_third_refused_over_its_cap_in_words_beside_it(college, world):
    filed = world.file()
    for index in (0, 1):
        done = post_form(college, page_of(filed), action(filed, index, "approve"), grade="优秀")
        assert done.status_code == 302
    length = journal_length(world.learner)

    refused = post_form(college, page_of(filed), action(filed, 2, "approve"), grade="良好")

    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    third = filed["items"][2]["id"]
    sentence = re.search(rf'id="refusal-{third}">([^<]+)<', html)
    assert sentence and sentence.group(1) == "超过单一证书认定上限：已认定 7.0，申请 2.0，上限 8.0"
    assert item_status(third) == "pending" and journal_length(world.learner) == length


def test_approve_flashes_and_lands_in_the_journal(college, world):
    filed = world.file()
    length = journal_length(world.learner)

    done = post_form(college, page_of(filed), action(filed, 0, "approve"), grade="")

    assert done.status_code == 302 and done.headers["Location"].endswith(
        f"{page_of(filed)}#item-{filed['items'][0]['id']}"
    )
    assert journal_length(world.learner) == length + 1
    page = college.get(page_of(filed)).get_data(as_text=True)
    assert "已认定 WEB101 Web前端开发（4.0 学分，成绩 优秀）" in page


def test_reject_needs_a_reason_422_nothing_written(college, world):
    filed = world.file()

    response = post_form(college, page_of(filed), action(filed, 2, "reject"), reason="  ")

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    item = filed["items"][2]["id"]
    assert f'aria-describedby="reason-{item}-error"' in html and "请填写不认定的理由" in html
    assert item_status(item) == "pending"
    assert events("api:transfer_item:rejected") == []


def test_a_bad_grade_is_422_beside_the_field_nothing_written(college, world):
    filed = world.file()
    length = journal_length(world.learner)

    response = post_form(college, page_of(filed), action(filed, 0, "approve"), grade="很好")

    assert response.status_code == 422
    assert f'id="grade-{filed["items"][0]["id"]}-error"' in response.get_data(as_text=True)
    assert journal_length(world.learner) == length
    assert item_status(filed["items"][0]["id"]) == "pending"


def test_reject_records_its_event_and_closes_the_application(college, world):
    filed = world.file(("WEB101",))

    done = post_form(college, page_of(filed), action(filed, 0, "reject"), reason="证书不符")

    assert done.status_code == 302
    [event] = events("api:transfer_item:rejected")
    assert event.actor == "staff:li.college" and event.subject_id == filed["items"][0]["id"]
    assert "证书不符" in college.get(page_of(filed)).get_data(as_text=True)


def test_a_post_without_the_csrf_token_is_refused(college, world):
    filed = world.file()

    response = college.post(action(filed, 0, "approve"), data={"grade": "优秀"})

    assert response.status_code == 400
    assert item_status(filed["items"][0]["id"]) == "pending"


def test_revoking_asks_for_a_confirmation_first(college, world):
    filed = world.file(("WEB101",))
    post_form(college, page_of(filed), action(filed, 0, "approve"), grade="优秀")
    revoke = action(filed, 0, "revoke")

    unconfirmed = post_form(college, revoke, revoke, reason="证书撤销")
    assert unconfirmed.status_code == 422 and "请勾选确认撤销" in unconfirmed.get_data(as_text=True)
    assert item_status(filed["items"][0]["id"]) == "approved"

    done = post_form(college, revoke, revoke, reason="证书撤销", confirm="yes")
    assert done.status_code == 302
    assert item_status(filed["items"][0]["id"]) == "revoked"


def test_confirming_an_item_that_is_not_flagged_says_so(college, world):
    filed = world.file(("WEB101",))
    post_form(college, page_of(filed), action(filed, 0, "approve"), grade="优秀")

    response = post_form(college, page_of(filed), action(filed, 0, "confirm"))

    assert response.status_code == 409
    assert "该课程没有待确认的来源变化" in response.get_data(as_text=True)


def test_the_certificate_downloads_once_the_application_closed(college, world):
    filed = world.file(("WEB101",))
    assert college.get(f"{page_of(filed)}/certificate.pdf").status_code == 409
    post_form(college, page_of(filed), action(filed, 0, "approve"), grade="优秀")

    pdf = college.get(f"{page_of(filed)}/certificate.pdf")

    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


# -- catalogues and the record -----------------------------------------------------------------
def test_publishing_a_catalogue_from_a_sheet_previews_then_confirms(college, world):
    sheet = catalogue_workbook({**C1, "courses": C1["courses"][:2]}).read()
    fields = {"name": "软件技术目录 2027", "effective_from": "2027-09-01", "total_credits": "120"}
    token_page = "/college/catalogues"

    form = {
        **fields,
        "programme_id": world.programme_id,
        "file": (io.BytesIO(sheet), "catalogue.xlsx"),
        "csrf_token": token_of(college, token_page),
    }
    preview = college.post("/college/catalogues/preview", data=form)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert "WEB101" in html and "JS102" in html and "UI103" not in html
    assert events("api:catalogue:published") == []
    staged = re.search(r'name="staged" value="([0-9a-f]{64})"', html)
    assert staged

    done = post_form(
        college,
        token_page,
        "/college/catalogues/publish",
        programme_id=world.programme_id,
        staged=staged.group(1),
        **fields,
    )
    assert done.status_code == 302
    [event] = events("api:catalogue:published")
    assert event.actor == "staff:li.college"


def test_a_catalogue_upload_without_a_file_is_422_beside_the_field(college, world):
    page = "/college/catalogues"
    response = post_form(college, page, f"{page}/preview", programme_id=world.programme_id)
    assert response.status_code == 422
    assert 'aria-describedby="file-error"' in response.get_data(as_text=True)


def test_the_catalogue_in_force_downloads_as_a_sheet(college, world):
    response = college.get(f"/college/programmes/{world.programme_id}/catalogue.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.values)
    assert any("WEB101" in (cell or "") for row in rows for cell in row if isinstance(cell, str))


def test_the_colleges_record_exports_its_own_rows_masked(college, world):
    filed = world.file(("WEB101",))
    post_form(college, page_of(filed), action(filed, 0, "approve"), grade="优秀")

    bad = college.get("/college/records?download=1&from=2026-13")
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    response = college.get("/college/records?download=1&from=&to=")
    assert response.status_code == 200
    cells = [c for row in load_workbook(io.BytesIO(response.data)).active.values for c in row]
    assert "张三" in cells and "**************002X" in cells
