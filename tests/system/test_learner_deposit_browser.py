"""A learner's deposit and the clerk's review, clicked end to end in a real headless Chromium
against a real gunicorn (sqlite and postgresql): the learner, whose account the workstation
opened over the API with a password, signs in and must first choose a password of its own;
deposits a certificate with a real PDF through the file input and sees it waiting for review;
the clerk (a staff account from the CLI) signs in, opens the review, sees the evidence link,
approves an edited amount; the learner's balance page then shows the new total."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from tests.api.deposit_files import pdf_bytes
from tests.system.browser import check_page, open_page, submit
from tests.system.servers import bank_server, skip_without_postgres

pytestmark = pytest.mark.system

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402

CLERK, CLERK_PASSWORD = "zhao.lei", "clerk-browser-pw"
INITIAL, CHOSEN = "initial-pw-123", "my-own-password-9"
RULESET = {
    "name": "证书规则（浏览器测试）",
    "effective_from": "2021-01-01T00:00:00+08:00",
    "hours_per_credit": {"theory": "16"},
    "certificates": {"1X-WEB": {"junior": "2.0", "intermediate": "4.0", "senior": "6.0"}},
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bank(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    if request.param == "postgresql":
        skip_without_postgres()
    instance = tmp_path_factory.mktemp(f"deposit-{request.param}")
    with bank_server(request.param, instance, workers=2, threads=2) as bank:
        bank.server.cli(
            "staff", "create", "--username", CLERK, "--role", "workstation",
            "--password", CLERK_PASSWORD,
        )  # fmt: skip
        bank.publish_ruleset(RULESET)
        yield bank


def fill(driver: Any, field: str, value: str) -> None:
    element = driver.find_element(By.ID, field)
    element.clear()
    element.send_keys(value)


def learner_signs_in(driver: Any, base: str, account_number: str, password: str) -> None:
    open_page(driver, f"{base}/learner/")
    assert driver.current_url == f"{base}/learner/login?next=/learner/"
    check_page(driver, "learner-login")
    fill(driver, "username", account_number)
    fill(driver, "password", password)
    submit(driver, driver.find_element(By.ID, "login-submit"))


def clerk_signs_in(driver: Any, base: str) -> None:
    open_page(driver, f"{base}/workstation/reviews")
    fill(driver, "username", CLERK)
    fill(driver, "password", CLERK_PASSWORD)
    submit(driver, driver.find_element(By.ID, "login-submit"))
    assert driver.current_url == f"{base}/workstation/reviews"


def type_date(driver: Any, field: str, year: str, month: str, day: str) -> None:
    """Into a date input as a person types it, in the order the browser's locale shows."""
    us = driver.execute_script("return navigator.language") == "en-US"
    keys = f"{month}{day}{year}" if us else f"{year}{month}{day}"
    driver.find_element(By.ID, field).send_keys(keys)
    value = driver.find_element(By.ID, field).get_attribute("value")
    assert value == f"{year}-{month}-{day}", value


def sign_out(driver: Any) -> None:
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form.who button"))


def test_a_deposit_with_evidence_approved_by_the_clerk_changes_the_balance(
    bank, browser, tmp_path: Path
):
    base = bank.base_url
    learner = bank.created(
        "/learners", bank.workstation, json={"name": "陈晓雨", "password": INITIAL}
    )
    pdf = tmp_path / "证书扫描.pdf"
    pdf.write_bytes(pdf_bytes("Web front-end certificate, senior"))

    # the learner: first sign-in, a password of its own
    learner_signs_in(browser, base, learner["account_number"], INITIAL)
    assert browser.current_url == f"{base}/learner/password"
    check_page(browser, "learner-password")
    fill(browser, "old_password", INITIAL)
    fill(browser, "new_password", CHOSEN)
    fill(browser, "confirm_password", CHOSEN)
    submit(browser, browser.find_element(By.ID, "password-submit"))
    check_page(browser, "learner-home-empty")
    assert browser.find_element(By.ID, "balance-total").text == "0.0"

    # ... deposits a certificate with a real PDF through the file input
    browser.find_element(By.LINK_TEXT, "存入成果").click()
    check_page(browser, "learner-deposit")
    Select(browser.find_element(By.ID, "kind")).select_by_value("certificate")
    fill(browser, "title", "Web 前端开发职业技能等级证书")
    fill(browser, "issuer", "工业和信息化部教育与考试中心")
    type_date(browser, "achieved_on", "2026", "03", "01")
    fill(browser, "certificate_code", "1X-WEB")
    Select(browser.find_element(By.ID, "level")).select_by_visible_text("高级")
    fill(browser, "certificate_no", "WEB-2026-0042")
    browser.find_element(By.ID, "evidence").send_keys(str(pdf))
    submit(browser, browser.find_element(By.ID, "deposit-submit"))

    errors = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".field-error")]
    assert errors == []
    assert browser.current_url == f"{base}/learner/"
    home = check_page(browser, "learner-home")
    assert "已存入「Web 前端开发职业技能等级证书」，等待工作站审核。" in home
    assert "本人申报" in home and "待审核（自 " in home
    assert browser.find_element(By.CSS_SELECTOR, "a.evidence").text == "证书扫描.pdf"
    sign_out(browser)

    # the clerk: the queue, the review with its evidence, an edited amount approved
    clerk_signs_in(browser, base)
    queue = check_page(browser, "ws-reviews")
    assert "陈晓雨" in queue and "本人申报" in queue
    browser.find_element(By.CSS_SELECTOR, "#reviews a[href*='/workstation/reviews/o_']").click()
    review = check_page(browser, "ws-review")
    assert "证书扫描.pdf" in review
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
    link = browser.find_element(By.CSS_SELECTOR, "a.evidence").get_attribute("href")
    assert link == f"{base}/workstation/evidence/{learner['learner_id']}/{digest}"
    assert browser.find_element(By.ID, "suggested-credits").text == "6.0"
    assert browser.find_element(By.ID, "credits").get_attribute("value") == "6.0"
    fill(browser, "credits", "9.0")  # beyond the rule: refused beside the field
    submit(browser, browser.find_element(By.ID, "approve"))
    check_page(browser, "ws-review-out-of-bounds", status=422)
    assert "须在 0.0 到 6.0 之间" in browser.find_element(By.ID, "credits-error").text
    fill(browser, "credits", "5.5")
    fill(browser, "note", "核验原件，扣除 0.5")
    submit(browser, browser.find_element(By.ID, "approve"))
    assert browser.current_url == f"{base}/workstation/reviews"
    assert "已批准：授予 5.5 学分。" in check_page(browser, "ws-reviews-after")
    sign_out(browser)

    # the learner sees the new total
    learner_signs_in(browser, base, learner["account_number"], CHOSEN)
    after = check_page(browser, "learner-balance")
    assert browser.find_element(By.ID, "balance-total").text == "5.5"
    assert browser.find_element(By.ID, "table-total").text == "5.5"
    cell = browser.find_element(By.CSS_SELECTOR, "td[data-category='certificate']")
    assert cell.text == "5.5"
    assert "人工认定" in after
    chart = browser.find_element(By.CSS_SELECTOR, "figure.chart img")
    assert browser.execute_script("return arguments[0].naturalWidth > 0", chart)
