"""The sandbox's OAuth state: a token knows the registered client it was issued to."""

from __future__ import annotations

import time

import pytest
from authlib.oauth2.rfc6749.errors import InvalidClientError

from plugin.sandbox.state import SandboxClient, SandboxState, Token


def _token(client_id: str) -> Token:
    return Token(access_token="at-1", client_id=client_id, scope="launch openid", user="dr-1", patient="p-1",
                 encounter=None, issued_at=time.time(), expires_in=3600)


def test_a_token_issued_by_the_sandbox_finds_its_client(confidential):
    issued = confidential.access_token()
    token = confidential.state.token(issued["access_token"])
    client = token.get_client()
    assert client is confidential.state.client(confidential.stack.client_id)
    assert token.check_client(client)


def test_a_token_whose_client_was_removed_is_refused():
    state = SandboxState()
    state.add_client(SandboxClient(client_id="app-1", name="app", redirect_uris=("https://app/cb",),
                                   auth_method="none"))
    token = _token("app-1")
    state.save_token(token)
    assert token.get_client().name == "app"
    del state.clients["app-1"]
    with pytest.raises(InvalidClientError, match="the client 'app-1' of this token is no longer registered at this "
                                                 "sandbox"):
        token.get_client()


def test_a_token_not_issued_by_a_sandbox_state_has_no_client():
    with pytest.raises(InvalidClientError, match="the client 'app-1' of this token is unknown: the token was not "
                                                 "issued by a sandbox state"):
        _token("app-1").get_client()
