"""``dump_config`` writes YAML that ``load_config`` reads back equal."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from setsmart.config import (
    CLOUD_REGIONS,
    DEVICE_TYPES,
    PROTOCOL_VERSIONS,
    CloudConfig,
    Config,
    DeviceConfig,
    HomeAssistantConfig,
    LanConfig,
    MqttConfig,
    Secret,
    TlsConfig,
    dump_config,
    load_config,
)
from setsmart.devices import DpLayout, role_names

PRINTABLE = "".join(chr(code) for code in range(0x20, 0x7F))
NO_SPACE = PRINTABLE.replace(" ", "")

ports = st.integers(1, 65535)
seconds = st.floats(min_value=0.001, max_value=1e6, allow_nan=False, allow_infinity=False)
seconds_or_zero = st.just(0.0) | seconds
topics = st.from_regex(r"[A-Za-z0-9_-]{1,12}(/[A-Za-z0-9_-]{1,12}){0,2}", fullmatch=True)
any_text = st.text(st.characters(codec="utf-8"), max_size=40)
secrets = st.builds(Secret, any_text)
hosts = st.text(NO_SPACE, min_size=1, max_size=40)
addresses = st.ip_addresses().map(str)

layouts = st.builds(
    DpLayout,
    id=st.integers(1, 255).map(str),
    scale=st.integers(0, 3),
    min=st.none(),
    max=st.none(),
    step=st.integers(1, 10),
    unit=st.none() | st.sampled_from(["%", "W", "℃"]),
    range=st.just(())
    | st.lists(st.sampled_from(["a", "b", "1"]), min_size=1, unique=True).map(tuple),
)


def _dp(value: int | DpLayout) -> int:
    return value if isinstance(value, int) else int(value.id or 0)


@st.composite
def device_configs(draw: st.DrawFn) -> DeviceConfig:
    kind = draw(st.sampled_from(DEVICE_TYPES))
    dps = draw(
        st.dictionaries(
            st.sampled_from(sorted(role_names(kind))),
            st.integers(1, 255) | layouts,
            max_size=4,
        ).filter(lambda dps: len({_dp(v) for v in dps.values()}) == len(dps))
    )
    return DeviceConfig(
        id=draw(st.text(NO_SPACE.replace("/", "").replace("+", "").replace("#", ""), min_size=1)),
        name=draw(
            st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True).filter(lambda n: n != "bridge")
        ),
        type=kind,
        local_key=draw(st.none() | st.builds(Secret, st.text(PRINTABLE, min_size=16, max_size=16))),
        host=draw(st.none() | hosts),
        port=draw(ports),
        version=draw(st.none() | st.sampled_from(PROTOCOL_VERSIONS)),
        dps=dps,
        cloud=draw(st.booleans()),
        invert=draw(st.booleans()),
        sleep=draw(st.none() | seconds),
    )


devices = device_configs()


@st.composite
def unique_devices(draw: st.DrawFn) -> tuple[DeviceConfig, ...]:
    found = draw(st.lists(devices, max_size=4))
    chosen: list[DeviceConfig] = []
    for device in found:
        if all(device.id != other.id and device.name != other.name for other in chosen):
            chosen.append(device)
    return tuple(chosen)


mqtt_sections = st.builds(
    MqttConfig,
    host=hosts,
    port=ports,
    username=st.none() | secrets,
    password=st.none() | secrets,
    tls=st.none() | st.just(TlsConfig()),
    base_topic=topics,
    client_id=st.text(PRINTABLE, min_size=1, max_size=30),
)
lan_sections = st.builds(
    LanConfig,
    discovery=st.booleans(),
    bind=addresses,
    discovery_ports=st.lists(ports, unique=True, max_size=4).map(tuple),
    probe=st.none() | addresses,
    heartbeat=seconds,
    poll=seconds_or_zero,
    energy_poll=seconds_or_zero,
    timeout=seconds,
)
cloud_sections = st.builds(
    CloudConfig,
    api_key=st.builds(Secret, st.text(PRINTABLE, min_size=1, max_size=40)),
    api_secret=st.builds(Secret, any_text.filter(bool)),
    region=st.sampled_from(CLOUD_REGIONS),
    endpoint=st.none()
    | st.from_regex(r"https?://[a-z0-9.-]{1,20}(:[1-9][0-9]{0,3})?(/[a-z/]*)?", fullmatch=True),
    poll=seconds_or_zero,
    fallback=st.booleans(),
)
configs = st.builds(
    Config,
    mqtt=mqtt_sections,
    homeassistant=st.builds(HomeAssistantConfig, discovery=st.booleans(), prefix=topics),
    lan=lan_sections,
    cloud=st.none() | cloud_sections,
    devices=unique_devices(),
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file for every example (module scope: hypothesis reruns the test body)."""
    return tmp_path_factory.mktemp("dump") / "config.yaml"


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs)
def test_round_trip(scratch: Path, config: Config) -> None:
    scratch.write_text(dump_config(config), encoding="utf-8")
    assert load_config(scratch, environ={}) == config


