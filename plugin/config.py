"""Strict settings of the web app: one TOML or YAML file plus the environment.

The file has three parts; every key is checked and unknown keys are refused
with a message naming the file and the key::

    [app]
    public_url = "https://fpcds.hospital.example"   # where browsers reach the app
    instance_dir = "/var/lib/fpcds"                 # SQLite store, uploaded sessions
    secret_key_file = "/run/secrets/fpcds-secret"   # or env FPCDS_SECRET_KEY
    max_upload_mb = 512
    launch_ttl_hours = 12
    readyz_checks_ehr = true
    fhir_timeout_s = 15
    log_level = "INFO"

    [[keys]]                                        # private_key_jwt signing keys
    kid = "fpcds-es384-1"
    alg = "ES384"                                   # ES384 or RS384
    private_key_file = "/run/secrets/fpcds-es384.pem"   # or private_key_env = "VAR"

    [[tenants]]                                     # the issuer allowlist
    name = "Main hospital EHR"
    iss = "https://ehr.hospital.example/fhir"
    client_id = "fpcds"
    auth_method = "private_key_jwt"                 # or "public"
    key_id = "fpcds-es384-1"                        # required for private_key_jwt
    ehr_origins = ["https://ehr.hospital.example"]  # CSP frame-ancestors
    scopes = "launch openid fhirUser ..."           # optional; default REQUESTED_SCOPES

Secrets never live in the file itself: the secret key comes from
``FPCDS_SECRET_KEY`` or ``secret_key_file``, private keys from a file or a
named environment variable. ``FPCDS_PUBLIC_URL`` and ``FPCDS_INSTANCE_DIR``
override the file. ``public_url`` must be https, except http on a loopback
host (127.0.0.1, localhost, ::1) for development: then cookies are sent
without ``Secure`` and with ``SameSite=Lax``, which browsers accept inside
an iframe only when the EHR is on the same loopback host.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

import yaml

from acquisition.errors import FpcdsError

from .smart.scopes import REQUESTED_SCOPES, REQUIRED_SCOPES

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
AUTH_METHODS = ("public", "private_key_jwt")
KEY_ALGS = ("ES384", "RS384")
_APP_KEYS = {
    "public_url", "instance_dir", "secret_key", "secret_key_file", "max_upload_mb", "launch_ttl_hours",
    "readyz_checks_ehr", "fhir_timeout_s", "log_level",
}
_KEY_KEYS = {"kid", "alg", "private_key_file", "private_key_env"}
_TENANT_KEYS = {"name", "iss", "client_id", "auth_method", "key_id", "ehr_origins", "scopes", "required_scopes"}
_TOP_KEYS = {"app", "keys", "tenants"}


class ConfigError(FpcdsError):
    """The configuration is missing, malformed or inconsistent.

    Parameters
    ----------
    source : str
        The file (or ``"environment"`` / ``"test config"``) the problem is in.
    problem : str
        What is wrong, naming the key.
    """

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


@dataclass(frozen=True)
class SigningKey:
    """A private key the app signs client assertions with (private_key_jwt)."""

    kid: str
    alg: str
    pem: bytes = field(repr=False)


@dataclass(frozen=True)
class Tenant:
    """One EHR allowed to launch the app: its FHIR base (``iss``) and our registration there."""

    name: str
    iss: str
    client_id: str
    auth_method: str
    key_id: str | None
    ehr_origins: tuple[str, ...]
    scopes: tuple[str, ...]
    required_scopes: tuple[str, ...]


@dataclass(frozen=True)
class AppConfig:
    """The validated settings of one app instance."""

    public_url: str
    instance_dir: Path
    secret_key: bytes = field(repr=False)
    tenants: tuple[Tenant, ...]
    keys: tuple[SigningKey, ...] = ()
    max_upload_mb: int = 512
    launch_ttl_hours: float = 12.0
    readyz_checks_ehr: bool = True
    fhir_timeout_s: float = 15.0
    log_level: str = "INFO"
    source: str = "test config"

    @property
    def dev_http(self) -> bool:
        """True when served over plain http on a loopback host (development only)."""
        return urlsplit(self.public_url).scheme == "http"

    @property
    def redirect_uri(self) -> str:
        """The OAuth redirect URI registered with every tenant."""
        return f"{self.public_url}/callback"

    @property
    def launch_url(self) -> str:
        """The SMART launch URL registered with every tenant."""
        return f"{self.public_url}/launch"

    @property
    def frame_ancestors(self) -> tuple[str, ...]:
        """Origins allowed to frame the app (CSP ``frame-ancestors``)."""
        seen: dict[str, None] = {}
        for tenant in self.tenants:
            for origin in tenant.ehr_origins:
                seen[origin] = None
        return tuple(seen)

    def tenant_for(self, iss: str) -> Tenant | None:
        """The tenant whose ``iss`` equals ``iss`` (trailing slash ignored), or None."""
        wanted = iss.rstrip("/")
        for tenant in self.tenants:
            if tenant.iss == wanted:
                return tenant
        return None

    def key(self, kid: str) -> SigningKey:
        for key in self.keys:
            if key.kid == kid:
                return key
        raise ConfigError(self.source, f"no signing key with kid {kid!r}")


def load_config(path: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None) -> AppConfig:
    """Read and validate the settings file named by ``path`` or ``$FPCDS_CONFIG``.

    Raises
    ------
    ConfigError
        When the file is missing, cannot be parsed, has unknown keys or
        inconsistent values; the message names the file and the key.
    """
    env = os.environ if environ is None else environ
    path = path or env.get("FPCDS_CONFIG")
    if not path:
        raise ConfigError("environment", "no configuration file: pass --config FILE or set FPCDS_CONFIG")
    source = str(path)
    file = Path(path)
    if not file.is_file():
        raise ConfigError(source, "no such file")
    text = file.read_text(encoding="utf-8")
    suffix = file.suffix.lower()
    try:
        if suffix == ".toml":
            data = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text) or {}
        else:
            raise ConfigError(source, f"file type {suffix or '(none)'!r} is not supported; use .toml, .yaml or .yml")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(source, f"cannot be parsed: {exc}") from None
    return config_from_mapping(data, source=source, environ=env, base_dir=file.parent)


def config_from_mapping(data: Any, *, source: str = "test config", environ: Mapping[str, str] | None = None,
                        base_dir: Path | None = None) -> AppConfig:
    """Validate settings given as a mapping with the file's structure."""
    env = os.environ if environ is None else environ
    base = base_dir or Path.cwd()
    if not isinstance(data, Mapping):
        raise ConfigError(source, "the top level must be a table/mapping with [app], [[keys]] and [[tenants]]")
    _refuse_unknown(source, "top level", data, _TOP_KEYS)
    app = data.get("app") or {}
    if not isinstance(app, Mapping):
        raise ConfigError(source, "[app] must be a table")
    _refuse_unknown(source, "[app]", app, _APP_KEYS)

    public_url = str(env.get("FPCDS_PUBLIC_URL") or app.get("public_url") or "").rstrip("/")
    public_url = _check_public_url(source, public_url)
    instance = env.get("FPCDS_INSTANCE_DIR") or app.get("instance_dir")
    if not instance:
        raise ConfigError(source, "[app] instance_dir is required (or set FPCDS_INSTANCE_DIR)")
    instance_dir = Path(instance)
    if not instance_dir.is_absolute():
        instance_dir = (base / instance_dir).resolve()

    secret = _secret_key(source, app, env, base)
    keys = _signing_keys(source, data.get("keys") or [], env, base)
    tenants = _tenants(source, data.get("tenants"), keys)
    return AppConfig(
        public_url=public_url,
        instance_dir=instance_dir,
        secret_key=secret,
        tenants=tenants,
        keys=keys,
        max_upload_mb=_number(source, "[app] max_upload_mb", app.get("max_upload_mb", 512), int, 1, 100_000),
        launch_ttl_hours=_number(source, "[app] launch_ttl_hours", app.get("launch_ttl_hours", 12), float, 0.1, 24 * 30),
        readyz_checks_ehr=_bool(source, "[app] readyz_checks_ehr", app.get("readyz_checks_ehr", True)),
        fhir_timeout_s=_number(source, "[app] fhir_timeout_s", app.get("fhir_timeout_s", 15), float, 0.5, 300),
        log_level=_log_level(source, app.get("log_level", "INFO")),
        source=source,
    )


