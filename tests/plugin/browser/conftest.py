"""The browser of the end-to-end tests: Debian's headless Chromium driven by Selenium, one per test module.

Needs the Debian packages ``chromium`` and ``chromium-driver`` and the Python package ``selenium``.
"""

from __future__ import annotations

import os

import pytest

from .chromium import CHROMEDRIVER, CHROMIUM, FLAGS


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
