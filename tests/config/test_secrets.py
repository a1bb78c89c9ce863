"""Secrets: from the file, from ``X_file``, from systemd credentials; never shown."""

from __future__ import annotations

import copy
import dataclasses
import logging
import pickle
from pathlib import Path

import pytest

from setsmart.config import ConfigError, Secret, TlsConfig

from .conftest import Load, Problems

KEY = "k9#Rz;v2!xQ@7mLp"


def test_secret_hides_its_value_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret(KEY)
    assert secret.reveal() == KEY
    for shown in (repr(secret), str(secret), f"{secret}", f"{secret!r}", format(secret, "")):
        assert KEY not in shown
        assert "*" in shown
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("key is %s / %r", secret, secret)
    assert KEY not in caplog.text


def test_secret_equality_copy_and_pickle() -> None:
    secret = Secret(KEY, file="key.txt")
    assert secret == Secret(KEY)
    assert secret != Secret("other")
    assert secret != KEY
    assert hash(secret) == hash(Secret(KEY))
    assert copy.copy(secret) is secret
    assert copy.deepcopy(secret) is secret
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(secret)


def test_config_repr_and_asdict_show_no_secret(load: Load) -> None:
    config = load(
        f"""
        mqtt: {{username: admin-user, password: hunter2hunter2}}
        cloud: {{api_key: access-id-123, api_secret: cloud-secret-456}}
        devices: [{{id: a, name: b, local_key: '{KEY}'}}]
        """
    )
    shown = repr(config) + str(dataclasses.asdict(config))
    for secret in ("admin-user", "hunter2hunter2", "access-id-123", "cloud-secret-456", KEY):
        assert secret not in shown


def test_secret_files_relative_to_the_config_directory(load: Load, config_dir: Path) -> None:
    (config_dir / "mqtt-password").write_text("hunter2\n")
    (config_dir / "keys").mkdir()
    (config_dir / "keys" / "plug.key").write_text(KEY + "\r\n")
    config = load(
        """
        mqtt: {username: setsmart, password_file: mqtt-password}
        devices: [{id: a, name: b, local_key_file: keys/plug.key}]
        """
    )
    assert config.mqtt.password == Secret("hunter2")
    assert config.mqtt.password is not None
    assert config.mqtt.password.file == "mqtt-password"
    assert config.devices[0].local_key == Secret(KEY)


def test_secret_files_from_credentials_directory(
    load: Load, config_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    credentials = tmp_path_factory.mktemp("credentials")
    (credentials / "api-secret").write_text("from-credentials")
    (credentials / "api-key").write_text("key-from-credentials")
    absolute = config_dir / "absolute-key"
    absolute.write_text("absolute")
    config = load(
        f"""
        cloud:
          api_key_file: {absolute}
          api_secret_file: api-secret
        mqtt:
          username_file: ${{CREDENTIALS_DIRECTORY}}/api-key
        """,
        {"CREDENTIALS_DIRECTORY": str(credentials)},
    )
    assert config.cloud is not None
    assert config.cloud.api_key == Secret("absolute")
    assert config.cloud.api_secret == Secret("from-credentials")
    assert config.mqtt.username == Secret("key-from-credentials")


def test_secret_and_secret_file_together_is_an_error(problems: Problems) -> None:
    assert problems(
        """
        mqtt:
          password: a
          password_file: b
        """
    ) == ["config.yaml:4: mqtt.password_file: give either password or password_file, not both"]


def test_missing_secret_file_names_key_and_path(problems: Problems, config_dir: Path) -> None:
    assert problems("cloud: {api_key: a, api_secret_file: nothing-here}") == [
        f"config.yaml:1: cloud.api_secret_file: cannot read {config_dir / 'nothing-here'}: "
        "No such file or directory"
    ]


def test_secret_file_not_utf8(problems: Problems, config_dir: Path) -> None:
    (config_dir / "bin.key").write_bytes(b"\xff\xfe" * 8)
    assert problems("devices: [{id: a, name: b, local_key_file: bin.key}]") == [
        f"config.yaml:1: devices[0].local_key_file: {config_dir / 'bin.key'} is not UTF-8 text"
    ]


def test_wrong_length_key_from_file_says_length_only(problems: Problems, config_dir: Path) -> None:
    (config_dir / "plug.key").write_text("0123456789abcdefXYZ\n")
    lines = problems("devices: [{id: a, name: b, local_key_file: plug.key}]")
    assert lines == ["config.yaml:1: devices[0].local_key_file: must be 16 characters, got 19"]


def test_secret_must_be_a_string(problems: Problems) -> None:
    assert problems("mqtt: {password: [hunter2]}") == [
        "config.yaml:1: mqtt.password: must be a string, got a list"
    ]


def test_messages_never_contain_secret_values(problems: Problems, config_dir: Path) -> None:
    short_key = "s3cr#t-k3y!"
    (config_dir / "long.key").write_text("L0ng-s3cret-key-value-here")
    lines = problems(
        f"""
        mqtt:
          password: 'p${{NOT_SET}}w0rd-s3cret'
        cloud:
          api_key: ''
          api_secret: 'abc${{x-y}}def-secret'
        devices:
          - id: a
            name: b
            local_key: '{short_key}'
          - id: c
            name: d
            local_key: "\\u00e90123456789abcde"
          - id: e
            name: f
            local_key_file: long.key
        """
    )
    assert lines == [
        "config.yaml:3: mqtt.password: a '${...}' reference in this secret cannot be "
        "replaced (write '$${' for a literal '${')",
        "config.yaml:5: cloud.api_key: must not be empty",
        "config.yaml:6: cloud.api_secret: a '${...}' reference in this secret cannot be "
        "replaced (write '$${' for a literal '${')",
        "config.yaml:10: devices[0].local_key: must be 16 characters, got 11",
        "config.yaml:13: devices[1].local_key: must be printable ASCII characters",
        "config.yaml:16: devices[2].local_key_file: must be 16 characters, got 26",
    ]
    text = "\n".join(lines)
    for fragment in ("w0rd", "NOT_SET", "def-secret", "x-y", short_key, "L0ng", "0123456789"):
        assert fragment not in text


def test_whole_reference_in_secret_names_the_variable(problems: Problems) -> None:
    assert problems("mqtt: {password: '${MQTT_PASSWORD}'}") == [
        "config.yaml:1: mqtt.password: environment variable MQTT_PASSWORD is not set"
    ]


def test_tls_files_must_exist_and_key_needs_cert(problems: Problems, config_dir: Path) -> None:
    (config_dir / "client.key").write_text("k")
    assert problems(
        """
        mqtt:
          tls:
            ca_file: missing-ca.pem
            key_file: client.key
        """
    ) == [
        f"config.yaml:4: mqtt.tls.ca_file: no such file: {config_dir / 'missing-ca.pem'}",
        "config.yaml:5: mqtt.tls.key_file: needs cert_file (the client certificate)",
    ]


def test_tls_null_is_off(load: Load) -> None:
    assert load("mqtt: {tls: null}").mqtt.tls is None
    assert load("mqtt: {tls: {ca_file: null}}").mqtt.tls == TlsConfig()


def test_error_type_is_config_error(problems: Problems) -> None:
    assert issubclass(ConfigError, Exception)
    assert problems("mqtt: {password_file: ''}")[0].startswith(
        "config.yaml:1: mqtt.password_file: cannot read"
    )
