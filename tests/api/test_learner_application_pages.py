"""The learner's conversion pages (/learner/applications, /learner/apply/…) in process, on both
databases: the programmes one is enrolled in, the eligibility preview as a form, filing the
ticked courses (an audit event; posting the same form twice files once), field errors 422
with nothing written, CSRF, another learner's application 404, the decisions and the
certificate."""

from __future__ import annotations

import re

import pytest

from creditbank.college_models import TransferApplication
from creditbank.extensions import db
from tests.api.browsers import new_browser
from tests.api.conversion_world import build_world, events, learner_browser


@pytest.fixture
def world(api):
    return build_world(api)


@pytest.fixture
def me(app, world):
    return learner_browser(app, world.learner)


def applications() -> list[TransferApplication]:
    db.session.expire_all()
    return list(db.session.query(TransferApplication))


def apply_form(me, world) -> tuple[str, str, str]:
    """The apply page's path, its CSRF token and its filing key."""
    path = f"/learner/apply/{world.programme_id}"
    html = me.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    ref = re.search(r'name="ref" value="([^"]+)"', html)
    assert token and ref
    return path, token.group(1), ref.group(1)


def test_a_stranger_is_sent_to_the_portals_sign_in(app, world):
    response = new_browser(app).get("/learner/applications")
    assert response.status_code == 302
    assert response.headers["Location"] == "/learner/login?next=/learner/applications"


def test_the_nav_links_to_the_application_pages_and_lists_the_programme(me):
    home = me.get("/learner/").get_data(as_text=True)
    assert 'href="/learner/applications">申请学分转换</a>' in home
    page = me.get("/learner/applications").get_data(as_text=True)
    assert "渝东北职业技术学院 · 软件技术（学号 2026510203001）" in page


def test_the_preview_shows_what_counts_the_bank_credits_and_the_room(me, world):
    html = me.get(f"/learner/apply/{world.programme_id}").get_data(as_text=True)

    assert 'id="course-WEB101"' in html and 'id="course-MATH101"' not in html
    assert "Web前端开发职业技能等级证书（高级）（6.0 学分，优秀）" in html
    assert 'id="room-share">60.0<' in html and 'id="room-online">30.0<' in html
    assert world.o["CERT"] not in re.sub(r"<[^>]+>", "", html)


def test_filing_the_ticked_courses_records_the_event_and_shows_the_decisions(me, world):
    path, token, ref = apply_form(me, world)
    form = {"csrf_token": token, "ref": ref, "course": ["WEB101", "ICT100"]}

    filed = me.post(path, data=form)

    assert filed.status_code == 302, filed.get_data(as_text=True)[-3000:]
    [application] = applications()
    assert filed.headers["Location"] == f"/learner/applications/{application.id}"
    [event] = events("api:application:filed")
    assert event.actor == world.learner
    page = me.get(filed.headers["Location"]).get_data(as_text=True)
    assert "申请已提交，共 2 门课程" in page and "待审核" in page
    assert "WEB101 Web前端开发" in page and "ICT100 信息技术基础" in page
    again = me.post(path, data=form)  # the same form again: the same application
    assert again.status_code == 302 and len(applications()) == 1


def test_nothing_ticked_is_422_beside_the_field_nothing_written(me, world):
    path, token, ref = apply_form(me, world)

    response = me.post(path, data={"csrf_token": token, "ref": ref})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-describedby="course-error"' in html and "请至少勾选一门课程" in html
    assert applications() == []


def test_a_course_with_no_option_is_refused_nothing_written(me, world):
    path, token, ref = apply_form(me, world)

    response = me.post(path, data={"csrf_token": token, "ref": ref, "course": "MATH101"})

    assert response.status_code == 422 and applications() == []


def test_a_forged_filing_key_is_refused(me, world):
    path, token, _ = apply_form(me, world)

    response = me.post(path, data={"csrf_token": token, "ref": "x", "course": "WEB101"})

    assert response.status_code == 422 and applications() == []


def test_filing_without_the_csrf_token_is_refused(me, world):
    path, _, ref = apply_form(me, world)

    response = me.post(path, data={"ref": ref, "course": "WEB101"})

    assert response.status_code == 400 and applications() == []


def test_a_programme_one_is_not_enrolled_in_is_404(me, world, api):
    from tests.support.programmes import seed_programme

    other = seed_programme(api, api.new_learner(name="李四"), school_code="CQ2048")
    response = me.get(f"/learner/apply/{other.programme_id}")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "您没有在读注册的这个专业" in html and "返回我的学分" in html


def test_another_learners_application_is_404(app, api, world, me):
    filed = world.file(("WEB101",))
    assert me.get(f"/learner/applications/{filed['id']}").status_code == 200
    other = api.new_learner(name="李四", password="another-password-1")
    browser = learner_browser(app, other, "another-password-1")

    assert browser.get(f"/learner/applications/{filed['id']}").status_code == 404
    assert browser.get(f"/learner/applications/{filed['id']}/certificate.pdf").status_code == 404


def test_the_decisions_and_the_certificate(me, world):
    filed = world.file(("WEB101", "UI103"))
    assert world.decide(filed, 0, decision="approve").status_code == 201
    page = f"/learner/applications/{filed['id']}"
    assert me.get(f"{page}/certificate.pdf").status_code == 409
    assert world.decide(filed, 1, decision="reject", reason="超过上限").status_code == 201

    html = me.get(page).get_data(as_text=True)

    assert "已认定" in html and "未认定" in html and "超过上限" in html
    assert 'id="certificate-link"' in html
    pdf = me.get(f"{page}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
