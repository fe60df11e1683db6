"""Pairing codes and agent tokens.

A pairing code is three characters, a hyphen and six more (e.g.
``7KQ-2M9XPD``): nine characters of Crockford's base 32 (digits and
capitals without I, L, O, U, so it can be read aloud and typed
without confusion). The first three name the pairing (15 bits: lets the
server count wrong attempts per code); the last six are the secret (30
bits), stored only as a salted SHA-256. Typing is forgiving: case, spaces,
dashes, ``I``/``L`` for ``1`` and ``O`` for ``0`` are accepted.

An agent token is 32 random bytes (URL-safe base 64), stored only as its
SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_CHARS = 3
SECRET_CHARS = 6
_FIX = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_code() -> tuple[str, str]:
    """A fresh ``(pairing id, secret)``; show ``f'{id}-{secret}'`` to the physician."""
    pick = lambda n: "".join(secrets.choice(ALPHABET) for _ in range(n))  # noqa: E731
    return pick(ID_CHARS), pick(SECRET_CHARS)


def split_code(text: str) -> tuple[str, str] | None:
    """Normalise a typed code into ``(pairing id, secret)``; None if it cannot be one."""
    clean = "".join(str(text).split()).replace("-", "").upper().translate(_FIX)
    if len(clean) != ID_CHARS + SECRET_CHARS or any(c not in ALPHABET for c in clean):
        return None
    return clean[:ID_CHARS], clean[ID_CHARS:]


def hash_secret(secret: str, salt: str) -> str:
    """Salted SHA-256 (hex) of a code's secret part."""
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def secret_matches(secret: str, salt: str, stored: str) -> bool:
    """Constant-time comparison of a typed secret with its stored hash."""
    return hmac.compare_digest(hash_secret(secret, salt), stored)


def new_token() -> str:
    """A fresh agent bearer token."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 (hex) of a bearer token: what the server stores and looks up."""
    return hashlib.sha256(token.encode()).hexdigest()
