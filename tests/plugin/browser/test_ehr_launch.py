"""End to end in headless Chromium: the sandbox EHR launches the app in its iframe, the patient banner
shows, a session file is imported and its summary is shown.

Needs the Debian packages ``chromium`` and ``chromium-driver`` (never a downloaded browser) and the
Python package ``selenium``. Set ``FPCDS_SCREENSHOT_DIR`` to keep the screenshots.
"""

from __future__ import annotations

import pytest

from acquisition.native import write_session
from tests.factories import tiny_session
from tests.plugin.browser.chromium import screenshot, wait

pytestmark = pytest.mark.browser


def test_launch_in_iframe_banner_import_summary(stack, driver, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    session_path = tmp_path / "tiny-session.fpcds"
    write_session(tiny_session(), session_path)

    driver.get(stack.urls["ehr"])
    driver.find_element(By.CSS_SELECTOR, 'a.launch-link[data-patient="SB-1001"]').click()
    frame = wait(driver, ec.presence_of_element_located((By.ID, "app-frame")))
    driver.switch_to.frame(frame)
    name = wait(driver, ec.visibility_of_element_located((By.ID, "patient-name")))
    assert name.text == "Ana Souza"
    assert driver.execute_script("return window.location.origin") == stack.urls["app"].rstrip("/")
    assert driver.execute_script("return window.top !== window.self")  # really inside the EHR's frame
    driver.switch_to.default_content()
    assert (screenshot(driver, tmp_path, "ehr-launch-banner.png")).stat().st_size > 0

    driver.switch_to.frame(driver.find_element(By.ID, "app-frame"))
    driver.find_element(By.ID, "session-file").send_keys(str(session_path))
    driver.find_element(By.ID, "import-button").click()
    emg = wait(driver, ec.visibility_of_element_located((By.ID, "emg-summary")))
    assert emg.text == "2 channels at 1000 Hz, 2.00 s"
    assert driver.find_element(By.CSS_SELECTOR, "#summary .filename").text == "tiny-session.fpcds"
    assert "No quality findings." in driver.find_element(By.ID, "quality").text
    assert driver.find_element(By.ID, "patient-name").text == "Ana Souza"
    driver.switch_to.default_content()
    assert (screenshot(driver, tmp_path, "ehr-launch-summary.png")).stat().st_size > 0
