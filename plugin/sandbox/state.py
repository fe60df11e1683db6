"""In-memory state of the sandbox authorization server: clients, launch contexts, codes, tokens.

The sandbox is a development and test peer; its state lives for one process.
All access goes through :class:`SandboxState`, which holds a lock.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.errors import InvalidClientError

from ..smart.scopes import split_scopes

#: Lifetimes (s).
LAUNCH_TTL_S = 300.0
CODE_TTL_S = 120.0
REFRESH_TTL_S = 24 * 3600.0


@dataclass
class Policy:
    """What the sandbox grants; tests change it to produce the EHR behaviours an app must survive.

    Attributes
    ----------
    withhold_scopes : set of str
        Requested scopes the sandbox does not grant (a narrower grant).
    token_lifetime_s : int
        Access token lifetime.
    need_patient_banner : bool
        Sent in token responses.
    smart_style_url : str or None
        Sent in token responses.
    refuse_writes : bool
        The FHIR endpoint answers 403 to every create, update and delete even
        where the scopes allow it (as an EHR does when the signed-in user
        lacks the privilege).
    """

    withhold_scopes: set[str] = field(default_factory=set)
    token_lifetime_s: int = 3600
    need_patient_banner: bool = True
    smart_style_url: str | None = None
    refuse_writes: bool = False


@dataclass
class SandboxClient(ClientMixin):
    """A registered app: public (``none``) or confidential (``private_key_jwt``), or the FHIR resource server."""

    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    auth_method: str  # "none", "private_key_jwt" or "client_secret_basic" (resource server only)
    launch_url: str | None = None
    jwks_uri: str | None = None
    jwks: dict[str, Any] | None = None
    client_secret: str | None = field(default=None, repr=False)
    policy: Policy = field(default_factory=Policy)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in split_scopes(scope) if s not in self.policy.withhold_scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return bool(self.client_secret) and secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if endpoint == "introspection":
            return method in ("client_secret_basic", "private_key_jwt") and method == self.auth_method
        return method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and bool(self.redirect_uris)

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token") and bool(self.redirect_uris)


@dataclass
class LaunchContext:
    """What the EHR knows when it launches an app: patient, encounter, user."""

    launch_id: str
    client_id: str
    patient: str
    user: str
    encounter: str | None = None
    created: float = field(default_factory=time.time)


@dataclass
class AuthorizationCode(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    user: str
    patient: str | None
    encounter: str | None
    nonce: str | None
    created: float = field(default_factory=time.time)

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def is_expired(self) -> bool:
        return time.time() > self.created + CODE_TTL_S


@dataclass
class Token(TokenMixin):
    access_token: str
    client_id: str
    scope: str
    user: str
    patient: str | None
    encounter: str | None
    issued_at: float
    expires_in: int
    refresh_token: str | None = None
    revoked: bool = False
    refresh_revoked: bool = False
    code: str | None = None
    #: The registry that issued the token (client id -> client); set by :meth:`SandboxState.save_token`.
    registry: Callable[[str], "SandboxClient | None"] | None = field(default=None, repr=False, compare=False)

    def check_client(self, client: ClientMixin) -> bool:
        return self.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return time.time() >= self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> str:
        return self.user

    def get_client(self) -> SandboxClient:
        """The registered client the token was issued to.

        Raises
        ------
        InvalidClientError
            The token was not saved by a :class:`SandboxState`, or its client is no longer registered.
        """
        if self.registry is None:
            raise InvalidClientError(description=f"the client {self.client_id!r} of this token is unknown: the "
                                                 "token was not issued by a sandbox state")
        client = self.registry(self.client_id)
        if client is None:
            raise InvalidClientError(description=f"the client {self.client_id!r} of this token is no longer "
                                                 "registered at this sandbox")
        return client


class SandboxState:
    """Thread-safe registry of the sandbox's OAuth objects."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clients: dict[str, SandboxClient] = {}
        self._launches: dict[str, LaunchContext] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._used_codes: dict[str, float] = {}
        self._tokens: dict[str, Token] = {}
        self._refresh: dict[str, Token] = {}
        self._jti: dict[str, float] = {}

    def add_client(self, client: SandboxClient) -> None:
        with self._lock:
            self.clients[client.client_id] = client

    def client(self, client_id: str) -> SandboxClient | None:
        return self.clients.get(client_id)

    # launch contexts
    def new_launch(self, *, client_id: str, patient: str, user: str, encounter: str | None = None) -> str:
        launch_id = secrets.token_urlsafe(16)
        with self._lock:
            self._launches[launch_id] = LaunchContext(launch_id, client_id, patient, user, encounter)
        return launch_id

    def launch(self, launch_id: str, client_id: str) -> LaunchContext | None:
        with self._lock:
            ctx = self._launches.get(launch_id)
        if ctx is None or ctx.client_id != client_id or time.time() > ctx.created + LAUNCH_TTL_S:
            return None
        return ctx

    # authorization codes
    def save_code(self, code: AuthorizationCode) -> None:
        with self._lock:
            self._codes[code.code] = code

    def code(self, code: str, client_id: str) -> AuthorizationCode | None:
        """The unexpired code issued to ``client_id``; a code presented twice revokes what it issued."""
        with self._lock:
            if code in self._used_codes:
                for token in self._tokens.values():
                    if token.code == code:
                        token.revoked = True
                        token.refresh_revoked = True
                return None
            item = self._codes.get(code)
        if item is None or item.client_id != client_id or item.is_expired():
            return None
        return item

    def use_code(self, code: str) -> None:
        with self._lock:
            self._codes.pop(code, None)
            self._used_codes[code] = time.time()

    # tokens
    def save_token(self, token: Token) -> None:
        """Keep ``token`` (by access and refresh token) and let it look up its client here."""
        token.registry = self.client
        with self._lock:
            self._tokens[token.access_token] = token
            if token.refresh_token:
                self._refresh[token.refresh_token] = token

    def token(self, access_token: str) -> Token | None:
        with self._lock:
            return self._tokens.get(access_token)

    def by_refresh(self, refresh_token: str) -> Token | None:
        with self._lock:
            token = self._refresh.get(refresh_token)
        if token is None or token.refresh_revoked or time.time() > token.issued_at + REFRESH_TTL_S:
            return None
        return token

    def revoke_refresh(self, refresh_token: str) -> None:
        with self._lock:
            token = self._refresh.get(refresh_token)
            if token is not None:
                token.refresh_revoked = True

    def use_jti(self, client_id: str, jti: str, exp: float) -> bool:
        """Record a client assertion's ``jti``; False if it was seen before (replay)."""
        key = f"{client_id}:{jti}"
        now = time.time()
        with self._lock:
            for k in [k for k, e in self._jti.items() if e < now - 600]:
                del self._jti[k]
            if key in self._jti:
                return False
            self._jti[key] = exp
            return True
