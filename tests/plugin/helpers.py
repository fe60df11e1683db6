"""A scripted browser for the plugin tests: real HTTP against the running sandbox EHR and app.

It follows the SMART EHR launch exactly as a browser inside the EHR's iframe
would (chart page -> app launch URL -> EHR authorize -> app callback -> app
page), keeping cookies, and lets a test stop at or tamper with any hop.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import requests

from plugin.sandbox.seed import PATIENTS


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def with_query(url: str, **changes: str | None) -> str:
    """``url`` with query parameters replaced (None removes one)."""
    parts = urlsplit(url)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return urlunsplit(parts._replace(query=urlencode(params)))


def error_code(resp: requests.Response) -> str | None:
    m = re.search(r'data-error-code="([^"]+)"', resp.text)
    return m.group(1) if m else None


def page_message(resp: requests.Response) -> str:
    m = re.search(r'<p class="message">(.*?)</p>', resp.text, re.S)
    return unescape(m.group(1)) if m else ""


class Browser:
    """One browser (one cookie jar) talking to the stack's EHR and app over loopback."""

    def __init__(self, stack) -> None:
        self.stack = stack
        self.http = requests.Session()
        self.ehr = stack.urls["ehr"].rstrip("/")
        self.app = stack.urls["app"].rstrip("/")

    def get(self, url: str, **kw) -> requests.Response:
        if url.startswith("/"):
            url = self.app + url
        return self.http.get(url, allow_redirects=False, timeout=30, **kw)

    def app_launch_url(self, patient: int = 0) -> str:
        """Open the patient's chart in the EHR; the iframe's src (the app's EHR launch URL)."""
        mrn = PATIENTS[patient].mrn
        listing = self.get(self.ehr + "/").text
        link = re.search(rf'data-patient="{mrn}" href="([^"]+)"', listing).group(1)
        chart = self.get(self.ehr + unescape(link))
        assert chart.status_code == 200
        return unescape(re.search(r'id="app-frame"[^>]*src="([^"]+)"', chart.text).group(1))

    def authorize_url(self, launch_url: str) -> str:
        resp = self.get(launch_url)
        assert resp.status_code == 302, (resp.status_code, resp.text[:500])
        return resp.headers["Location"]

    def callback_url(self, authorize_url: str) -> str:
        resp = self.get(authorize_url)
        assert resp.status_code == 302, (resp.status_code, resp.text[:500])
        return resp.headers["Location"]

    def follow(self, url: str) -> requests.Response:
        """GET ``url`` and follow redirects inside the app."""
        resp = self.get(url)
        while resp.status_code in (302, 303) and resp.headers["Location"].startswith("/"):
            resp = self.get(resp.headers["Location"])
        return resp

    def launch(self, patient: int = 0) -> requests.Response:
        """A complete EHR launch; the app page it ends on."""
        return self.follow(self.callback_url(self.authorize_url(self.app_launch_url(patient))))

    @staticmethod
    def csrf(page: requests.Response) -> str:
        return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)

    @staticmethod
    def launch_path(page: requests.Response) -> str:
        return re.search(r'class="home" href="([^"]+)"', page.text).group(1)

    def upload(self, home: requests.Response, name: str, content: bytes, *, csrf: str | None = None) -> requests.Response:
        action = re.search(r'<form method="post" action="([^"]+)"', home.text).group(1)
        resp = self.http.post(self.app + action, data={"csrf": self.csrf(home) if csrf is None else csrf},
                              files={"session": (name, content)}, allow_redirects=False, timeout=60)
        if resp.status_code == 303:
            return self.follow(resp.headers["Location"])
        return resp


def app_settings(tmp_path, *, iss: str = "https://ehr.example.org/fhir", auth_method: str = "public",
                 public_url: str = "https://fpcds.example.org", **app_overrides) -> dict:
    """A valid settings mapping (the structure of the TOML/YAML file) for unit tests."""
    secret = tmp_path / "secret"
    if not secret.exists():
        secret.write_text("s" * 48)
    settings = {
        "app": {"public_url": public_url, "instance_dir": str(tmp_path / "instance"),
                "secret_key_file": str(secret), **app_overrides},
        "tenants": [{"name": "Test EHR", "iss": iss, "client_id": "fpcds-test", "auth_method": auth_method,
                     "ehr_origins": ["https://ehr.example.org"]}],
    }
    return settings
