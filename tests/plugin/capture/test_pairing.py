"""Pairing a capture agent with an open assessment: one-time code, expiry, attempt limits, no patient data."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from plugin.capture import codes

from .helpers import ASSESSMENT, make_app


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


def _code(client, assessment=ASSESSMENT):
    response = client.post(f"/capture/assessments/{assessment}/pairing")
    assert response.status_code == 201, response.json
    return response.json["code"]


def test_code_pairs_once_and_the_agent_learns_nothing_about_the_patient(app):
    client = app.test_client()
    created = client.post(f"/capture/assessments/{ASSESSMENT}/pairing")
    code = created.json["code"]
    assert created.headers["Cache-Control"] == "no-store"
    assert len(code) == 10 and code[3] == "-" and all(c in codes.ALPHABET for c in code.replace("-", ""))
    assert created.json["expires_in_s"] == 600
    typed = code.lower().replace("-", " ")  # people type codes sloppily
    paired = client.post("/capture/pair", json={"code": typed, "agent": "ws-07\x00"})
    assert paired.status_code == 201
    body = paired.json
    assert set(body) == {"capture_id", "token", "expires_at", "chunk_bytes", "max_bytes"}
    assert ASSESSMENT not in str(body)
    status = client.get(f"/capture/assessments/{ASSESSMENT}").json
    assert status["pairing"]["state"] == "paired"
    assert status["capture"] == {"state": "paired", "agent": "ws-07", "paired_at": status["capture"]["paired_at"],
                                 "upload": None, "session": None}
    again = client.post("/capture/pair", json={"code": code})
    assert again.status_code == 403 and "already used or replaced" in again.json["error"]


def test_codes_and_tokens_are_stored_only_as_hashes(app):
    client = app.test_client()
    code = _code(client)
    token = client.post("/capture/pair", json={"code": code}).json["token"]
    folder = Path(app.config["CAPTURE_DIR"])
    raw = b"".join(p.read_bytes() for p in folder.glob("capture.sqlite3*"))
    assert raw and code.replace("-", "")[3:].encode() not in raw and token.encode() not in raw


def test_physician_endpoints_need_authorisation(tmp_path):
    client = make_app(tmp_path, allowed=()).test_client()
    response = client.post(f"/capture/assessments/{ASSESSMENT}/pairing")
    assert response.status_code == 403 and response.json["error"] == "you are not authorised for this assessment"
    assert client.get(f"/capture/assessments/{ASSESSMENT}/biofeedback").status_code == 403
    bare = make_app(tmp_path / "b", CAPTURE_AUTHORIZE=None).test_client()
    response = bare.get(f"/capture/assessments/{ASSESSMENT}")
    assert response.status_code == 403 and "live capture is not enabled on this server" in response.json["error"]


def test_expired_code_is_refused(tmp_path):
    client = make_app(tmp_path, CAPTURE_CODE_TTL_S=0.2).test_client()
    code = _code(client)
    time.sleep(0.3)
    response = client.post("/capture/pair", json={"code": code})
    assert response.status_code == 403 and "this pairing code has expired" in response.json["error"]
    assert client.get(f"/capture/assessments/{ASSESSMENT}").json["pairing"]["state"] == "expired"


def test_wrong_secrets_lock_the_code_after_the_attempt_limit(app):
    client = app.test_client()
    code = _code(client)
    prefix, secret = code.split("-")
    wrong = prefix + "-" + ("0" if secret[0] != "0" else "1") + secret[1:]
    for left in (4, 3, 2, 1):
        response = client.post("/capture/pair", json={"code": wrong})
        assert response.status_code == 403 and f"({left} attempts left)" in response.json["error"]
    response = client.post("/capture/pair", json={"code": wrong})
    assert "(the code is now locked)" in response.json["error"]
    response = client.post("/capture/pair", json={"code": code})  # even the right code is now refused
    assert response.status_code == 403 and "locked after 5 wrong attempts" in response.json["error"]
    pairing = client.get(f"/capture/assessments/{ASSESSMENT}").json["pairing"]
    assert pairing["state"] == "locked" and pairing["attempts_left"] == 0


def test_a_new_code_replaces_the_unused_one(app):
    client = app.test_client()
    first = _code(client)
    second = _code(client)
    assert client.post("/capture/pair", json={"code": first}).status_code == 403
    assert client.post("/capture/pair", json={"code": second}).status_code == 201


def test_guessing_from_one_address_is_rate_limited(tmp_path):
    client = make_app(tmp_path, CAPTURE_FAILURES_PER_ADDR=3).test_client()
    for _ in range(3):
        response = client.post("/capture/pair", json={"code": "ZZZ-ZZZZZZ"})
        assert response.status_code == 403 and "pairing code not recognised" in response.json["error"]
    response = client.post("/capture/pair", json={"code": _code(client)})
    assert response.status_code == 429 and "too many wrong pairing codes from this address" in response.json["error"]


@pytest.mark.parametrize("body, message", [
    (None, "the request body must be a JSON object"),
    ({"agent": "x"}, "the pairing request needs a 'code'"),
    ({"code": "short"}, "pairing code not recognised"),
])
def test_malformed_pair_requests(app, body, message):
    response = app.test_client().post("/capture/pair", json=body)
    assert response.status_code in (400, 403) and message in response.json["error"]


def test_agents_must_use_https_except_on_loopback(app):
    client = app.test_client()
    code = _code(client)
    response = client.post("/capture/pair", json={"code": code}, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 403 and response.json["error"] == "capture agents must connect over HTTPS"
    response = client.post("/capture/pair", json={"code": code}, base_url="https://plugin.example",
                           environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 201


def test_typed_codes_are_normalised():
    assert codes.split_code(" k7q-4mx9tz ") == ("K7Q", "4MX9TZ")
    assert codes.split_code("K7Q-4MX9TO") == ("K7Q", "4MX9T0")  # O read as zero
    assert codes.split_code("K7Q-4MX9T") is None and codes.split_code("K7Q-4MX9TU") is None
