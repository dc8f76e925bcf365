"""The browser tests' one harness: Debian's headless Chromium driven by Selenium through Debian's
chromedriver, and the checks every page of the console must pass.

``check_page`` is what each flow calls on each page it lands on: the console stayed clean (a
CSP violation, a missing stylesheet or a failed request is an error there), axe-core (vendored
from npm in ``tests/system/vendor``) finds no serious or critical violation, no bare id
(``L01J…``, ``o_01J…``) shows where a name should be, and a screenshot goes to the artifact folder
(``CREDITBANK_ARTIFACTS``, default ``.artifacts/`` in the checkout), named after the page.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import TIMEOUT

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CREDITBANK_ARTIFACTS", ROOT / ".artifacts"))
SCREENSHOTS = ARTIFACTS / "screenshots"
# An id of ours as it would leak onto a page: a prefix and a ULID (a learner's is ``L01J…``,
# everything else's ``o_01J…``).
BARE_ID = re.compile(r"\b(?:[a-z]{1,5}_|L)[0-9A-HJKMNP-TV-Z]{26}\b")
BLOCKING_IMPACTS = {"serious", "critical"}


def start_chromium(profile: Path) -> Any:
    """A headless Chromium with its console log kept; the caller quits it."""
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
        "--lang=zh-CN",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(profile / "downloads")}
    )
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(TIMEOUT)
    return driver


def fresh(driver: Any) -> Iterator[Any]:
    """The browser with no cookies and an empty console, before and after a test. Every cookie
    of every site goes (Chrome DevTools' Network.clearBrowserCookies): WebDriver's
    delete_all_cookies clears only the current page's, and the banks of one session all live on
    127.0.0.1, where a cookie ignores the port.

    The last page is left for about:blank first: the requests a page makes after its load event
    (the favicon) answer with a refreshed session cookie, and one landing after the clearing
    would sign the next test in."""
    forget_the_last_page(driver)
    driver.get_log("browser")
    yield driver
    forget_the_last_page(driver)


def forget_the_last_page(driver: Any) -> None:
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})


def console_errors(driver: Any) -> list[dict[str, Any]]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def wait_loaded(driver: Any) -> None:
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def open_page(driver: Any, url: str) -> str:
    """Load ``url`` and return its text, having checked that the console stayed clean."""
    driver.get(url)
    wait_loaded(driver)
    assert console_errors(driver) == []
    return body_text(driver)


def body_text(driver: Any) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def submit(driver: Any, button: Any) -> None:
    """Click a form's submit ``button`` and wait for the answer's document: the window is marked
    first and the wait is for a complete document without the mark (waiting for the button to go
    stale is not enough: Chrome at times answers a replaced node with "does not belong to the
    document" instead of a stale reference)."""
    driver.execute_script("window.creditbankPending = true")
    button.click()
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: (
            d.execute_script("return window.creditbankPending !== true")
            and d.execute_script("return document.readyState") == "complete"
        )
    )


def accessibility_violations(driver: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the current page. The script goes in
    through DevTools (Selenium's execute_script), which the pages' CSP does not govern."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    results = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        "  .then(r => done(r.violations), e => done([{id: 'axe-error', impact: 'critical',"
        "    help: String(e), nodes: []}]));"
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node.get("html", "")[:160] for node in violation["nodes"][:3]],
        }
        for violation in results
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def bare_ids(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """The ids in ``text`` that are not among ``allowed`` (a page may show an id on purpose,
    beside the name it belongs to: the learner's detail page shows the account id)."""
    return sorted(set(BARE_ID.findall(text)) - set(allowed))


def check_page(
    driver: Any, name: str, *, allowed_ids: Iterable[str] = (), status: int = 200
) -> str:
    """The checks every console page passes; returns its visible text. ``name`` names the
    screenshot (``<name>.png`` in the artifact folder). A page answered with an error ``status``
    on purpose (a form refused with 422, its errors beside the fields) is logged by Chromium as a
    failed load of the page itself: that one entry, and nothing else, is expected then."""
    wait_loaded(driver)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    errors = console_errors(driver)
    if status >= 400:
        refusal = [
            e for e in errors if e["source"] == "network" and f"status of {status}" in e["message"]
        ]
        assert len(refusal) == 1, f"the page itself was not answered with {status}: {errors}"
        errors = [e for e in errors if e not in refusal]
    assert errors == [], f"console errors on {name}"
    assert accessibility_violations(driver) == [], f"axe-core on {name}"
    text = body_text(driver)
    assert bare_ids(text, allowed_ids) == [], f"bare ids where names belong on {name}"
    return text
