"""The workstation pages in a real headless Chromium (Debian's, driven by Selenium through
Debian's chromedriver) against a real gunicorn on the loopback: sign in through the form, each
page renders with no console error (a CSP violation, a missing stylesheet or a failed request
would be one) and shows the bank's data, the audit report opens (a page of its own), sign out."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import TIMEOUT
from tests.system.servers import Bank, bank_server, hours_body, skip_without_postgres

pytestmark = pytest.mark.system

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
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


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("Debian's chromium and chromium-driver are not installed (apt-get install)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(chromium: Any, bank) -> Iterator[Any]:
    """A browser with no cookies and an empty console for each test. Every cookie of every
    site goes (Chrome DevTools' Network.clearBrowserCookies): WebDriver's delete_all_cookies
    clears only the current page's, and the SQLite and PostgreSQL banks both live on
    127.0.0.1, where a cookie ignores the port.

    The last test's page is left for about:blank first: the requests a page makes after its
    load event (the favicon) answer with a refreshed session cookie, and one landing after
    the clearing would sign the next test in (the system tier saw it once in twenty runs)."""
    _forget_the_last_page(chromium)
    chromium.get_log("browser")
    yield chromium
    _forget_the_last_page(chromium)


def _forget_the_last_page(driver: Any) -> None:
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})


def console_errors(driver: Any) -> list[dict[str, Any]]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def open_page(driver: Any, url: str) -> str:
    """Load ``url`` and return its text, having checked that the console stayed clean."""
    driver.get(url)
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    assert console_errors(driver) == []
    return driver.find_element(By.TAG_NAME, "body").text


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
    overview = browser.find_element(By.TAG_NAME, "body").text
    assert seeded["learner"] in overview and "陈晓雨" in overview
    assert seeded["masked"] in overview and NATIONAL_ID not in browser.page_source
    assert "电工基础培训" in overview and "社区志愿服务讲解员" in overview
    reviews = browser.find_element(By.ID, "reviews").text
    assert "社区志愿服务讲解员" in reviews and "电工基础培训" not in reviews
    assert "最近一次审计" in overview
    styled = browser.execute_script(
        "return getComputedStyle(document.querySelector('header.bar')).display"
    )
    assert styled == "flex", "the stylesheet served by the app was applied"
    browser.save_screenshot(str(tmp_path / "overview.png"))

    assert seeded["learner"] in open_page(browser, f"{base}/workstation/learners")
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
