"""The workstation pages in a real headless Chromium (Debian's, driven by Selenium through
Debian's chromedriver) against a real gunicorn on the loopback: sign in through the form, each
page renders with no console error (a CSP violation, a missing stylesheet or a failed request
would be one) and shows the bank's data, the audit report opens (a page of its own), sign out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import TIMEOUT
from tests.system.browser import console_errors, open_page
from tests.system.servers import Bank, bank_server, hours_body, skip_without_postgres

pytestmark = pytest.mark.system

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

STAFF, PASSWORD = "li.ming", "browser-test-pw"
NATIONAL_ID = "500235199001014173"  # checksum-valid, never to be shown whole


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bank(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """gunicorn with a staff account (from the CLI) and some of everything to show."""
    if request.param == "postgresql":
        skip_without_postgres()
    instance = tmp_path_factory.mktemp(f"browser-{request.param}")
    with bank_server(request.param, instance, workers=2, threads=2) as bank:
        bank.server.cli(
            "staff", "create", "--username", STAFF, "--role", "workstation", "--password", PASSWORD
        )
        yield bank, seed(bank)


def seed(bank: Bank) -> dict[str, Any]:
    learner = bank.new_learner(name="陈晓雨", national_id=NATIONAL_ID)
    masked = bank.call("GET", f"/learners/{learner}", bank.workstation).json()
    bank.created(
        "/outcomes",
        bank.provider,
        json={**hours_body(learner, "b-1", "16"), "title": "电工基础培训"},
    )
    informal = {
        "learner_id": learner,
        "external_ref": "b-2",
        "kind": "informal",
        "description": "社区志愿服务讲解员",
        "achieved_on": "2026-01-20",
    }
    bank.created("/outcomes", bank.provider, json=informal)
    return {"learner": learner, "masked": masked["national_id_masked"], "audit": audit(bank)}


def audit(bank: Bank) -> str:
    """An audit run through the API, as the workstation starts one."""
    response = bank.call("POST", "/audits", bank.workstation, json={})
    assert response.status_code in (201, 202), response.text
    return response.json()["id"]


def sign_in(driver: Any, base_url: str, password: str = PASSWORD) -> None:
    open_page(driver, f"{base_url}/workstation/")
    assert driver.current_url == f"{base_url}/workstation/login?next=/workstation/"
    driver.find_element(By.ID, "username").send_keys(STAFF)
    driver.find_element(By.ID, "password").send_keys(password)
    # The sign-in form is itself a complete page with a <main>: mark its window, and wait for
    # a document without the mark, or the checks could pass on the old page before the answer
    # arrived. (Waiting for the form to go stale is not enough: Chrome at times answers a
    # replaced node with "does not belong to the document" instead of a stale reference.)
    driver.execute_script("window.creditbankSignInPending = true")
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: (
            d.execute_script("return window.creditbankSignInPending !== true")
            and d.execute_script("return document.readyState") == "complete"
            and d.find_elements(By.TAG_NAME, "main")
        )
    )


def test_sign_in_through_the_form_and_see_every_page(bank, browser, tmp_path: Path):
    bank, seeded = bank
    base = bank.base_url

    sign_in(browser, base)

    assert browser.current_url == f"{base}/workstation/"
    assert console_errors(browser) == []
    assert browser.find_element(By.ID, "staff-user").text == STAFF
    assert browser.find_element(By.ID, "staff-role").text == "工作站"
    dashboard = browser.find_element(By.TAG_NAME, "body").text
    assert "陈晓雨" in dashboard and seeded["learner"] not in dashboard  # by name, not by id
    assert NATIONAL_ID not in browser.page_source
    assert "电工基础培训" in dashboard and "社区志愿服务讲解员" in dashboard
    reviews = browser.find_element(By.ID, "reviews").text
    assert "社区志愿服务讲解员" in reviews and "电工基础培训" not in reviews
    assert "最近一次审计" in dashboard
    styled = browser.execute_script(
        "return getComputedStyle(document.querySelector('header.bar')).display"
    )
    assert styled == "flex", "the stylesheet served by the app was applied"
    browser.save_screenshot(str(tmp_path / "overview.png"))

    learners = open_page(browser, f"{base}/workstation/learners")
    assert "陈晓雨" in learners and seeded["masked"] in learners
    assert "电工基础培训" in open_page(browser, f"{base}/workstation/outcomes")
    assert "社区志愿服务讲解员" in open_page(browser, f"{base}/workstation/reviews")


def test_the_latest_audit_links_to_its_report(bank, browser):
    """The report is a page of the workstation's own: the API takes bearer tokens only."""
    bank, seeded = bank
    sign_in(browser, bank.base_url)

    browser.find_element(By.ID, "audit-report").click()
    WebDriverWait(browser, TIMEOUT).until(lambda d: "/workstation/audits/" in d.current_url)

    assert browser.current_url == f"{bank.base_url}/workstation/audits/{seeded['audit']}"
    assert seeded["audit"] in browser.page_source
    assert "unauthorized" not in browser.page_source
    assert console_errors(browser) == []


def test_a_wrong_password_keeps_the_form_and_says_why(bank, browser):
    bank, _ = bank

    sign_in(browser, bank.base_url, password="not-the-password")

    assert browser.current_url.startswith(f"{bank.base_url}/workstation/login")
    assert "用户名或密码不正确" in browser.find_element(By.CSS_SELECTOR, ".error").text
    assert console_errors(browser) == []


def test_signing_out_returns_to_the_form_and_closes_the_pages(bank, browser):
    bank, _ = bank
    sign_in(browser, bank.base_url)

    browser.find_element(By.CSS_SELECTOR, "form.who button").click()
    WebDriverWait(browser, TIMEOUT).until(expected_conditions.url_contains("/workstation/login"))

    assert browser.find_elements(By.ID, "login-submit")
    open_page(browser, f"{bank.base_url}/workstation/reviews")
    assert browser.current_url == f"{bank.base_url}/workstation/login?next=/workstation/reviews"
