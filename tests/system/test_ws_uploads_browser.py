"""The console's 代传成果, 上传记录 and 规则 pages clicked through in a real headless Chromium
against a real gunicorn (2 workers: the progress page may be served by a worker that is not
the one importing), on SQLite and PostgreSQL: an upload with preview end to end, a 10,000-row
upload whose progress page refreshes itself to the end, and the rulesets read, compared and
published."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import TIMEOUT
from tests.system.browser import check_page, open_page, submit
from tests.system.servers import bank_server, skip_without_postgres

pytestmark = pytest.mark.system

from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402

STAFF, PASSWORD = "zhao.lei", "browser-test-pw"
PROVIDER = "系统测试培训中心（SYS）"
HEADER = ["学员编号", "外部编号", "成果类型", "获得日期", "类别", "学时"]
BIG_ROWS, BIG_LEARNERS = 10_000, 200


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bank(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    if request.param == "postgresql":
        skip_without_postgres()
    instance = tmp_path_factory.mktemp(f"ws-uploads-{request.param}")
    with bank_server(request.param, instance, workers=2, threads=2) as bank:
        bank.server.cli(
            "staff", "create", "--username", STAFF, "--role", "workstation", "--password", PASSWORD
        )
        yield bank


def sign_in(driver: Any, base: str) -> None:
    open_page(driver, f"{base}/workstation/login")
    driver.find_element(By.ID, "username").send_keys(STAFF)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    submit(driver, driver.find_element(By.ID, "login-submit"))


def write_sheet(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as sheet:
        writer = csv.writer(sheet)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def preview(driver: Any, base: str, sheet: Path) -> str:
    open_page(driver, f"{base}/workstation/")
    driver.find_element(By.LINK_TEXT, "代传成果").click()
    check_page(driver, "ws-upload-new")
    Select(driver.find_element(By.ID, "provider_id")).select_by_visible_text(PROVIDER)
    driver.find_element(By.ID, "file").send_keys(str(sheet))
    submit(driver, driver.find_element(By.ID, "upload-preview-submit"))
    return check_page(driver, "ws-upload-preview")


def upload_status(driver: Any) -> tuple[str | None, int, int]:
    """The progress page's status and bar, read as the page stands (it reloads itself)."""
    try:
        found = driver.execute_script(
            "const s = document.getElementById('upload-status');"
            "const p = document.getElementById('upload-progress');"
            "return [s ? s.dataset.status : null, p ? +p.value : -1, p ? +p.max : -1];"
        )
    except WebDriverException:  # caught between two loads
        return None, -1, -1
    return found[0], found[1], found[2]


