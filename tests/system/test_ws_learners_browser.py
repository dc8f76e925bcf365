"""The clerk's learner pages in a real headless Chromium against a real gunicorn: the issue's
collective opening of 50 learners from a sheet with 3 bad rows (a bad check digit, a duplicate
in the file, an ID already registered), clicked end to end, then the search by national ID
through the form and the learner's page; and one account opened by the form."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook

from creditbank.domain.national_id import check_character
from tests.system.browser import check_page, open_page, submit
from tests.system.servers import Templates, bank_server, hours_body
from tests.system.test_workstation_browser import PASSWORD, STAFF, sign_in

pytestmark = pytest.mark.system

from selenium.webdriver.common.by import By  # noqa: E402

REGISTERED_ID = "500235199001014173"  # opened before the sheet comes in


def valid_id(serial: int) -> str:
    """A checksum-valid national ID, one per ``serial`` (a birth date ``serial`` days on)."""
    born = date(1985, 1, 1) + timedelta(days=serial)
    first17 = f"500235{born:%Y%m%d}123"
    return first17 + check_character(first17)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bank(request: pytest.FixtureRequest, bank_templates: Templates, tmp_path_factory):
    template = bank_templates(request.param)
    instance = tmp_path_factory.mktemp(f"ws-learners-{request.param}")
    with bank_server(request.param, instance, workers=2, threads=2, template=template) as bank:
        bank.server.cli(
            "staff", "create", "--username", STAFF, "--role", "workstation", "--password", PASSWORD
        )
        bank.new_learner(name="周老五", national_id=REGISTERED_ID)
        yield bank


def sheet_of_fifty(folder: Path) -> tuple[Path, list[list[str]]]:
    """47 good rows and, at rows 11, 26 and 41, the three bad ones."""
    rows = [[f"学员{index:02d}", valid_id(index), f"1390000{index:04d}"] for index in range(47)]
    bad_check = valid_id(90)
    bad_check = bad_check[:-1] + ("0" if bad_check[-1] != "0" else "1")
    rows.insert(9, ["钱校验", bad_check, ""])  # sheet row 11
    rows.insert(24, ["孙重复", rows[2][1], ""])  # sheet row 26, the same ID as row 4
    rows.insert(39, ["周已开", REGISTERED_ID, ""])  # sheet row 41
    workbook = Workbook()
    workbook.active.append(["姓名", "身份证号", "手机号"])
    for row in rows:
        workbook.active.append(row)
    path = folder / "集体开户.xlsx"
    workbook.save(path)
    return path, rows


def test_collective_opening_of_fifty_with_three_bad_rows_then_search_and_open_one(
    bank, browser, tmp_path: Path
):
    base = bank.base_url
    path, rows = sheet_of_fifty(tmp_path)
    assert len(rows) == 50 and len({row[1] for row in rows}) == 49
    sign_in(browser, base)

    browser.find_element(By.LINK_TEXT, "集体开户").click()
    check_page(browser, "ws-collective-upload")
    browser.find_element(By.ID, "file").send_keys(str(path))
    submit(browser, browser.find_element(By.ID, "preview-submit"))

    text = check_page(browser, "ws-collective-preview")
    assert browser.find_element(By.ID, "to-open").text == "47"
    problems = {
        row.get_attribute("data-row"): row.text
        for row in browser.find_elements(By.CSS_SELECTOR, "#collective-problems tbody tr")
    }
    assert set(problems) == {"11", "26", "41"}
    assert "身份证号校验位不符" in problems["11"]
    assert "与第 4 行的身份证号重复" in problems["26"]
    assert "该身份证号已开户" in problems["41"]
    assert REGISTERED_ID not in browser.page_source and rows[0][1] not in text

    submit(browser, browser.find_element(By.ID, "confirm-submit"))

    check_page(browser, "ws-collective-result")
    assert browser.find_element(By.ID, "opened-count").text == "47"
    opened = browser.find_elements(By.CSS_SELECTOR, "#opened-list tr.opened")
    assert len(opened) == 47
    first = opened[0].text
    assert (
        "学员00" in first
        and len(opened[0].find_element(By.CLASS_NAME, "initial-password").text) == 10
    )

    browser.find_element(By.LINK_TEXT, "学员查询").click()
    check_page(browser, "ws-learner-search-form")
    browser.find_element(By.ID, "q").send_keys(rows[0][1])
    submit(browser, browser.find_element(By.ID, "search-submit"))

    check_page(browser, "ws-learner-search")
    assert browser.current_url == f"{base}/workstation/learners/search"
    results = browser.find_elements(By.CSS_SELECTOR, "#search-results tbody tr")
    assert len(results) == 1 and "学员00" in results[0].text
    assert f"**************{rows[0][1][-4:]}" in results[0].text
    results[0].find_element(By.LINK_TEXT, "学员00").click()

    learner_id = browser.current_url.rsplit("/", 1)[1]
    page = check_page(browser, "ws-learner-page", allowed_ids=[learner_id])
    assert page.count(learner_id) == 1
    assert "学员00" in page and "139****0000" in page and "暂无学习成果" in page


def test_opening_one_account_by_the_form(bank, browser):
    base = bank.base_url
    sign_in(browser, base)
    open_page(browser, f"{base}/workstation/learners/open")
    check_page(browser, "ws-open-form")

    good = valid_id(500)
    browser.find_element(By.ID, "name").send_keys("吴开户")
    browser.find_element(By.ID, "national_id").send_keys(
        good[:-1] + ("1" if good[-1] == "0" else "0")
    )
    submit(browser, browser.find_element(By.ID, "open-submit"))

    check_page(browser, "ws-open-form-error", status=422)
    field = browser.find_element(By.ID, "national_id")
    assert field.get_attribute("aria-invalid") == "true"
    assert "校验位不符" in browser.find_element(By.ID, "national_id-error").text
    field.clear()
    field.send_keys(good)
    submit(browser, browser.find_element(By.ID, "open-submit"))

    text = check_page(browser, "ws-opened")
    assert "开户完成：吴开户" in text
    assert len(browser.find_element(By.ID, "initial-password").text) == 10


def test_the_clerks_actions_on_a_learners_page(bank, browser):
    """Reset the password, void an outcome (a reason is required), correct the name, erase the
    identity (typed confirmation): every page on the way passes the checks."""
    base = bank.base_url
    learner = bank.new_learner(name="陈晓雨", national_id=valid_id(800))
    bank.created(
        "/outcomes",
        bank.provider,
        json={**hours_body(learner, "w-1", "16"), "title": "电工基础培训"},
    )
    page_url = f"{base}/workstation/learners/{learner}"
    allowed = [learner]
    sign_in(browser, base)
    open_page(browser, page_url)
    text = check_page(browser, "ws-learner-actions", allowed_ids=allowed)
    assert "电工基础培训" in text and "已认定" in text and "理论" in text

    browser.find_element(By.ID, "reset-password").click()
    check_page(browser, "ws-password-confirm")
    submit(browser, browser.find_element(By.ID, "reset-submit"))
    check_page(browser, "ws-password-reset")
    assert len(browser.find_element(By.ID, "initial-password").text) == 10

    open_page(browser, page_url)
    browser.find_element(By.PARTIAL_LINK_TEXT, "撤销").click()
    check_page(browser, "ws-void-confirm")
    submit(browser, browser.find_element(By.ID, "void-submit"))
    check_page(browser, "ws-void-refused", status=422)
    browser.find_element(By.ID, "reason").send_keys("证书经核实为伪造")
    submit(browser, browser.find_element(By.ID, "void-submit"))
    text = check_page(browser, "ws-voided", allowed_ids=allowed)
    assert "已撤销“电工基础培训”" in text and "证书经核实为伪造" in text

    browser.find_element(By.ID, "correct-identity").click()
    check_page(browser, "ws-identity-form")
    name = browser.find_element(By.ID, "name")
    name.clear()
    name.send_keys("陈小雨")
    submit(browser, browser.find_element(By.ID, "identity-submit"))
    text = check_page(browser, "ws-identity-corrected", allowed_ids=allowed)
    assert "身份信息已更正" in text and "陈小雨" in text

    browser.find_element(By.ID, "erase-identity").click()
    check_page(browser, "ws-erase-confirm")
    browser.find_element(By.ID, "confirm").send_keys("确认删除")
    submit(browser, browser.find_element(By.ID, "erase-submit"))
    text = check_page(browser, "ws-erased", allowed_ids=allowed)
    assert "（身份信息已删除）" in text and "陈小雨" not in text
