"""Valid configurations load into the typed model, with the contract's defaults."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import socket
from pathlib import Path

import pytest

from setsmart.config import (
    CloudConfig,
    Config,
    DeviceConfig,
    HomeAssistantConfig,
    LanConfig,
    MqttConfig,
    Secret,
    TlsConfig,
    load_config,
)

from .conftest import Load

KEY = "k9#Rz;v2!xQ@7mLp"


def test_minimal_config_gets_every_default(load: Load, config_dir: Path) -> None:
    config = load(
        """
        devices:
          - id: bf01
            name: plug
        """
    )
    assert config.mqtt == MqttConfig(
        host="localhost",
        port=1883,
        username=None,
        password=None,
        tls=None,
        base_topic="setsmart",
        client_id=f"setsmart-{socket.gethostname()}",
    )
    assert config.homeassistant == HomeAssistantConfig(discovery=True, prefix="homeassistant")
    assert config.lan == LanConfig(
        discovery=True,
        bind="0.0.0.0",
        discovery_ports=(6666, 6667, 7000),
        probe="255.255.255.255",
        heartbeat=10,
        poll=30,
        energy_poll=5,
        timeout=5,
    )
    assert config.cloud is None
    assert config.devices == (
        DeviceConfig(
            id="bf01",
            name="plug",
            type="auto",
            local_key=None,
            host=None,
            port=6668,
            version=None,
            dps={},
            cloud=True,
        ),
    )
    assert config.source == config_dir / "config.yaml"


def test_empty_mapping_and_null_sections_are_defaults(load: Load) -> None:
    assert load("{}") == Config()
    assert load("mqtt:\nlan:\nhomeassistant:\ncloud:\ndevices:\n") == Config()


def test_every_key_is_read(load: Load, config_dir: Path) -> None:
    (config_dir / "ca.pem").write_text("ca")
    (config_dir / "client.pem").write_text("cert")
    (config_dir / "client.key").write_text("key")
    config = load(
        f"""
        mqtt:
          host: broker.lan
          port: 8884
          username: setsmart
          password: hunter2
          tls: {{ca_file: ca.pem, cert_file: client.pem, key_file: client.key}}
          base_topic: home/tuya
          client_id: pi-setsmart
        homeassistant:
          discovery: false
          prefix: ha
        lan:
          discovery: false
          bind: 192.168.1.2
          discovery_ports: [6667]
          probe: 192.168.1.255
          heartbeat: 7.5
          poll: 0
          energy_poll: 0
          timeout: 2
        cloud:
          region: us-e
          api_key: abcdef
          api_secret: s3cret
          endpoint: http://127.0.0.1:8080/
          poll: 0
          fallback: false
        devices:
          - id: bf01
            name: Kitchen-Plug_1
            type: plug
            local_key: '{KEY}'
            host: 192.168.1.41
            port: 6669
            version: "3.4"
            dps: {{power: 19, state_l1: 1}}
            cloud: false
        """
    )
    assert config.mqtt == MqttConfig(
        host="broker.lan",
        port=8884,
        username=Secret("setsmart"),
        password=Secret("hunter2"),
        tls=TlsConfig(
            ca_file=config_dir / "ca.pem",
            cert_file=config_dir / "client.pem",
            key_file=config_dir / "client.key",
        ),
        base_topic="home/tuya",
        client_id="pi-setsmart",
    )
    assert config.homeassistant == HomeAssistantConfig(discovery=False, prefix="ha")
    assert config.lan == LanConfig(
        discovery=False,
        bind="192.168.1.2",
        discovery_ports=(6667,),
        probe="192.168.1.255",
        heartbeat=7.5,
        poll=0,
        energy_poll=0,
        timeout=2,
    )
    assert config.cloud == CloudConfig(
        region="us-e",
        api_key=Secret("abcdef"),
        api_secret=Secret("s3cret"),
        endpoint="http://127.0.0.1:8080/",
        poll=0,
        fallback=False,
    )
    (device,) = config.devices
    assert device == DeviceConfig(
        id="bf01",
        name="Kitchen-Plug_1",
        type="plug",
        local_key=Secret(KEY),
        host="192.168.1.41",
        port=6669,
        version="3.4",
        dps={"power": 19, "state_l1": 1},
        cloud=False,
    )
    assert device.local_key is not None
    assert device.local_key.reveal() == KEY


@pytest.mark.parametrize(("tls", "port"), [("true", 8883), ("false", 1883), ("{}", 8883)])
def test_mqtt_port_follows_tls(load: Load, tls: str, port: int) -> None:
    config = load(f"mqtt: {{tls: {tls}}}")
    assert config.mqtt.port == port
    assert (config.mqtt.tls == TlsConfig()) is (port == 8883)


def test_tls_key_file_comes_from_credentials_directory(load: Load, config_dir: Path) -> None:
    credentials = config_dir / "creds"
    credentials.mkdir()
    (credentials / "client.key").write_text("key")
    (config_dir / "client.pem").write_text("cert")
    config = load(
        "mqtt: {tls: {cert_file: client.pem, key_file: client.key}}",
        {"CREDENTIALS_DIRECTORY": str(credentials)},
    )
    assert config.mqtt.tls == TlsConfig(
        cert_file=config_dir / "client.pem", key_file=credentials / "client.key"
    )


def test_probe_null_means_never(load: Load) -> None:
    assert load("lan: {probe: null}").lan.probe is None
    assert load("lan: {probe: '::1'}").lan.probe == "::1"


@pytest.mark.parametrize("written", ["3.3", '"3.3"', "'3.3'"])
def test_version_number_or_string_is_stored_as_string(load: Load, written: str) -> None:
    config = load(f"devices: [{{id: a, name: b, version: {written}}}]")
    assert config.devices[0].version == "3.3"


def test_plain_scalars_that_look_like_numbers_are_strings_where_strings_are_expected(
    load: Load,
) -> None:
    config = load(
        """
        devices:
          - id: 0x12345678901234567
            name: 2024-01-01
            local_key: 1234567890123456
            host: yes
        """
    )
    device = config.devices[0]
    assert (device.id, device.name, device.host) == ("0x12345678901234567", "2024-01-01", "yes")
    assert device.local_key == Secret("1234567890123456")


def test_anchors_and_merge_keys(load: Load) -> None:
    config = load(
        """
        devices:
          - &plug {id: a, name: first, type: plug, version: 3.3, dps: {power: 19}}
          - <<: *plug
            id: b
            name: second
          - <<: [{type: bulb}, *plug]
            id: c
            name: third
        """
    )
    assert [(d.id, d.name, d.type, d.version) for d in config.devices] == [
        ("a", "first", "plug", "3.3"),
        ("b", "second", "plug", "3.3"),
        ("c", "third", "bulb", "3.3"),
    ]
    assert config.devices[1].dps == {"power": 19}


def test_utf8_byte_order_mark_is_accepted(config_dir: Path) -> None:
    (config_dir / "bom.yaml").write_bytes(b"\xef\xbb\xbfdevices: [{id: a, name: b}]\n")
    assert load_config(config_dir / "bom.yaml", environ={}).devices[0].name == "b"


def test_environ_defaults_to_the_process_environment(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SETSMART_TEST_BROKER", "mqtt.example")
    (config_dir / "env.yaml").write_text("mqtt: {host: '${SETSMART_TEST_BROKER}'}\n")
    assert load_config(config_dir / "env.yaml").mqtt.host == "mqtt.example"


def test_models_are_frozen(load: Load) -> None:
    config = load("devices: [{id: a, name: b, dps: {power: 19}}]")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.mqtt.host = "elsewhere"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.devices[0].dps["power"] = 20  # type: ignore[index]


def test_find_device_by_name_then_id() -> None:
    first = DeviceConfig(id="abc", name="kitchen")
    second = DeviceConfig(id="kitchen2", name="abc")
    config = Config(devices=(first, second))
    assert config.find_device("kitchen") is first
    assert config.find_device("abc") is second
    assert config.find_device("kitchen2") is second
    assert config.find_device("nothing") is None


def test_dps_is_a_read_only_hashable_dict() -> None:
    device = DeviceConfig(id="a", name="b", dps={"power": 19})
    assert device.dps == {"power": 19}
    assert hash(device) == hash(DeviceConfig(id="a", name="b", dps={"power": 19}))
    assert copy.deepcopy(device) == device
    assert copy.copy(device.dps) is device.dps
    assert pickle.loads(pickle.dumps(device.dps)) == {"power": 19}  # noqa: S301  # our own bytes
    assert json.dumps(device.dps) == '{"power": 19}'
    with pytest.raises(TypeError, match="read-only"):
        device.dps.clear()  # type: ignore[attr-defined]
    assert dataclasses.asdict(device)["dps"] == {"power": 19}
