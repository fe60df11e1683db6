"""The app's signing keys as JOSE keys, and the public JWKS it publishes for private_key_jwt."""

from __future__ import annotations

from typing import Any

from joserfc.jwk import ECKey, RSAKey

from ..config import SigningKey


def private_jwk(key: SigningKey) -> ECKey | RSAKey:
    """The JOSE private key for ``key`` (``kid``, ``alg`` and ``use=sig`` set)."""
    params = {"kid": key.kid, "alg": key.alg, "use": "sig"}
    if key.alg == "ES384":
        return ECKey.import_key(key.pem, params)
    return RSAKey.import_key(key.pem, params)


def public_jwks(keys: tuple[SigningKey, ...]) -> dict[str, Any]:
    """The public JWK Set of ``keys`` (what ``/.well-known/jwks.json`` serves)."""
    out = []
    for key in keys:
        jwk = private_jwk(key).as_dict(private=False)
        jwk["key_ops"] = ["verify"]
        out.append(jwk)
    return {"keys": out}


def generate_pem(alg: str) -> bytes:
    """A new unencrypted PKCS#8 PEM private key for ``alg`` (ES384: P-384; RS384: RSA 3072)."""
    if alg == "ES384":
        key = ECKey.generate_key("P-384", private=True)
    elif alg == "RS384":
        key = RSAKey.generate_key(3072, private=True)
    else:
        raise ValueError(f"signing algorithm {alg!r} is not supported; expected ES384 or RS384")
    return key.as_pem(private=True)
