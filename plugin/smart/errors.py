"""Typed errors of the SMART launch; each message says what went wrong in words a clinician or IT can act on.

None of them carries a token, an authorization code or patient data.
"""

from __future__ import annotations

from acquisition.errors import FpcdsError


class SmartError(FpcdsError):
    """Base class of SMART launch failures.

    Attributes
    ----------
    code : str
        A stable machine-readable name (used for the error page and tests).
    status : int
        The HTTP status the web app answers with.
    """

    code = "smart_error"
    status = 400


class UnknownIssuerError(SmartError):
    """The launch names an ``iss`` that is not in the tenant allowlist."""

    code = "unknown_iss"


class LaunchRequestError(SmartError):
    """The launch request itself is malformed (missing ``iss``, ``launch`` ...)."""

    code = "bad_launch"


class DiscoveryError(SmartError):
    """The EHR's SMART configuration cannot be fetched or is not acceptable."""

    code = "discovery_failed"
    status = 502


class StateError(SmartError):
    """The ``state`` returned to the callback is missing, unknown, expired or already used."""

    code = "state_mismatch"


class AuthorizationDenied(SmartError):
    """The EHR's authorization server answered the authorize request with an error."""

    code = "authorization_denied"
    status = 403


class TokenExchangeError(SmartError):
    """The token endpoint refused the code or refresh token, or answered something unusable."""

    code = "token_exchange_failed"
    status = 502


class InsufficientScopeError(SmartError):
    """The EHR granted fewer permissions than fpcds needs.

    Parameters
    ----------
    missing : tuple of str
        The required scopes that the granted scopes do not cover.
    """

    code = "insufficient_scope"
    status = 403

    def __init__(self, missing: tuple[str, ...]) -> None:
        self.missing = tuple(missing)
        super().__init__(
            "the EHR granted fewer permissions than fpcds needs; not granted: " + ", ".join(self.missing)
        )


class TokenExpiredError(SmartError):
    """The access token has expired and could not be refreshed."""

    code = "token_expired"
    status = 401


class IdTokenError(SmartError):
    """The OpenID Connect id_token does not verify (signature, issuer, audience or expiry)."""

    code = "bad_id_token"
    status = 502
