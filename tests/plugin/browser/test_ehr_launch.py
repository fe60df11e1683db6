"""End to end in headless Chromium: the sandbox EHR launches the app in its iframe, the patient banner
shows, a session file is imported and its summary is shown.

Needs the Debian packages ``chromium`` and ``chromium-driver`` (never a downloaded browser) and the
Python package ``selenium``. Set ``FPCDS_SCREENSHOT_DIR`` to keep the screenshots.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from acquisition.native import write_session
from tests.factories import tiny_session

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         "--window-size=1280,900")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def driver():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test: scripts/setup.sh installs chromium and chromium-driver")
        pytest.skip("needs the Debian packages chromium and chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download anything
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    drv = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    drv.set_page_load_timeout(30)
    yield drv
    drv.quit()


def _wait(drv, condition, timeout=20):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(drv, timeout).until(condition)


def _screenshot(drv, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    drv.save_screenshot(str(path))
    keep = os.environ.get("FPCDS_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / name)
    return path


def test_launch_in_iframe_banner_import_summary(stack, driver, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    session_path = tmp_path / "tiny-session.fpcds"
    write_session(tiny_session(), session_path)

    driver.get(stack.urls["ehr"])
    driver.find_element(By.CSS_SELECTOR, 'a.launch-link[data-patient="SB-1001"]').click()
    frame = _wait(driver, ec.presence_of_element_located((By.ID, "app-frame")))
    driver.switch_to.frame(frame)
    name = _wait(driver, ec.visibility_of_element_located((By.ID, "patient-name")))
    assert name.text == "Ana Souza"
    assert driver.execute_script("return window.location.origin") == stack.urls["app"].rstrip("/")
    assert driver.execute_script("return window.top !== window.self")  # really inside the EHR's frame
    driver.switch_to.default_content()
    assert (_screenshot(driver, tmp_path, "ehr-launch-banner.png")).stat().st_size > 0

    driver.switch_to.frame(driver.find_element(By.ID, "app-frame"))
    driver.find_element(By.ID, "session-file").send_keys(str(session_path))
    driver.find_element(By.ID, "import-button").click()
    emg = _wait(driver, ec.visibility_of_element_located((By.ID, "emg-summary")))
    assert emg.text == "2 channels at 1000 Hz, 2.00 s"
    assert driver.find_element(By.CSS_SELECTOR, "#summary .filename").text == "tiny-session.fpcds"
    assert "No quality findings." in driver.find_element(By.ID, "quality").text
    assert driver.find_element(By.ID, "patient-name").text == "Ana Souza"
    driver.switch_to.default_content()
    assert (_screenshot(driver, tmp_path, "ehr-launch-summary.png")).stat().st_size > 0
