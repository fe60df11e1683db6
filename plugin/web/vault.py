"""Encryption at rest of the secrets kept server-side (tokens, PKCE verifiers, the patient banner).

AES-256-GCM with a key derived (HKDF-SHA256) from the app's secret key; each
value is bound to its purpose and row id as associated data, so a value
copied to another row does not decrypt.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from acquisition.errors import FpcdsError


class VaultError(FpcdsError):
    """A stored secret does not decrypt (wrong secret key, or the row was tampered with)."""


class Vault:
    """Seal and open small secrets with a key derived from ``secret_key``."""

    def __init__(self, secret_key: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"fpcds-vault-v1", info=b"server-side secrets").derive(secret_key)
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "Vault(<sealed>)"

    def seal(self, plaintext: str, *, purpose: str, row: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, plaintext.encode(), f"{purpose}:{row}".encode())

    def open(self, blob: bytes, *, purpose: str, row: str) -> str:
        try:
            return self._aead.decrypt(bytes(blob[:12]), bytes(blob[12:]), f"{purpose}:{row}".encode()).decode()
        except (InvalidTag, ValueError):
            raise VaultError(f"the stored {purpose} cannot be decrypted (was the secret key changed?)") from None
