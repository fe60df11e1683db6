"""Fixtures of the plugin tests: one running stack (FHIR server, sandbox EHR, app) per session."""

from __future__ import annotations

import dataclasses

import pytest

from acquisition.native import write_session
from plugin.sandbox.stack import DemoStack
from tests.factories import tiny_session


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The demo stack (app as a private_key_jwt client), started once."""
    s = DemoStack(workdir=tmp_path_factory.mktemp("stack")).start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def public_stack(tmp_path_factory):
    """A second stack whose app is a public client."""
    s = DemoStack(workdir=tmp_path_factory.mktemp("public-stack"), auth_method="public").start()
    yield s
    s.stop()


@pytest.fixture
def policy(stack):
    """The sandbox's grant policy for the app, restored after the test."""
    saved = dataclasses.replace(stack.policy, withhold_scopes=set(stack.policy.withhold_scopes))
    yield stack.policy
    for f in dataclasses.fields(saved):
        setattr(stack.policy, f.name, getattr(saved, f.name))


@pytest.fixture
def counts(stack):
    """Row counts of the app database (a function: call it before and after)."""
    return stack.app.extensions["fpcds"].sessions.counts


@pytest.fixture(scope="session")
def session_file(tmp_path_factory) -> bytes:
    """The bytes of a small native session file (tests/factories.py tiny_session)."""
    path = tmp_path_factory.mktemp("sessions") / "tiny.fpcds"
    write_session(tiny_session(), path)
    return path.read_bytes()