def follow_progress(driver: Any, seconds: float) -> list[tuple[int, int]]:
    """Watch the self-refreshing page until the upload ends; the (done, total) bars seen."""
    seen: list[tuple[int, int]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, done, total = upload_status(driver)
        if status == "running" and (done, total) not in seen:
            seen.append((done, total))
        if status in ("done", "failed"):
            return seen
        time.sleep(0.2)
    raise AssertionError(f"the upload did not end within {seconds} s; bars seen: {seen}")


def check_refreshing_page(driver: Any, name: str) -> str:
    """check_page on a page that reloads itself every 2 s: taken right after a load, once more
    should the reload land in the middle of the checks."""
    for attempt in range(3):
        driver.refresh()
        try:
            return check_page(driver, name)
        except WebDriverException:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def test_an_upload_with_preview(bank, browser, tmp_path: Path):
    base = bank.base_url
    first, second = bank.new_learner(name="孙悦"), bank.new_learner(name="钱坤")
    sheet = write_sheet(
        tmp_path / "春季培训.csv",
        [
            [first, "e2e-1", "培训学时", "2026-01-05", "theory", "16"],
            [second, "e2e-2", "培训学时", "2026-01-06", "theory", "32"],
            [first, "e2e-3", "培训学时", "2026-01-07", "theory", "8"],
            ["L" + "0" * 26, "e2e-4", "培训学时", "2026-01-08", "theory", "16"],
            [second, "e2e-5", "培训学时", "2026-01-09", "theory", "十六"],
        ],
    )
    sign_in(browser, base)

    text = preview(browser, base, sheet)

    assert browser.find_element(By.ID, "rows-good").text == "3"
    assert browser.find_element(By.ID, "rows-bad").text == "2"
    errors = browser.find_element(By.ID, "upload-errors").text
    assert "5 学员编号 没有此学员编号的学员。" in errors and "6 学时 应为数字" in errors
    assert "孙悦" in text and "钱坤" in text

    submit(browser, browser.find_element(By.ID, "upload-confirm-submit"))
    assert "/workstation/uploads/" in browser.current_url
    follow_progress(browser, TIMEOUT)
    check_refreshing_page(browser, "ws-upload-result")
    assert browser.find_element(By.ID, "upload-posted").text == "3"
    assert browser.find_element(By.ID, "upload-rejected").text == "2"

    browser.find_element(By.LINK_TEXT, "上传记录").click()
    history = check_page(browser, "ws-upload-history")
    line = next(
        row.text
        for row in browser.find_elements(By.CSS_SELECTOR, "#uploads tbody tr")
        if "春季培训.csv" in row.text
    )
    assert STAFF in line and "系统测试培训中心" in line and "5 3 2 已完成" in line
    assert "春季培训.csv" in history
    posted = bank.call("GET", f"/outcomes?provider_id={bank.provider_id}", bank.workstation)
    assert {o["external_ref"] for o in posted.json()["items"]} >= {"e2e-1", "e2e-2", "e2e-3"}


# On one backend, PostgreSQL as in production (the module's bank of that backend).
@pytest.mark.parametrize("bank", ["postgresql"], indirect=True)
def test_ten_thousand_rows_through_the_browser(bank, browser, tmp_path: Path):
    base = bank.base_url
    learners = bank.open_learners(BIG_LEARNERS)
    rows = [
        [learners[n % BIG_LEARNERS], f"big-{n:05d}", "培训学时", "2026-01-05", "theory", "2"]
        for n in range(BIG_ROWS)
    ]
    sheet = write_sheet(tmp_path / "一万行.csv", rows)
    sign_in(browser, base)
    preview(browser, base, sheet)
    assert browser.find_element(By.ID, "rows-good").text == str(BIG_ROWS)

    started = time.monotonic()
    submit(browser, browser.find_element(By.ID, "upload-confirm-submit"))
    if upload_status(browser)[0] == "running":
        check_refreshing_page(browser, "ws-upload-progress")
    seen = follow_progress(browser, 600)
    took = time.monotonic() - started
    print(f"\n10,000 rows through the browser: {took:.1f} s; progress bars seen: {seen}")

    check_refreshing_page(browser, "ws-upload-done")
    assert browser.find_element(By.ID, "upload-status").get_attribute("data-status") == "done"
    assert browser.find_element(By.ID, "upload-posted").text == str(BIG_ROWS)
    # Every bar seen counted toward the 10,000 rows, never past them, and never went back.
    assert all(total == BIG_ROWS and 0 <= done <= BIG_ROWS for done, total in seen), seen
    assert [done for done, _ in seen] == sorted(done for done, _ in seen), seen


def test_rulesets_read_compare_and_publish(bank, browser, tmp_path: Path):
    base = bank.base_url
    bank.publish_ruleset(
        {
            "name": "系统测试规则（修订）",
            "effective_from": "2021-01-01T00:00:00+08:00",
            "hours_per_credit": {"theory": "20"},
        }
    )
    sign_in(browser, base)
    open_page(browser, f"{base}/workstation/")
    browser.find_element(By.LINK_TEXT, "规则").click()
    listing = check_page(browser, "ws-rulesets")
    assert "现行" in listing and "已被取代" in listing

    browser.find_element(By.PARTIAL_LINK_TEXT, "第 1 版").click()
    tables = check_page(browser, "ws-ruleset")
    assert "理论" in tables and "每学分学时" in tables

    browser.back()
    submit(browser, browser.find_element(By.ID, "compare-submit"))
    compared = check_page(browser, "ws-ruleset-compare")
    assert "hours_per_credit.theory 修改 16.0 20.0" in compared

    document = {
        "name": "浏览器发布的规则",
        "effective_from": "2022-01-01T00:00:00+08:00",
        "hours_per_credit": {"theory": "12"},
    }
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    open_page(browser, f"{base}/workstation/rulesets/publish")
    browser.find_element(By.ID, "file").send_keys(str(path))
    submit(browser, browser.find_element(By.ID, "ruleset-preview-submit"))
    previewed = check_page(browser, "ws-ruleset-publish-preview")
    assert "hours_per_credit.theory 修改 20.0 12.0" in previewed

    submit(browser, browser.find_element(By.ID, "ruleset-confirm-submit"))
    published = check_page(browser, "ws-ruleset-published")
    assert "已发布第" in published and document["name"] in published
    assert STAFF in published
