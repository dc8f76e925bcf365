"""The workstation's dashboard, audits, providers & staff and event log in a real headless
Chromium against a real gunicorn (SQLite and PostgreSQL): an audit run to its report, clicked
end to end (started on the audits page, followed as the progress page refreshes itself, the
report says passed, the signed checkpoint downloads); the dashboard with its chart image loaded
and its figures right; a new provider's secret rotated through the pages."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import TIMEOUT
from tests.system.browser import (
    check_page,
    open_page,
    submit,
)
from tests.system.servers import Bank, bank_server, hours_body, skip_without_postgres

pytestmark = pytest.mark.system

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

STAFF, PASSWORD = "zhou.min", "browser-admin-pw"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bank(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """gunicorn that audits in the background (no scope is small enough to audit inline, so
    the progress page has something to show), a clerk, two posts today (one to review) and a
    signed checkpoint."""
    if request.param == "postgresql":
        skip_without_postgres()
    instance = tmp_path_factory.mktemp(f"ws-admin-{request.param}")
    settings = {"AUDIT_INLINE_MAX_ENTRIES": "1"}  # the bank holds two entries
    with bank_server(request.param, instance, workers=2, threads=2, settings=settings) as bank:
        bank.server.cli(
            "staff", "create", "--username", STAFF, "--role", "workstation", "--password", PASSWORD
        )
        learner = bank.new_learner(name="周晓梅")
        bank.created("/outcomes", bank.provider, json=hours_body(learner, "w-1", "16"))
        informal = {
            "learner_id": learner,
            "external_ref": "w-2",
            "kind": "informal",
            "description": "乡村旅游讲解志愿服务",
            "achieved_on": "2026-01-20",
        }
        bank.created("/outcomes", bank.provider, json=informal)
        bank.created("/checkpoints", bank.workstation)
        yield bank


def sign_in(driver: Any, bank: Bank) -> None:
    open_page(driver, f"{bank.base_url}/workstation/")
    driver.find_element(By.ID, "username").send_keys(STAFF)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    submit(driver, driver.find_element(By.ID, "login-submit"))
    assert driver.current_url == f"{bank.base_url}/workstation/"


def test_an_audit_run_to_its_report(bank, browser, tmp_path: Path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    latest = bank.call("GET", "/checkpoints/latest", bank.workstation).json()
    sign_in(browser, bank)

    browser.find_element(By.LINK_TEXT, "审计").click()
    check_page(browser, "ws-audits")
    submit(browser, browser.find_element(By.ID, "start-audit-submit"))

    assert browser.current_url.endswith("/status")
    if browser.find_elements(By.ID, "stop-refresh"):  # still running: it refreshes itself
        check_page(browser, "ws-audit-progress")
        # WCAG 2.2.1: the refreshing can be turned off (and on again, while it still runs).
        submit(browser, browser.find_element(By.ID, "stop-refresh"))
        check_page(browser, "ws-audit-progress-still")
        for resume in browser.find_elements(By.ID, "resume-refresh"):
            submit(browser, resume)
    # The page refreshes itself every two seconds (the Refresh header, no script) until it is done.
    WebDriverWait(browser, TIMEOUT).until(
        lambda d: [e.text for e in d.find_elements(By.ID, "audit-status")] == ["通过"]
    )
    text = check_page(browser, "ws-audit-result")
    assert "审计结果" in text and "核验通过" in text
    assert not browser.find_elements(By.ID, "stop-refresh")

    browser.find_element(By.ID, "checkpoint-download").click()
    file = downloads / f"checkpoint-{latest['id']}.json"
    deadline = time.monotonic() + TIMEOUT
    while not file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert json.loads(file.read_text(encoding="utf-8")) == latest

    audit_id = browser.current_url.rsplit("/", 2)[-2]
    submit(browser, browser.find_element(By.ID, "audit-report"))
    report = check_page(browser, "ws-audit-report", allowed_ids=[audit_id, latest["id"]])
    assert "账本审计报告" in report and "通过" in report

    audits = open_page(browser, f"{bank.base_url}/workstation/audits")
    assert "全行" in audits and STAFF in audits


def test_the_dashboard_with_its_chart_and_figures(bank, browser):
    sign_in(browser, bank)

    text = check_page(browser, "ws-dashboard")

    assert browser.find_element(By.ID, "posts-today").text == "2"
    assert browser.find_element(By.ID, "pending-count").text == "1"
    assert "周晓梅" in text and "乡村旅游讲解志愿服务" in text and "系统测试培训中心" in text
    reviews = browser.find_element(By.ID, "reviews").text
    assert "乡村旅游讲解志愿服务" in reviews and "0 天" in reviews
    for measure in ("outcomes", "credits"):
        chart = browser.find_element(By.ID, f"chart-{measure}")
        WebDriverWait(browser, TIMEOUT).until(
            lambda d, image=chart: d.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth", image
            )
        )
        assert browser.execute_script("return arguments[0].naturalWidth", chart) > 0
        assert "每月" in chart.get_attribute("alt")
    browser.find_element(By.CSS_SELECTOR, "#monthly summary").click()
    table = browser.find_element(By.ID, "monthly-table").text
    assert "理论" in table and "1.0" in table  # 16 hours of theory: one credit
    root = browser.find_element(By.ID, "checkpoint-root").text
    assert root == bank.call("GET", "/checkpoints/latest", bank.workstation).json()["root"]


def test_a_new_providers_secret_rotated_through_the_pages(bank, browser):
    sign_in(browser, bank)
    browser.find_element(By.LINK_TEXT, "机构与账号").click()
    check_page(browser, "ws-providers", allowed_ids=client_ids(browser))

    browser.find_element(By.ID, "code").send_keys("YYLY")
    browser.find_element(By.ID, "name").send_keys("云阳县旅游培训学校")
    submit(browser, browser.find_element(By.ID, "create-provider"))
    client_id = browser.find_element(By.ID, "client-id").text
    first = browser.find_element(By.ID, "client-secret").text
    check_page(browser, "ws-client-secret", allowed_ids=[client_id])
    bank.token(client_id, first)  # it works

    browser.find_element(By.LINK_TEXT, "← 返回培训机构列表").click()
    row = browser.find_element(By.ID, "provider-YYLY")
    row.find_element(By.CSS_SELECTOR, "a.rotate").click()
    check_page(browser, "ws-client-rotate-confirm")
    submit(browser, browser.find_element(By.ID, "confirm-submit"))

    check_page(browser, "ws-client-rotated", allowed_ids=[client_id])
    second = browser.find_element(By.ID, "client-secret").text
    assert browser.find_element(By.ID, "client-id").text == client_id and second != first
    assert "/rotate" in browser.current_url and second not in browser.current_url
    bank.token(client_id, second)
    body = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": first}
    assert bank.call("POST", "/auth/token", {}, json=body).status_code == 401

    browser.find_element(By.LINK_TEXT, "操作日志").click()
    events = check_page(browser, "ws-events")
    assert "更换接入密钥" in events and "新建培训机构" in events and STAFF in events
    assert second not in browser.page_source

    browser.find_element(By.LINK_TEXT, "机构与账号").click()
    browser.find_element(By.LINK_TEXT, "工作人员账号").click()
    assert STAFF in check_page(browser, "ws-staff")


def client_ids(driver: Any) -> list[str]:
    """The API clients' ids, shown on purpose (a provider signs in with one)."""
    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, "code.client-id")]
