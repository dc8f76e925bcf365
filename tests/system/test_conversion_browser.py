"""The console's conversion flow in a real headless Chromium against a real gunicorn, on SQLite
and PostgreSQL: a learner applying for conversion, the college approving two courses and
rejecting one over its cap, and the learner downloading the conversion certificate — every
step clicked through the pages, every page checked (tests/system/browser.py)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support.processes import TIMEOUT
from tests.support.programmes import ZHANG_SAN_ID
from tests.system.browser import check_page, console_errors, open_page, submit
from tests.system.programme_world import PASSWORD as FIRST_PASSWORD
from tests.system.programme_world import World

pytestmark = pytest.mark.system

from selenium.webdriver.common.by import By  # noqa: E402

COLLEGE_STAFF, WS_STAFF, STAFF_PASSWORD = "li.jiaowu", "wang.gzz", "browser-test-pw"
NEW_PASSWORD = "zhangsan-2026-own"
CAP_SENTENCE = "超过单一证书认定上限：已认定 7.0，申请 2.0，上限 8.0"


def fill(driver: Any, field_id: str, text: str) -> None:
    element = driver.find_element(By.ID, field_id)
    element.clear()
    element.send_keys(text)


def sign_in(driver: Any, url: str, username: str, password: str) -> None:
    """Open ``url`` (a page behind a sign-in form), sign in there, land back on ``url``."""
    open_page(driver, url)
    fill(driver, "username", username)
    fill(driver, "password", password)
    submit(driver, driver.find_element(By.ID, "login-submit"))


def sign_out(driver: Any) -> None:
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form.who button"))


def refused_with(driver: Any, status: int) -> None:
    """The page answered ``status`` (a form shown again): Chrome logs the status as the one
    console error; nothing else may be there."""
    errors = console_errors(driver)
    assert errors and all(f"status of {status}" in e["message"] for e in errors), errors


def test_apply_decide_over_the_cap_and_download_the_certificate(world: World, browser: Any):
    base = world.bank.base_url
    server = world.bank.server
    server.cli(
        "staff", "create", "--username", COLLEGE_STAFF, "--role", "college",
        "--college", "CQ1024", "--password", STAFF_PASSWORD,
    )  # fmt: skip
    server.cli(
        "staff", "create", "--username", WS_STAFF, "--role", "workstation",
        "--password", STAFF_PASSWORD,
    )  # fmt: skip

    # The learner signs in with the national ID; the first sign-in asks for a new password.
    sign_in(browser, f"{base}/learner/", ZHANG_SAN_ID, FIRST_PASSWORD)
    assert browser.current_url == f"{base}/learner/password"
    check_page(browser, "learner-first-password")
    fill(browser, "old_password", FIRST_PASSWORD)
    fill(browser, "new_password", NEW_PASSWORD)
    fill(browser, "confirm_password", NEW_PASSWORD)
    submit(browser, browser.find_element(By.ID, "password-submit"))

    # 申请学分转换: the programme, the preview, three courses ticked, filed.
    submit(browser, browser.find_element(By.LINK_TEXT, "申请学分转换"))
    text = check_page(browser, "learner-applications")
    assert "渝东北职业技术学院 · 软件技术（学号 2026510203001）" in text
    submit(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "软件技术（学号"))
    text = check_page(browser, "learner-apply")
    assert "Web前端开发职业技能等级证书（高级）" in text
    assert browser.find_element(By.ID, "room-share").text == "60.0"
    for code in ("WEB101", "JS102", "UI103"):
        browser.find_element(By.ID, f"course-{code}").click()
    submit(browser, browser.find_element(By.ID, "apply-submit"))
    text = check_page(browser, "learner-application-filed")
    assert "申请已提交，共 3 门课程" in text
    assert browser.find_element(By.ID, "application-status").text == "待处理"
    application_url = browser.current_url
    sign_out(browser)

    # The college's academic office signs in through the shared form and lands on its queue.
    sign_in(browser, f"{base}/workstation/login", COLLEGE_STAFF, STAFF_PASSWORD)
    assert browser.current_url == f"{base}/college/"
    text = check_page(browser, "college-queue")
    assert "张三" in text and "2026510203001" in text
    submit(browser, browser.find_element(By.LINK_TEXT, "审核 张三 的申请"))
    text = check_page(browser, "college-application")
    assert "**************002X" in text
    assert browser.find_element(By.ID, "learner-name").text == "张三"

    for code, grade in (("WEB101", "优秀"), ("JS102", "优秀")):
        assert browser.find_element(By.CSS_SELECTOR, f"#approve-{code}")
        submit(browser, browser.find_element(By.ID, f"approve-{code}"))
        text = check_page(browser, f"college-approved-{code}")
        assert f"已认定 {code}" in text and f"成绩 {grade}" in text

    # The third course would pass the certificate's cap: refused, in words, beside it.
    submit(browser, browser.find_element(By.ID, "approve-UI103"))
    refused_with(browser, 409)
    refusal = browser.find_element(By.CSS_SELECTOR, ".refusal")
    assert refusal.text == CAP_SENTENCE
    section = refusal.find_element(By.XPATH, "ancestor::section[1]")
    assert "UI103 网页设计与制作" in section.find_element(By.TAG_NAME, "h2").text
    check_page(browser, "college-cap-refusal")
    fill(browser, browser.find_element(By.CSS_SELECTOR, "input[name=reason]").get_attribute("id"),
         "超过单一证书认定上限（8学分）")  # fmt: skip
    submit(browser, browser.find_element(By.ID, "reject-UI103"))
    text = check_page(browser, "college-rejected")
    assert "已决定不认定 UI103" in text
    assert browser.find_element(By.ID, "application-status").text == "已办结"
    assert browser.find_element(By.ID, "certificate-no").text.startswith("CQ1024-")
    sign_out(browser)

    # The workstation follows it on its conversion page.
    sign_in(browser, f"{base}/workstation/conversion", WS_STAFF, STAFF_PASSWORD)
    text = check_page(browser, "ws-conversion")
    assert "张三" in text and "已办结" in text
    submit(browser, browser.find_element(By.LINK_TEXT, "张三 的申请"))
    check_page(browser, "ws-conversion-application")
    assert browser.find_element(By.ID, "certificate-link")
    sign_out(browser)

    # The learner sees the decisions and downloads the certificate.
    sign_in(browser, application_url, ZHANG_SAN_ID, NEW_PASSWORD)
    assert browser.current_url == application_url
    text = check_page(browser, "learner-decisions")
    assert text.count("已认定") >= 2 and "未认定" in text
    assert "超过单一证书认定上限（8学分）" in text
    link = browser.find_element(By.ID, "certificate-link").get_attribute("href")
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    pdf = requests.get(link, cookies=cookies, timeout=TIMEOUT)
    assert pdf.status_code == 200, pdf.text[:300]
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert 'filename="certificate-CQ1024-' in pdf.headers["Content-Disposition"]


def test_catalogue_record_enrolment_and_preview_pages(world: World, browser: Any, tmp_path):
    """The rest of the console's conversion pages: the college publishes a catalogue from a
    sheet (preview, confirm) and opens its record; the workstation enrols a learner by the
    form and by a sheet (preview), and previews what a learner could apply for."""
    from creditbank.documents.catalogue_sheets import catalogue_workbook
    from tests.support.programmes import C1

    base = world.bank.base_url
    server = world.bank.server
    server.cli(
        "staff", "create", "--username", COLLEGE_STAFF, "--role", "college",
        "--college", "CQ1024", "--password", STAFF_PASSWORD,
    )  # fmt: skip
    server.cli(
        "staff", "create", "--username", WS_STAFF, "--role", "workstation",
        "--password", STAFF_PASSWORD,
    )  # fmt: skip
    sheet = tmp_path / "catalogue.xlsx"
    sheet.write_bytes(catalogue_workbook(C1).read())

    sign_in(browser, f"{base}/college/catalogues", COLLEGE_STAFF, STAFF_PASSWORD)
    text = check_page(browser, "college-catalogues")
    assert "510203" in text and "第 1 版" in text
    browser.find_element(By.ID, "file").send_keys(str(sheet))
    fill(browser, "name", "软件技术专业学分转换目录 2027")
    fill(browser, "effective_from", "2027-09-01")
    fill(browser, "total_credits", "120.0")
    submit(browser, browser.find_element(By.ID, "catalogue-preview"))
    text = check_page(browser, "college-catalogue-preview")
    assert "WEB101" in text and "MATH101" in text
    submit(browser, browser.find_element(By.ID, "catalogue-publish"))
    text = check_page(browser, "college-catalogue-published")
    assert "已发布“软件技术专业学分转换目录 2027”，第 2 版" in text
    submit(browser, browser.find_element(By.LINK_TEXT, "转换记录上报"))
    check_page(browser, "college-records")
    sign_out(browser)

    newcomer = world.bank.new_learner(name="陈晓雨")
    number = world.get(f"/learners/{newcomer}", world.workstation).json()["account_number"]
    zhang = world.get(f"/learners/{world.zhang.learner_id}", world.workstation).json()
    sign_in(browser, f"{base}/workstation/conversion", WS_STAFF, STAFF_PASSWORD)
    check_page(browser, "ws-conversion-hub")
    fill(browser, "account", number)
    fill(browser, "student_no", "2026510203009")
    browser.find_element(By.ID, "enrolled_on").send_keys("09012026")  # the date field's mm/dd/yyyy
    submit(browser, browser.find_element(By.ID, "enrol-submit"))
    text = check_page(browser, "ws-enrolled")
    assert "已为 陈晓雨 注册 软件技术（学号 2026510203009）" in text

    roster = tmp_path / "enrol.csv"
    roster.write_text(f"学习账号,学号,入学日期\n{number},2026510203010,2026-09-01\n", "utf-8")
    browser.find_element(By.ID, "sheet").send_keys(str(roster))
    submit(browser, browser.find_element(By.ID, "sheet-submit"))
    refused_with(browser, 422)  # 陈晓雨 is enrolled already: shown, not confirmable
    text = check_page(browser, "ws-enrol-preview")
    assert "陈晓雨" in text

    open_page(browser, f"{base}/workstation/conversion")
    fill(browser, "apply-account", zhang["account_number"])
    submit(browser, browser.find_element(By.ID, "preview-submit"))
    text = check_page(browser, "ws-conversion-apply")
    assert "张三：软件技术 可转换课程" in text
    assert browser.find_element(By.ID, "course-WEB101")
