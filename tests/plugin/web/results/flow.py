"""Driving the assess step through the demo stack like a physician's browser: import, run, wait, read results."""

from __future__ import annotations

import functools
import re
import tempfile
import time
from html import unescape
from pathlib import Path

import requests

from acquisition.native import write_session
from acquisition.simulate import SimulationOptions, make_patient, simulate_session
from tests.plugin.helpers import Browser


@functools.lru_cache(maxsize=None)
def session_bytes(kind: str = "bell") -> bytes:
    """A simulated native session file: a left Bell's palsy (``bell``) or the same without sEMG (``motion``)."""
    patient = make_patient(condition="bell", onset_severity=0.7, days_since_onset=5.0, age=45.0, seed=14)
    session = simulate_session(patient, seed=14, options=SimulationOptions(repetitions=1, rest_s=1.5))
    if kind == "motion":
        session = session.select(modalities=["motion"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.fpcds"
        write_session(session, path)
        return path.read_bytes()


class Physician(Browser):
    """A browser launched for one patient, with the assess step's pages."""

    def __init__(self, stack, patient: int = 0) -> None:
        super().__init__(stack)
        self.home = self.launch(patient)
        assert self.home.status_code == 200, self.home.text[:300]
        self.base = self.launch_path(self.home).rstrip("/")

    def import_session(self, name: str = "visit.fpcds", content: bytes | None = None) -> str:
        """Import a session; its assessment id."""
        page = self.upload(self.home, name, session_bytes() if content is None else content)
        assert page.status_code == 200, page.text[:300]
        return re.search(r"/assessments/([A-Za-z0-9_-]+)", page.text).group(1)

    def url(self, assessment_id: str, page: str = "") -> str:
        return f"{self.base}/assessments/{assessment_id}" + (f"/{page}" if page else "")

    def start(self, assessment_id: str, *, csrf: str | None = None) -> requests.Response:
        """POST the assess form (with this launch's anti-forgery token unless given)."""
        token = self.csrf(self.home) if csrf is None else csrf
        return self.http.post(self.app + self.url(assessment_id, "assess"), data={"csrf": token},
                              allow_redirects=False, timeout=30)

    def wait(self, assessment_id: str, *, timeout_s: float = 90.0) -> requests.Response:
        """Poll the progress page until the job ends: the redirect to the results or the page of a failure."""
        deadline = time.monotonic() + timeout_s
        while True:
            resp = self.get(self.url(assessment_id, "progress"))
            if resp.status_code != 200 or job_state(resp) != "running":
                return resp
            assert time.monotonic() < deadline, "the assessment did not finish in time"
            time.sleep(0.2)

    def assess(self, assessment_id: str) -> requests.Response:
        """Run the assessment to its end; the results page."""
        assert self.start(assessment_id).status_code == 303
        done = self.wait(assessment_id)
        assert done.status_code == 303 and done.headers["Location"].endswith("/results"), done.text[:2000]
        return self.get(done.headers["Location"])


def job_state(resp: requests.Response) -> str | None:
    m = re.search(r'id="progress" data-state="(\w+)"', resp.text)
    return m.group(1) if m else None


def data_values(html: str) -> dict[str, tuple[str, str]]:
    """``id -> (value attribute, shown text)`` of every ``<data id=...>`` element."""
    return {m.group(1): (m.group(2), unescape(m.group(3)))
            for m in re.finditer(r'<data id="([^"]+)" value="([^"]*)">([^<]*)</data>', html)}
