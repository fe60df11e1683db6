"""Chunked, verified, idempotent upload of a session file by a paired agent (Flask test client)."""

from __future__ import annotations

import hashlib

import pytest

from acquisition.native import read_session, stored_hash, write_session
from tests.factories import tiny_session

from .helpers import ASSESSMENT, make_app

CHUNK = 4096


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path, CAPTURE_CHUNK_BYTES=CHUNK)


@pytest.fixture
def session_bytes(tmp_path):
    path = tmp_path / "s.fpcds"
    write_session(tiny_session(), path)
    return path.read_bytes()


def _paired(client):
    code = client.post(f"/capture/assessments/{ASSESSMENT}/pairing").json["code"]
    token = client.post("/capture/pair", json={"code": code}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def _put(client, auth, upload_id, offset, data, digest=None):
    return client.put(f"/capture/uploads/{upload_id}/chunks/{offset}", data=data,
                      headers={**auth, "Content-Type": "application/octet-stream",
                               "X-Chunk-SHA256": digest or hashlib.sha256(data).hexdigest()})


def test_upload_resumes_accepts_repeats_and_attaches_the_verified_session(app, session_bytes):
    client = app.test_client()
    auth = _paired(client)
    digest = hashlib.sha256(session_bytes).hexdigest()
    opened = client.post("/capture/uploads", json={"sha256": digest, "size": len(session_bytes)}, headers=auth)
    assert opened.status_code == 201
    upload_id = opened.json["upload_id"]
    assert (opened.json["received"], opened.json["chunk_bytes"]) == (0, CHUNK)
    first = session_bytes[:CHUNK]
    assert _put(client, auth, upload_id, 0, first).json["received"] == CHUNK
    # the agent lost the answer and sends the same chunk again: accepted, nothing stored twice
    assert _put(client, auth, upload_id, 0, first).json["received"] == CHUNK
    # the agent restarts: opening again returns the same upload and how far it got
    again = client.post("/capture/uploads", json={"sha256": digest, "size": len(session_bytes)}, headers=auth)
    assert again.status_code == 200 and (again.json["upload_id"], again.json["received"]) == (upload_id, CHUNK)
    hole = _put(client, auth, upload_id, 3 * CHUNK, session_bytes[3 * CHUNK: 4 * CHUNK])
    assert hole.status_code == 409 and hole.json["received"] == CHUNK and "would leave a hole" in hole.json["error"]
    offset = CHUNK
    while offset < len(session_bytes):
        offset = _put(client, auth, upload_id, offset, session_bytes[offset: offset + CHUNK]).json["received"]
    assert client.get(f"/capture/uploads/{upload_id}", headers=auth).json["received"] == len(session_bytes)
    done = client.post(f"/capture/uploads/{upload_id}/complete", headers=auth)
    assert done.status_code == 200
    assert done.json["file_sha256"] == digest and done.json["bytes"] == len(session_bytes)
    assert done.json["duration_s"] == pytest.approx(2.0)
    assert client.post(f"/capture/uploads/{upload_id}/complete", headers=auth).json == done.json  # idempotent
    (aid, path, info), = app.extensions["test_uploads"]  # the app was told exactly once
    assert aid == ASSESSMENT and info["content_sha256"] == stored_hash(path) == done.json["content_sha256"]
    assert read_session(path, verify=True).metadata() == tiny_session().metadata()
    status = client.get(f"/capture/assessments/{ASSESSMENT}").json["capture"]
    assert status["state"] == "uploaded" and status["session"]["file_sha256"] == digest
    repeat = _put(client, auth, upload_id, 0, first)  # a very late retry of the first chunk is still harmless
    assert repeat.status_code == 200
    other = client.post("/capture/uploads", json={"sha256": "0" * 64, "size": 10}, headers=auth)
    assert other.status_code == 409 and "already has an uploaded session" in other.json["error"]


def test_damaged_chunk_and_damaged_file_are_refused(app, session_bytes):
    client = app.test_client()
    auth = _paired(client)
    digest = hashlib.sha256(session_bytes).hexdigest()
    upload_id = client.post("/capture/uploads", json={"sha256": digest, "size": len(session_bytes)},
                            headers=auth).json["upload_id"]
    bad = _put(client, auth, upload_id, 0, b"x" * 10, digest="0" * 64)
    assert bad.status_code == 400 and "has SHA-256" in bad.json["error"] and "was not stored" in bad.json["error"]
    corrupt = bytearray(session_bytes)
    corrupt[-1] ^= 0xFF  # flipped in memory on the workstation, hashes consistently per chunk
    offset = 0
    while offset < len(corrupt):
        offset = _put(client, auth, upload_id, offset, bytes(corrupt[offset: offset + CHUNK])).json["received"]
    refused = client.post(f"/capture/uploads/{upload_id}/complete", headers=auth)
    assert refused.status_code == 422 and f"but the agent declared {digest}" in refused.json["error"]
    assert client.get(f"/capture/uploads/{upload_id}", headers=auth).json["received"] == 0


def test_a_file_that_is_not_a_session_is_refused(app):
    client = app.test_client()
    auth = _paired(client)
    data = b"not a session at all" * 10
    upload_id = client.post("/capture/uploads", json={"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)},
                            headers=auth).json["upload_id"]
    _put(client, auth, upload_id, 0, data)
    refused = client.post(f"/capture/uploads/{upload_id}/complete", headers=auth)
    assert refused.status_code == 422
    assert "the uploaded file is not a valid fpcds session: not an fpcds session file" in refused.json["error"]


@pytest.mark.parametrize("body, status, message", [
    ({"sha256": "abc", "size": 10}, 400, "sha256 'abc' is not 64 lowercase hex digits"),
    ({"sha256": "a" * 64, "size": 0}, 400, "size 0 is not a positive number of bytes"),
    ({"sha256": "a" * 64, "size": 10**12}, 413, "this server accepts at most"),
])
def test_bad_upload_requests(app, body, status, message):
    client = app.test_client()
    response = client.post("/capture/uploads", json=body, headers=_paired(client))
    assert response.status_code == status and message in response.json["error"]


def test_chunk_rules(app, session_bytes):
    client = app.test_client()
    auth = _paired(client)
    upload_id = client.post("/capture/uploads", json={"sha256": "a" * 64, "size": 10}, headers=auth).json["upload_id"]
    too_far = _put(client, auth, upload_id, 0, b"x" * 11)
    assert too_far.status_code == 400 and "chunk ends at byte 11, beyond the declared size 10" in too_far.json["error"]
    big = _put(client, auth, upload_id, 0, b"x" * (CHUNK + 1))
    assert big.status_code == 413 and f"a chunk may be at most {CHUNK} bytes" in big.json["error"]
    no_hash = client.put(f"/capture/uploads/{upload_id}/chunks/0", data=b"x", headers=auth)
    assert no_hash.status_code == 400 and "needs an X-Chunk-SHA256 header" in no_hash.json["error"]
    _put(client, auth, upload_id, 0, b"abc")
    differs = _put(client, auth, upload_id, 0, b"abd")
    assert differs.status_code == 409 and "differs from the bytes already received" in differs.json["error"]
    short = client.post(f"/capture/uploads/{upload_id}/complete", headers=auth)
    assert short.status_code == 409 and "the upload has 3 of 10 bytes" in short.json["error"]


def test_agent_endpoints_need_a_valid_token(app):
    client = app.test_client()
    missing = client.post("/capture/uploads", json={})
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "needs the capture agent's bearer token" in missing.json["error"]
    wrong = client.post("/capture/feedback", json={}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "unknown or has expired; pair again" in wrong.json["error"]
    auth = _paired(client)
    assert client.get("/capture/uploads/nope", headers=auth).status_code == 404


def test_tokens_expire(tmp_path):
    client = make_app(tmp_path, CAPTURE_TOKEN_TTL_S=0.2).test_client()
    auth = _paired(client)
    assert client.post("/capture/feedback", json={"t": 1}, headers=auth).status_code == 204
    import time

    time.sleep(0.3)
    assert client.post("/capture/feedback", json={"t": 1}, headers=auth).status_code == 401


def test_uploads_of_one_capture_are_invisible_to_another(app, session_bytes):
    client = app.test_client()
    first = _paired(client)
    upload_id = client.post("/capture/uploads", json={"sha256": "a" * 64, "size": 10}, headers=first).json["upload_id"]
    second = _paired(client)
    assert client.get(f"/capture/uploads/{upload_id}", headers=second).status_code == 404
    assert _put(client, second, upload_id, 0, b"x").status_code == 404