def _refuse_unknown(source: str, where: str, table: Mapping[str, Any], known: set[str]) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(source, f"unknown key(s) in {where}: {', '.join(unknown)}; known: {', '.join(sorted(known))}")


def _check_public_url(source: str, url: str) -> str:
    if not url:
        raise ConfigError(source, "[app] public_url is required (or set FPCDS_PUBLIC_URL)")
    parts = urlsplit(url)
    if parts.query or parts.fragment or not parts.hostname:
        raise ConfigError(source, f"[app] public_url {url!r} must be an absolute URL without query or fragment")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return url
    raise ConfigError(source, f"[app] public_url {url!r} must use https (plain http only on 127.0.0.1/localhost)")


def _read_secret_file(source: str, key: str, value: Any, base: Path) -> bytes:
    path = Path(str(value))
    if not path.is_absolute():
        path = base / path
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(source, f"{key} {str(path)!r} cannot be read: {exc.strerror}") from None


def _secret_key(source: str, app: Mapping[str, Any], env: Mapping[str, str], base: Path) -> bytes:
    if "secret_key" in app:
        raise ConfigError(source, "[app] secret_key must not be written in the file; use secret_key_file or FPCDS_SECRET_KEY")
    if env.get("FPCDS_SECRET_KEY"):
        secret = env["FPCDS_SECRET_KEY"].encode()
    elif app.get("secret_key_file"):
        secret = _read_secret_file(source, "[app] secret_key_file", app["secret_key_file"], base).strip()
    else:
        raise ConfigError(source, "no secret key: set FPCDS_SECRET_KEY or [app] secret_key_file")
    if len(secret) < 32:
        raise ConfigError(source, f"the secret key has {len(secret)} bytes; expected at least 32")
    return secret


