"""The OAuth side of one SMART launch, built on Authlib's requests client.

:class:`SmartClient` makes the authorization URL (``aud`` = ``iss``,
PKCE S256, ``state``, ``launch``), exchanges the code and refreshes tokens,
authenticating as a public client (``client_id`` in the body) or with
private_key_jwt (RS384/ES384, ``iss`` = ``sub`` = client id, ``aud`` = token
URL, ``exp`` 5 minutes ahead, unique ``jti``).
"""

from __future__ import annotations

from typing import Any

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign

from ..config import SigningKey, Tenant
from .discovery import SmartConfiguration
from .errors import AuthorizationDenied, TokenExchangeError
from .keys import private_jwk
from .scopes import for_ehr_launch, for_standalone, to_v1
from .tokens import TokenSet, parse_token_response

#: Lifetime of a client assertion (SMART: at most five minutes).
ASSERTION_LIFETIME_S = 300


class SmartPrivateKeyJWT(PrivateKeyJWT):
    """Authlib's private_key_jwt with the SMART lifetime and our ``kid`` header."""

    def __init__(self, token_endpoint: str, *, key: SigningKey) -> None:
        super().__init__(token_endpoint, headers={"kid": key.kid, "typ": "JWT"}, alg=key.alg)

    def sign(self, auth, token_endpoint):  # noqa: D102 - Authlib hook
        return private_key_jwt_sign(
            auth.client_secret,
            client_id=auth.client_id,
            token_endpoint=token_endpoint,
            claims=None,
            header=dict(self.headers or {}),
            alg=self.alg,
            expires_in=ASSERTION_LIFETIME_S,
        )


class SmartClient:
    """OAuth requests of one tenant against one discovered authorization server.

    Parameters
    ----------
    tenant : Tenant
        Our registration at the EHR (client id, auth method, key id, scopes).
    smart : SmartConfiguration
        The discovered endpoints.
    redirect_uri : str
        Our registered callback URL.
    signing_key : SigningKey or None
        Required when ``tenant.auth_method`` is ``private_key_jwt``.
    timeout : float
        Seconds per HTTP request.
    """

    def __init__(self, tenant: Tenant, smart: SmartConfiguration, *, redirect_uri: str,
                 signing_key: SigningKey | None, timeout: float) -> None:
        if tenant.auth_method == "private_key_jwt" and signing_key is None:
            raise ValueError(f"tenant {tenant.iss} uses private_key_jwt but no signing key was given")
        self.tenant = tenant
        self.smart = smart
        self.redirect_uri = redirect_uri
        self.signing_key = signing_key
        self.timeout = timeout

    def scopes(self, *, standalone: bool) -> tuple[str, ...]:
        """The scopes to request: v2 unless the server only knows v1."""
        base = for_standalone(self.tenant.scopes) if standalone else for_ehr_launch(self.tenant.scopes)
        return to_v1(base) if self.smart.prefers_v1_scopes else base

    def _session(self, scope: str | None = None) -> OAuth2Session:
        if self.tenant.auth_method == "private_key_jwt":
            assert self.signing_key is not None
            session = OAuth2Session(
                client_id=self.tenant.client_id,
                client_secret=private_jwk(self.signing_key),
                token_endpoint_auth_method="private_key_jwt",
                scope=scope,
                redirect_uri=self.redirect_uri,
                code_challenge_method="S256",
                default_timeout=self.timeout,
            )
            session.register_client_auth_method(SmartPrivateKeyJWT(self.smart.token_endpoint, key=self.signing_key))
        else:
            session = OAuth2Session(
                client_id=self.tenant.client_id,
                token_endpoint_auth_method="none",
                scope=scope,
                redirect_uri=self.redirect_uri,
                code_challenge_method="S256",
                default_timeout=self.timeout,
            )
        return session

    def authorization_url(self, *, state: str, code_verifier: str, scope: str, launch: str | None) -> str:
        """The URL to send the browser to (same frame) for authorization."""
        extra: dict[str, Any] = {"aud": self.tenant.iss}
        if launch is not None:
            extra["launch"] = launch
        with self._session(scope) as session:
            url, _ = session.create_authorization_url(
                self.smart.authorization_endpoint, state=state, code_verifier=code_verifier, **extra
            )
        return url

    def exchange_code(self, *, code: str, code_verifier: str, scope: str) -> TokenSet:
        """Trade an authorization code for tokens.

        Raises
        ------
        TokenExchangeError
            The token endpoint refused (reused or expired code, bad verifier,
            client authentication failed) or could not be reached.
        """
        with self._session(scope) as session:
            body = self._call(session.fetch_token, self.smart.token_endpoint, code=code,
                              code_verifier=code_verifier, redirect_uri=self.redirect_uri,
                              grant_type="authorization_code")
        return parse_token_response(dict(body), requested_scope=scope)

    def refresh(self, previous: TokenSet) -> TokenSet:
        """Use ``previous.refresh_token`` once and return the new token set.

        The old refresh token is never used again: the result holds the new
        one the server issued, or none (then the launch ends at expiry).
        """
        if not previous.refresh_token:
            raise TokenExchangeError("there is no refresh token for this launch")
        with self._session() as session:
            body = dict(self._call(session.refresh_token, self.smart.token_endpoint,
                                   refresh_token=previous.refresh_token))
        if body.get("refresh_token") == previous.refresh_token:
            body.pop("refresh_token")
        return parse_token_response(body, requested_scope=" ".join(previous.scope), previous=previous)

    def _call(self, method, *args, **kwargs) -> dict:
        try:
            return method(*args, **kwargs)
        except OAuthError as exc:
            error = exc.error or "error"
            desc = f": {exc.description}" if exc.description else ""
            if error in ("access_denied", "invalid_scope"):
                raise AuthorizationDenied(f"the EHR refused the token request ({error}{desc})") from None
            raise TokenExchangeError(f"the EHR's token endpoint refused the request ({error}{desc})") from None
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "?"
            raise TokenExchangeError(f"the EHR's token endpoint answered HTTP {status}") from None
        except requests.RequestException as exc:
            raise TokenExchangeError(f"the EHR's token endpoint cannot be reached ({type(exc).__name__})") from None
        except ValueError as exc:
            raise TokenExchangeError(f"the EHR's token endpoint answered something unusable ({exc})") from None
