"""The learner portal's account pages (/learner/): the balance by category as a chart (an SVG
image) and a table of the same figures, every outcome with its status and reason in Chinese and
a pending one's waiting state, and depositing an outcome with evidence (存入) through the form:
a refusal comes back beside its field with nothing written."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from sqlalchemy import func, select

from creditbank.evidence_models import Evidence
from creditbank.extensions import db
from creditbank.models import JournalEntry
from tests.api.browsers import csrf_token, new_browser
from tests.api.deposit_files import CERTIFICATE, pdf_bytes

INITIAL, CHOSEN = "initial-pw-123", "my-own-password-9"


def portal(api, learner_id: str):
    """A browser signed in to the portal as the learner, its own password chosen."""
    browser = new_browser(api.app)
    form = {"username": learner_id, "password": INITIAL}
    form["csrf_token"] = csrf_token(browser, "/learner/login")
    assert browser.post("/learner/login", data=form).status_code == 302
    change = {"old_password": INITIAL, "new_password": CHOSEN, "confirm_password": CHOSEN}
    change["csrf_token"] = csrf_token(browser, "/learner/password")
    assert browser.post("/learner/password", data=change).status_code == 302
    return browser


@pytest.fixture
def learner(api):
    api.publish_ruleset()
    learner_id = api.new_learner(password=INITIAL)
    return learner_id


@pytest.fixture
def browser(api, learner):
    return portal(api, learner)


def post_deposit(browser, files, **fields):
    form = {**CERTIFICATE, **fields, "csrf_token": csrf_token(browser, "/learner/deposit")}
    form["evidence"] = [(io.BytesIO(data), name) for data, name in files]
    return browser.post("/learner/deposit", data=form, content_type="multipart/form-data")


def written() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Evidence)),
        db.session.scalar(select(func.count()).select_from(JournalEntry)),
    )


def test_the_home_shows_the_balance_by_category_as_a_chart_and_a_table(api, learner, browser):
    _, provider = api.new_provider()
    api.post_outcome(provider, learner, hours="32", category="theory", title="电工基础培训")

    html = browser.get("/learner/").get_data(as_text=True)

    assert '<img src="/learner/balance-chart.svg"' in html
    assert re.search(r'alt="各类别学分条形图：理论 2\.0 分"', html)
    assert '<th scope="row">理论</th><td class="num" data-category="theory">2.0</td>' in html
    assert '<td class="num" id="table-total">2.0</td>' in html
    assert "电工基础培训" in html and "已认定" in html
    assert "已按转换规则认定学分。" in html and "依据：培训学时折算（理论）" in html


def test_the_chart_is_an_svg_without_script_under_its_own_csp(browser):
    response = browser.get("/learner/balance-chart.svg")

    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert b"<script" not in response.data
    csp = response.headers["Content-Security-Policy"]
    assert "style-src 'unsafe-inline'" in csp and "script-src" not in csp


def test_a_deposit_through_the_form_waits_for_review_with_its_evidence(api, learner, browser):
    pdf = pdf_bytes()

    response = post_deposit(browser, [(pdf, "证书扫描.pdf")])

    assert response.status_code == 302
    assert response.headers["Location"] == "/learner/"
    html = browser.get("/learner/").get_data(as_text=True)
    assert "已存入「Web 前端开发职业技能等级证书」，等待工作站审核。" in html
    assert "本人申报" in html and "待审核（自 " in html
    digest = hashlib.sha256(pdf).hexdigest()
    assert f'href="/learner/evidence/{digest}"' in html
    download = browser.get(f"/learner/evidence/{digest}")
    assert download.data == pdf
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_text_file_is_refused_beside_the_file_field_and_nothing_is_written(browser):
    before = written()

    response = post_deposit(browser, [(b"plain text, not a PDF\n" * 20, "scan.pdf")])

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="evidence" name="evidence"' in html
    assert 'aria-invalid="true" aria-describedby="evidence-error"' in html
    assert re.search(r'id="evidence-error">scan\.pdf：按文件内容判断不是 PDF', html)
    assert written() == before


def test_missing_fields_come_back_beside_each_field_with_the_values_kept(browser):
    before = written()

    response = post_deposit(browser, [(pdf_bytes(), "c.pdf")], issuer="", achieved_on="2999-01-01")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="issuer-error">必填，不能为空。' in html
    assert 'id="achieved_on-error">不能晚于今天。' in html
    assert 'value="Web 前端开发职业技能等级证书"' in html  # the title typed is kept
    assert written() == before


def test_another_learners_evidence_is_not_found(api, learner, browser):
    pdf = pdf_bytes("another learner's certificate")
    other = api.new_learner(password=INITIAL)
    post_deposit(portal(api, other), [(pdf, "theirs.pdf")])

    response = browser.get(f"/learner/evidence/{hashlib.sha256(pdf).hexdigest()}")

    assert response.status_code == 404


def test_the_deposit_form_labels_every_input(browser):
    html = browser.get("/learner/deposit").get_data(as_text=True)

    ids = set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html))
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    assert ids and ids <= labelled
    assert 'enctype="multipart/form-data"' in html