def _signing_keys(source: str, raw: Any, env: Mapping[str, str], base: Path) -> tuple[SigningKey, ...]:
    if not isinstance(raw, list):
        raise ConfigError(source, "[[keys]] must be a list of tables")
    keys: list[SigningKey] = []
    for i, entry in enumerate(raw):
        where = f"[[keys]] #{i + 1}"
        if not isinstance(entry, Mapping):
            raise ConfigError(source, f"{where} must be a table")
        _refuse_unknown(source, where, entry, _KEY_KEYS)
        kid = str(entry.get("kid") or "")
        if not kid:
            raise ConfigError(source, f"{where}: kid is required")
        alg = str(entry.get("alg") or "")
        if alg not in KEY_ALGS:
            raise ConfigError(source, f"{where} ({kid}): alg {alg!r} is not supported; expected one of {', '.join(KEY_ALGS)}")
        given = [k for k in ("private_key_file", "private_key_env") if entry.get(k)]
        if len(given) != 1:
            raise ConfigError(source, f"{where} ({kid}): give exactly one of private_key_file or private_key_env")
        if given[0] == "private_key_file":
            pem = _read_secret_file(source, f"{where} ({kid}) private_key_file", entry["private_key_file"], base)
        else:
            name = str(entry["private_key_env"])
            if not env.get(name):
                raise ConfigError(source, f"{where} ({kid}): environment variable {name} is not set")
            pem = env[name].encode()
        if any(k.kid == kid for k in keys):
            raise ConfigError(source, f"{where}: kid {kid!r} is used twice")
        _check_private_key(source, where, kid, alg, pem)
        keys.append(SigningKey(kid, alg, pem))
    return tuple(keys)


