"""Random values of the authorization request: ``state`` and the PKCE S256 pair.

``state`` carries 256 bits (SMART requires at least 122); the code verifier
is 86 characters of the unreserved set (RFC 7636 allows 43-128).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from authlib.oauth2.rfc7636 import create_s256_code_challenge

STATE_BYTES = 32
VERIFIER_BYTES = 64


def new_state() -> str:
    """A fresh, unguessable ``state`` value (256 bits, URL-safe)."""
    return secrets.token_urlsafe(STATE_BYTES)


def new_code_verifier() -> str:
    """A fresh PKCE code verifier (86 URL-safe characters)."""
    return secrets.token_urlsafe(VERIFIER_BYTES)


def s256_challenge(verifier: str) -> str:
    """The S256 code challenge of ``verifier`` (BASE64URL(SHA-256(verifier)), no padding)."""
    return create_s256_code_challenge(verifier)


def digest(value: str) -> str:
    """SHA-256 hex of a secret value, for storing a lookup key without the value itself."""
    return hashlib.sha256(value.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time string comparison."""
    return hmac.compare_digest(a.encode(), b.encode())
