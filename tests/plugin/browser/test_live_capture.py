"""Live capture in headless Chromium, inside the sandbox EHR's iframe: the pairing code is shown, a capture
agent pairs with it, biofeedback frames move the bars (server-sent events through the app's cookie and CSP),
and the uploaded recording opens as the assessment's summary.

Same requirements as ``test_ehr_launch.py`` (Debian chromium + chromium-driver, selenium).
"""

from __future__ import annotations

import re
import threading

import pytest

from acquisition.capture_agent import CaptureAgent
from acquisition.native import write_session
from tests.factories import tiny_session

from .chromium import screenshot, wait

pytestmark = pytest.mark.browser

FRAME = {"lsl_time": 100.0, "t": 7.5, "emg_window_s": 0.25,
         "emg": [{"muscle": "zygomaticus", "left_uv": 41.2, "right_uv": 17.9, "asymmetry_pct": 56.55},
                 {"muscle": "orbicularis_oculi", "left_uv": 22.0, "right_uv": 20.5, "asymmetry_pct": 6.82}],
         "symmetry_window_s": 0.5, "symmetry": {"brow": 0.97, "eye": 0.91, "mouth": 0.62, "overall": 0.83},
         "stale": []}


class FrameFeeder:
    """Posts the biofeedback frame every 0.2 s (as the capture process does) until stopped."""

    def __init__(self, agent: CaptureAgent, pairing) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(agent, pairing), daemon=True)

    def _run(self, agent, pairing) -> None:
        while not self.stop.wait(0.2):
            agent.send_feedback(pairing, FRAME)

    def __enter__(self) -> "FrameFeeder":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


def _width(drv, css: str) -> float:
    return drv.execute_script("return document.querySelector(arguments[0]).getBoundingClientRect().width", css)


def test_pairing_code_biofeedback_and_attached_session(stack, driver, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    session_path = tmp_path / "live.fpcds"
    write_session(tiny_session(), session_path)

    driver.get(stack.urls["ehr"])
    driver.find_element(By.CSS_SELECTOR, 'a.launch-link[data-patient="SB-1004"]').click()
    driver.switch_to.frame(wait(driver, ec.presence_of_element_located((By.ID, "app-frame"))))
    wait(driver, ec.element_to_be_clickable((By.ID, "start-capture"))).click()
    wait(driver, ec.element_to_be_clickable((By.ID, "pair-button"))).click()
    code_node = wait(driver, ec.visibility_of_element_located((By.ID, "pairing-code")))
    code = code_node.text
    assert re.fullmatch(r"[0-9A-Z]{3}-[0-9A-Z]{6}", code)
    assert re.fullmatch(r"valid once, for (9:5\d|10:00) \(until .+\)", driver.find_element(By.ID, "pairing-expiry").text)
    assert driver.find_element(By.ID, "patient-name").text == "Samuel Okafor"
    driver.switch_to.default_content()
    screenshot(driver, tmp_path, "live-capture-code.png")
    driver.switch_to.frame(driver.find_element(By.ID, "app-frame"))

    agent = CaptureAgent(stack.urls["app"], backoff_s=0.05)
    pairing = agent.pair(code, agent_name="clinic workstation 3")
    wait(driver, ec.text_to_be_present_in_element((By.ID, "agent-status"), "Paired with clinic workstation 3"))
    assert not driver.find_element(By.ID, "code-box").is_displayed()  # a used code disappears
    with FrameFeeder(agent, pairing):
        wait(driver, ec.text_to_be_present_in_element((By.CSS_SELECTOR, '#bf-emg tr[data-muscle="zygomaticus"] '
                                                                         'td.left-uv'), "41.2"))
        wait(driver, ec.text_to_be_present_in_element((By.CSS_SELECTOR, '#bf-symmetry tr[data-region="mouth"] '
                                                                         '.value'), "0.62"))
        assert driver.find_element(By.ID, "bf-state").text == "Live, t = 7.5 s"
        row = '#bf-emg tr[data-muscle="zygomaticus"]'
        assert driver.find_element(By.CSS_SELECTOR, f"{row} td.right-uv").text == "17.9"
        assert driver.find_element(By.CSS_SELECTOR, f"{row} td.asymmetry").text == "57 %"
        assert driver.find_element(By.CSS_SELECTOR, '#bf-emg tr[data-muscle="orbicularis_oculi"] th').text == (
            "orbicularis oculi")
        # the bars are drawn (widths set through the CSSOM, which the CSP allows) in proportion
        wait(driver, lambda d: _width(d, f"{row} .bar.left .fill") > 0)
        left, right = _width(driver, f"{row} .bar.left .fill"), _width(driver, f"{row} .bar.right .fill")
        assert left / right == pytest.approx(41.2 / 17.9, rel=0.05)
        brow = _width(driver, '#bf-symmetry tr[data-region="brow"] .fill')
        mouth = _width(driver, '#bf-symmetry tr[data-region="mouth"] .fill')
        assert mouth / brow == pytest.approx(0.62 / 0.97, rel=0.05)
        driver.switch_to.default_content()
        screenshot(driver, tmp_path, "live-capture-biofeedback.png")
        driver.switch_to.frame(driver.find_element(By.ID, "app-frame"))

    agent.upload(session_path, pairing)
    emg = wait(driver, ec.visibility_of_element_located((By.ID, "emg-summary")))  # the page moves on by itself
    assert emg.text == "2 channels at 1000 Hz, 2.00 s"
    assert driver.find_element(By.CSS_SELECTOR, "#summary .filename").text.startswith("live-capture-")
    assert "No quality findings." in driver.find_element(By.ID, "quality").text
    driver.switch_to.default_content()
    screenshot(driver, tmp_path, "live-capture-summary.png")