def _check_private_key(source: str, where: str, kid: str, alg: str, pem: bytes) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(source, f"{where} ({kid}): not an unencrypted PEM private key ({exc})") from None
    if alg == "ES384" and not (isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp384r1"):
        raise ConfigError(source, f"{where} ({kid}): ES384 needs a P-384 EC key")
    if alg == "RS384" and not (isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048):
        raise ConfigError(source, f"{where} ({kid}): RS384 needs an RSA key of at least 2048 bits")


def _scope_list(source: str, where: str, value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return default
    if isinstance(value, str):
        items = value.split()
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = [s for v in value for s in v.split()]
    else:
        raise ConfigError(source, f"{where} must be a space-separated string or a list of strings")
    if not items:
        raise ConfigError(source, f"{where} is empty")
    return tuple(dict.fromkeys(items))


def _tenants(source: str, raw: Any, keys: tuple[SigningKey, ...]) -> tuple[Tenant, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(source, "at least one [[tenants]] entry is required (the issuer allowlist)")
    tenants: list[Tenant] = []
    for i, entry in enumerate(raw):
        where = f"[[tenants]] #{i + 1}"
        if not isinstance(entry, Mapping):
            raise ConfigError(source, f"{where} must be a table")
        _refuse_unknown(source, where, entry, _TENANT_KEYS)
        iss = str(entry.get("iss") or "").rstrip("/")
        parts = urlsplit(iss)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
            raise ConfigError(source, f"{where}: iss {iss!r} must be an absolute FHIR base URL")
        if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            raise ConfigError(source, f"{where}: iss {iss!r} must use https (plain http only on loopback)")
        if any(t.iss == iss for t in tenants):
            raise ConfigError(source, f"{where}: iss {iss!r} is listed twice")
        client_id = str(entry.get("client_id") or "")
        if not client_id:
            raise ConfigError(source, f"{where} ({iss}): client_id is required")
        method = str(entry.get("auth_method") or "")
        if method not in AUTH_METHODS:
            raise ConfigError(source, f"{where} ({iss}): auth_method {method!r} is not one of {', '.join(AUTH_METHODS)}")
        key_id = entry.get("key_id")
        if method == "private_key_jwt":
            if not key_id:
                raise ConfigError(source, f"{where} ({iss}): key_id is required for private_key_jwt")
            if not any(k.kid == key_id for k in keys):
                raise ConfigError(source, f"{where} ({iss}): key_id {key_id!r} is not among [[keys]]")
        elif key_id:
            raise ConfigError(source, f"{where} ({iss}): key_id is only used with auth_method private_key_jwt")
        origins = entry.get("ehr_origins") or []
        if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
            raise ConfigError(source, f"{where} ({iss}): ehr_origins must be a list of origins")
        for origin in origins:
            op = urlsplit(origin)
            if op.scheme not in ("https", "http") or not op.hostname or op.path not in ("", "/") or op.query:
                raise ConfigError(source, f"{where} ({iss}): ehr_origins entry {origin!r} is not an origin (scheme://host[:port])")
        tenants.append(Tenant(
            name=str(entry.get("name") or iss),
            iss=iss,
            client_id=client_id,
            auth_method=method,
            key_id=str(key_id) if key_id else None,
            ehr_origins=tuple(o.rstrip("/") for o in origins),
            scopes=_scope_list(source, f"{where} ({iss}) scopes", entry.get("scopes"), REQUESTED_SCOPES),
            required_scopes=_scope_list(source, f"{where} ({iss}) required_scopes", entry.get("required_scopes"),
                                        REQUIRED_SCOPES),
        ))
    return tuple(tenants)


def _number(source: str, key: str, value: Any, kind: type, low: float, high: float):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(source, f"{key} must be a number; found {value!r}")
    if kind is int and not float(value).is_integer():
        raise ConfigError(source, f"{key} must be a whole number; found {value!r}")
    if not low <= value <= high:
        raise ConfigError(source, f"{key} is {value}; expected {low:g} to {high:g}")
    return kind(value)


def _bool(source: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(source, f"{key} must be true or false; found {value!r}")
    return value


def _log_level(source: str, value: Any) -> str:
    level = str(value).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(source, f"[app] log_level {value!r} is not one of DEBUG, INFO, WARNING, ERROR")
    return level
