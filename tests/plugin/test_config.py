"""Strict configuration: file + environment, unknown keys refused, secrets never in the file."""

from __future__ import annotations

import re

import pytest

from plugin.config import ConfigError, config_from_mapping, load_config
from plugin.smart.keys import generate_pem
from plugin.smart.scopes import REQUESTED_SCOPES, REQUIRED_SCOPES

TOML = """
[app]
public_url = "https://fpcds.hospital.example/"
instance_dir = "instance"
secret_key_file = "secret"
max_upload_mb = 64

[[keys]]
kid = "k1"
alg = "ES384"
private_key_file = "k1.pem"

[[tenants]]
name = "Main EHR"
iss = "https://ehr.hospital.example/fhir/"
client_id = "fpcds"
auth_method = "private_key_jwt"
key_id = "k1"
ehr_origins = ["https://ehr.hospital.example"]

[[tenants]]
name = "Clinic"
iss = "https://clinic.example/r4"
client_id = "fpcds-clinic"
auth_method = "public"
scopes = "launch openid fhirUser patient/Patient.r patient/Observation.cu"
"""

YAML = """
app:
  public_url: https://fpcds.hospital.example
  instance_dir: instance
  secret_key_file: secret
keys:
  - {kid: k1, alg: ES384, private_key_file: k1.pem}
tenants:
  - name: Main EHR
    iss: https://ehr.hospital.example/fhir
    client_id: fpcds
    auth_method: private_key_jwt
    key_id: k1
    ehr_origins: [https://ehr.hospital.example]
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "secret").write_text("x" * 40 + "\n")
    (tmp_path / "k1.pem").write_bytes(generate_pem("ES384"))
    return tmp_path


def _valid(folder) -> dict:
    return {
        "app": {"public_url": "https://fpcds.example", "instance_dir": str(folder / "i"),
                "secret_key_file": str(folder / "secret")},
        "keys": [{"kid": "k1", "alg": "ES384", "private_key_file": str(folder / "k1.pem")}],
        "tenants": [{"iss": "https://ehr.example/fhir", "client_id": "c", "auth_method": "private_key_jwt",
                     "key_id": "k1"}],
    }


def test_toml_file(folder):
    path = folder / "fpcds.toml"
    path.write_text(TOML)
    config = load_config(path, environ={})
    assert config.public_url == "https://fpcds.hospital.example"
    assert config.instance_dir == folder / "instance"
    assert config.secret_key == b"x" * 40
    assert config.max_upload_mb == 64
    assert config.redirect_uri == "https://fpcds.hospital.example/callback"
    main, clinic = config.tenants
    assert main.iss == "https://ehr.hospital.example/fhir"
    assert main.scopes == REQUESTED_SCOPES and main.required_scopes == REQUIRED_SCOPES
    assert clinic.scopes == ("launch", "openid", "fhirUser", "patient/Patient.r", "patient/Observation.cu")
    assert config.tenant_for("https://ehr.hospital.example/fhir/") is main
    assert config.tenant_for("https://other.example/fhir") is None
    assert config.frame_ancestors == ("https://ehr.hospital.example",)
    assert config.key("k1").alg == "ES384"
    assert not config.dev_http


def test_yaml_file_means_the_same(folder):
    (folder / "a.toml").write_text(TOML)
    (folder / "a.yaml").write_text(YAML)
    toml, yaml = load_config(folder / "a.toml", environ={}), load_config(folder / "a.yaml", environ={})
    assert toml.tenants[0] == yaml.tenants[0]
    assert toml.keys == yaml.keys


def test_config_path_from_environment(folder):
    (folder / "a.yaml").write_text(YAML)
    config = load_config(environ={"FPCDS_CONFIG": str(folder / "a.yaml")})
    assert config.source == str(folder / "a.yaml")


def test_environment_overrides_and_secrets(folder):
    data = _valid(folder)
    del data["app"]["secret_key_file"]
    env = {"FPCDS_SECRET_KEY": "e" * 32, "FPCDS_PUBLIC_URL": "https://proxy.example/fpcds",
           "FPCDS_INSTANCE_DIR": str(folder / "other")}
    config = config_from_mapping(data, environ=env)
    assert config.secret_key == b"e" * 32
    assert config.public_url == "https://proxy.example/fpcds"
    assert config.instance_dir == folder / "other"


def test_private_key_from_environment(folder):
    data = _valid(folder)
    data["keys"][0] = {"kid": "k1", "alg": "RS384", "private_key_env": "FPCDS_KEY_K1"}
    config = config_from_mapping(data, environ={"FPCDS_KEY_K1": generate_pem("RS384").decode()})
    assert config.key("k1").alg == "RS384"


def test_dev_http_only_on_loopback(folder):
    data = _valid(folder)
    data["app"]["public_url"] = "http://127.0.0.1:8000"
    assert config_from_mapping(data, environ={}).dev_http
    data["app"]["public_url"] = "http://fpcds.hospital.example"
    with pytest.raises(ConfigError, match=re.escape("public_url 'http://fpcds.hospital.example' must use https "
                                                    "(plain http only on 127.0.0.1/localhost)")):
        config_from_mapping(data, environ={})


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.update(extra=1), "unknown key(s) in top level: extra"),
    (lambda d: d["app"].update(debug=True), "unknown key(s) in [app]: debug"),
    (lambda d: d["tenants"][0].update(clientid="x"), "unknown key(s) in [[tenants]] #1: clientid"),
    (lambda d: d["keys"][0].update(password="x"), "unknown key(s) in [[keys]] #1: password"),
    (lambda d: d["app"].pop("public_url"), "[app] public_url is required"),
    (lambda d: d["app"].update(public_url="https://x.example/?a=1"), "must be an absolute URL without query"),
    (lambda d: d["app"].pop("instance_dir"), "[app] instance_dir is required"),
    (lambda d: d["app"].update(secret_key="inline"), "[app] secret_key must not be written in the file"),
    (lambda d: d["app"].pop("secret_key_file"), "no secret key: set FPCDS_SECRET_KEY or [app] secret_key_file"),
    (lambda d: d["app"].update(secret_key_file="/nonexistent/secret"), "secret_key_file '/nonexistent/secret' cannot be read"),
    (lambda d: d["app"].update(max_upload_mb=0), "[app] max_upload_mb is 0; expected 1 to 100000"),
    (lambda d: d["app"].update(max_upload_mb="big"), "[app] max_upload_mb must be a number; found 'big'"),
    (lambda d: d["app"].update(readyz_checks_ehr="yes"), "[app] readyz_checks_ehr must be true or false"),
    (lambda d: d["app"].update(log_level="loud"), "[app] log_level 'loud' is not one of"),
    (lambda d: d.update(tenants=[]), "at least one [[tenants]] entry is required"),
    (lambda d: d["tenants"][0].update(iss="ehr.example/fhir"), "iss 'ehr.example/fhir' must be an absolute FHIR base URL"),
    (lambda d: d["tenants"][0].update(iss="http://ehr.example/fhir"), "must use https (plain http only on loopback)"),
    (lambda d: d["tenants"].append(dict(d["tenants"][0])), "iss 'https://ehr.example/fhir' is listed twice"),
    (lambda d: d["tenants"][0].pop("client_id"), "client_id is required"),
    (lambda d: d["tenants"][0].update(auth_method="secret"), "auth_method 'secret' is not one of public, private_key_jwt"),
    (lambda d: d["tenants"][0].pop("key_id"), "key_id is required for private_key_jwt"),
    (lambda d: d["tenants"][0].update(key_id="k2"), "key_id 'k2' is not among [[keys]]"),
    (lambda d: d["tenants"][0].update(auth_method="public"), "key_id is only used with auth_method private_key_jwt"),
    (lambda d: d["tenants"][0].update(ehr_origins=["https://ehr.example/page"]), "is not an origin (scheme://host[:port])"),
    (lambda d: d["tenants"][0].update(scopes=""), "scopes is empty"),
    (lambda d: d["tenants"][0].update(scopes=5), "scopes must be a space-separated string or a list of strings"),
    (lambda d: d["keys"][0].update(alg="HS256"), "alg 'HS256' is not supported; expected one of ES384, RS384"),
    (lambda d: d["keys"][0].update(alg="RS384"), "RS384 needs an RSA key of at least 2048 bits"),
    (lambda d: d["keys"][0].update(private_key_env="X"), "give exactly one of private_key_file or private_key_env"),
    (lambda d: d["keys"][0].pop("kid"), "kid is required"),
    (lambda d: d["keys"].append(dict(d["keys"][0])), "kid 'k1' is used twice"),
])
def test_invalid_settings_are_refused_with_the_key_named(folder, mutate, message):
    data = _valid(folder)
    mutate(data)
    with pytest.raises(ConfigError, match=re.escape(message)):
        config_from_mapping(data, environ={})


def test_private_key_env_must_be_set(folder):
    data = _valid(folder)
    data["keys"][0] = {"kid": "k1", "alg": "ES384", "private_key_env": "FPCDS_KEY_K1"}
    with pytest.raises(ConfigError, match="environment variable FPCDS_KEY_K1 is not set"):
        config_from_mapping(data, environ={})


def test_key_file_must_be_a_pem_key(folder):
    (folder / "k1.pem").write_text("not a key")
    with pytest.raises(ConfigError, match=re.escape("[[keys]] #1 (k1): not an unencrypted PEM private key")):
        config_from_mapping(_valid(folder), environ={})


def test_short_secret_is_refused(folder):
    (folder / "secret").write_text("short")
    with pytest.raises(ConfigError, match="the secret key has 5 bytes; expected at least 32"):
        config_from_mapping(_valid(folder), environ={})


def test_file_errors_name_the_file(folder):
    with pytest.raises(ConfigError, match=re.escape(f"{folder / 'none.toml'}: no such file")):
        load_config(folder / "none.toml", environ={})
    (folder / "c.ini").write_text("[app]")
    with pytest.raises(ConfigError, match=r"c\.ini: file type '\.ini' is not supported; use \.toml, \.yaml or \.yml"):
        load_config(folder / "c.ini", environ={})
    (folder / "bad.toml").write_text("[app\n")
    with pytest.raises(ConfigError, match=r"bad\.toml: cannot be parsed"):
        load_config(folder / "bad.toml", environ={})
    (folder / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match=r"list\.yaml: the top level must be a table/mapping"):
        load_config(folder / "list.yaml", environ={})
    with pytest.raises(ConfigError, match="environment: no configuration file: pass --config FILE or set FPCDS_CONFIG"):
        load_config(environ={})


def test_repr_does_not_show_secrets(folder):
    config = config_from_mapping(_valid(folder), environ={})
    assert "xxxx" not in repr(config) and "PRIVATE KEY" not in repr(config)
