"""A printed transcript checked as a stranger would, in a real Chromium against a real gunicorn:
the PDF's QR code (rendered with poppler's pdftoppm, decoded with zxing-cpp) holds a verify URL
that opens a page saying the transcript is valid; the workstation revokes it through its
console page (a confirmation with a reason) and the same URL then says revoked. The learner's
downloads page shows the latest transcript's QR code."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import TIMEOUT
from tests.system.browser import check_page, open_page, submit
from tests.system.servers import Bank, bank_server, hours_body, skip_without_postgres

pytestmark = pytest.mark.system

import requests  # noqa: E402
import zxingcpp  # noqa: E402
from PIL import Image  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

STAFF, PASSWORD = "li.ming", "browser-test-pw"
NATIONAL_ID = "500235199001014173"
LEARNER_PASSWORD, LEARNER_NEW_PASSWORD = "first-password-1", "my-own-password-2"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bank(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    if request.param == "postgresql":
        skip_without_postgres()
    instance = tmp_path_factory.mktemp(f"documents-{request.param}")
    with bank_server(request.param, instance, workers=2, threads=2) as bank:
        bank.server.cli(
            "staff", "create", "--username", STAFF, "--role", "workstation", "--password", PASSWORD
        )
        learner = bank.new_learner(
            name="陈晓雨", national_id=NATIONAL_ID, password=LEARNER_PASSWORD
        )
        bank.created("/outcomes", bank.provider, json=hours_body(learner, "d-1", "16"))
        yield bank, learner


def transcript_pdf(bank: Bank, learner: str) -> bytes:
    headers = {**bank.workstation, "Accept": "application/pdf"}
    response = bank.call("GET", f"/learners/{learner}/transcript", headers)
    assert response.status_code == 200, response.text[:300]
    return response.content


def qr_url(pdf: bytes, folder: Path) -> str:
    """The text of the QR code on the PDF's first page, as a phone's camera would read it."""
    (folder / "transcript.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", "transcript.pdf", "page"],
        cwd=folder,
        check=True,
        timeout=60,
    )
    (page,) = folder.glob("page*.png")
    codes = zxingcpp.read_barcodes(Image.open(page))
    assert len(codes) == 1, [code.text for code in codes]
    return codes[0].text


def sign_in_staff(driver: Any, base: str) -> None:
    open_page(driver, f"{base}/workstation/login")
    driver.find_element(By.ID, "username").send_keys(STAFF)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    submit(driver, driver.find_element(By.ID, "login-submit"))


def status(driver: Any) -> str:
    return driver.find_element(By.ID, "verify-status").get_attribute("data-status")


def test_the_qr_code_opens_a_page_that_says_valid_then_revoked(bank, browser, tmp_path):
    bank, learner = bank
    url = qr_url(transcript_pdf(bank, learner), tmp_path)
    assert url.startswith(f"{bank.base_url}/verify/YY-T-")
    number = url.rsplit("/", 1)[1]

    open_page(browser, url)
    text = check_page(browser, "verify-valid")
    assert status(browser) == "valid"
    assert "陈*雨" in text and "陈晓雨" not in browser.page_source
    assert NATIONAL_ID not in browser.page_source and NATIONAL_ID[-4:] in text

    sign_in_staff(browser, bank.base_url)
    open_page(browser, f"{bank.base_url}/workstation/learners/{learner}/documents")
    assert number in check_page(browser, "ws-documents")
    browser.find_element(By.ID, f"revoke-{number}").click()
    WebDriverWait(browser, TIMEOUT).until(lambda d: d.find_elements(By.ID, "confirm-revoke"))
    check_page(browser, "ws-document-revoke")
    browser.find_element(By.ID, "reason").send_keys("成绩单信息有误")
    submit(browser, browser.find_element(By.ID, "confirm-revoke"))
    assert f"已撤销文件 {number}" in check_page(browser, "ws-documents-revoked")

    open_page(browser, url)
    check_page(browser, "verify-revoked")
    assert status(browser) == "revoked"
    public = requests.get(f"{bank.base_url}/api/v1/documents/{number}", timeout=TIMEOUT)
    assert public.json()["status"] == "revoked"


def test_the_learner_downloads_page_shows_the_latest_transcripts_qr_code(bank, browser):
    bank, learner = bank
    base = bank.base_url
    open_page(browser, f"{base}/learner/login")
    browser.find_element(By.ID, "username").send_keys(NATIONAL_ID)
    browser.find_element(By.ID, "password").send_keys(LEARNER_PASSWORD)
    submit(browser, browser.find_element(By.ID, "login-submit"))
    if browser.find_elements(
        By.ID, "password-submit"
    ):  # the first sign-in: a password of one's own
        browser.find_element(By.ID, "old_password").send_keys(LEARNER_PASSWORD)
        browser.find_element(By.ID, "new_password").send_keys(LEARNER_NEW_PASSWORD)
        browser.find_element(By.ID, "confirm_password").send_keys(LEARNER_NEW_PASSWORD)
        submit(browser, browser.find_element(By.ID, "password-submit"))

    pdf = transcript_pdf(bank, learner)  # a transcript issued for the learner
    assert pdf.startswith(b"%PDF")
    open_page(browser, f"{base}/learner/documents")
    text = check_page(browser, "learner-documents")
    number = browser.find_element(By.ID, "latest-number").text
    assert number.startswith("YY-T-") and f"{base}/verify/{number}" in text
    assert browser.find_elements(By.CSS_SELECTOR, ".qr-figure svg")
