"""Logs never contain tokens, codes, state, or patient identifiers."""

from __future__ import annotations

import io
import logging

from plugin.web.logsafe import REDACTED, RedactingFilter, install, redact
from tests.plugin.helpers import Browser, query


def test_redact_tokens_and_oauth_parameters():
    text = ("Authorization: Bearer abc.def-123 GET /callback?code=XYZ&state=S1 "
            'body {"access_token": "tok1", "refresh_token":"r2"} assertion eyJhbGciOiJFUzM4NCJ9.eyJzdWIiOiJ4In0.sig')
    out = redact(text)
    for secret in ("abc.def-123", "XYZ", "S1", "tok1", "r2", "eyJhbGciOiJFUzM4NCJ9"):
        assert secret not in out
    assert out.startswith("Authorization: " + REDACTED)
    assert redact("sent Bearer tok-9") == "sent Bearer " + REDACTED


def test_redact_patient_identifiers():
    out = redact("GET /fhir/Patient/9628ca6b-3826 and Observation?patient=Patient/77&subject=Patient/78 "
                 "patient: p-99")
    for ident in ("9628ca6b-3826", "77", "78", "p-99"):
        assert ident not in out


def test_redact_keeps_ordinary_text():
    line = '127.0.0.1 - - [25/Nov/2026 10:35:33] "GET /app/abc/ HTTP/1.1" 200 -'
    assert redact(line) == line


def test_filter_formats_arguments_before_redacting():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token for %s is %s", ("Patient/12", "Bearer qq"), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == f"token for Patient/{REDACTED} is Bearer {REDACTED}"


def test_full_launch_and_import_logs_no_secret_or_patient_data(stack, session_file):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    install()
    try:
        browser = Browser(stack)
        launch_url = browser.app_launch_url(0)
        authorize = browser.authorize_url(launch_url)
        callback = browser.callback_url(authorize)
        home = browser.follow(callback)
        browser.upload(home, "Souza-Ana.fpcds", session_file)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    logged = stream.getvalue()
    assert "launch opened" in logged and "session imported" in logged  # the log is there ...
    svc = stack.app.extensions["fpcds"]
    launch_id = browser.launch_path(home).split("/")[2]
    tokens = svc.sessions.tokens(launch_id)
    secrets = [tokens.access_token, tokens.refresh_token, tokens.id_token, query(callback)["code"],
               query(callback)["state"], query(authorize)["code_challenge"], query(launch_url)["launch"],
               tokens.patient, "Souza", "1979-04-12", "SB-1001"]
    for secret in secrets:
        assert secret and secret not in logged  # ... and holds none of these