def test_defaults_are_left_out() -> None:
    config = Config(devices=(DeviceConfig(id="bf01", name="plug"),))
    assert dump_config(config) == "devices:\n- id: bf01\n  name: plug\n"
    assert dump_config(Config()) == "devices: []\n"


def test_local_keys_are_double_quoted_and_dollar_escaped(tmp_path: Path) -> None:
    key = "a'b\"c#d: e${X}\\f"
    assert len(key) == 16
    config = Config(
        devices=(DeviceConfig(id="bf01", name="plug", local_key=Secret(key), version="3.3"),)
    )
    text = dump_config(config)
    assert 'local_key: "a\'b\\"c#d: e$${X}\\\\f"' in text
    assert 'version: "3.3"' in text
    (tmp_path / "c.yaml").write_text(text)
    assert load_config(tmp_path / "c.yaml", environ={"X": "oops"}) == config


def test_secret_files_and_tls_files_round_trip(tmp_path: Path) -> None:
    for name in ("ca.pem", "client.pem", "client.key", "password", "plug.key"):
        (tmp_path / name).write_text("0123456789abcdef\n")
    (tmp_path / "config.yaml").write_text(
        """
mqtt:
  port: 1883
  password_file: password
  tls: {ca_file: ca.pem, cert_file: client.pem, key_file: client.key}
devices:
  - {id: a, name: b, local_key_file: plug.key}
"""
    )
    config = load_config(tmp_path / "config.yaml", environ={})
    text = dump_config(config)
    assert "password_file: password\n" in text
    assert "local_key_file: plug.key\n" in text
    assert "0123456789abcdef" not in text
    assert f"ca_file: {tmp_path / 'ca.pem'}\n" in text
    assert "port: 1883\n" in text
    (tmp_path / "config.yaml").write_text(text)
    assert load_config(tmp_path / "config.yaml", environ={}) == config


def test_plain_data_with_header(tmp_path: Path) -> None:
    data = {
        "mqtt": {"host": "broker", "password": Secret("pw", file="mqtt-password")},
        "lan": {"discovery_ports": (6667,), "poll": 2.0, "bind": Path("/x")},
        "devices": [
            {
                "id": "bf01",
                "name": "plug",
                "local_key": "0123456789abcde'",
                "version": "3.4",
                "dps": {"power": 19},
                "cloud": False,
            }
        ],
    }
    text = dump_config(data, header="Written by setsmart import tinytuya\n\nfrom devices.json")
    assert text == (
        "# Written by setsmart import tinytuya\n"
        "#\n"
        "# from devices.json\n"
        "mqtt:\n"
        "  host: broker\n"
        "  password_file: mqtt-password\n"
        "lan:\n"
        "  discovery_ports: [6667]\n"
        "  poll: 2\n"
        "  bind: /x\n"
        "devices:\n"
        "- id: bf01\n"
        "  name: plug\n"
        '  local_key: "0123456789abcde\'"\n'
        '  version: "3.4"\n'
        "  dps: {power: 19}\n"
        "  cloud: false\n"
    )


def test_every_key_round_trips(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        """
mqtt: {host: b, port: 1884, username: u, password: p, tls: true, base_topic: t, client_id: c}
homeassistant: {discovery: false, prefix: ha}
lan: {discovery: false, bind: 127.0.0.1, discovery_ports: [7000], probe: null, heartbeat: 1,
      poll: 0, energy_poll: 0.5, timeout: 2}
cloud: {region: cn, api_key: k, api_secret: s, endpoint: 'http://127.0.0.1:9', poll: 5,
        fallback: false}
devices:
  - {id: a, name: b, type: raw, local_key: 0123456789abcdef, host: h, port: 1, version: 3.1,
     dps: {state_l1: 1}, cloud: false}
"""
    )
    config = load_config(tmp_path / "config.yaml", environ={})
    text = dump_config(config)
    assert "tls: true\n" in text
    assert "fallback: false\n" in text
    (tmp_path / "config.yaml").write_text(text)
    assert load_config(tmp_path / "config.yaml", environ={}) == config
