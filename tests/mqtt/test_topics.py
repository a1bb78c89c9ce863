"""setsmart.mqtt.topics: the topic layout of CONTRACT.md "MQTT"."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setsmart.config import Config, HomeAssistantConfig, MqttConfig
from setsmart.mqtt.topics import Topics, ha_node_id, is_device_name

TOPICS = Topics(base="setsmart")


def test_bridge_topics() -> None:
    assert TOPICS.bridge_state == "setsmart/bridge/state"
    assert TOPICS.bridge_devices == "setsmart/bridge/devices"
    assert TOPICS.bridge_log == "setsmart/bridge/log"


def test_device_topics() -> None:
    assert TOPICS.state("kitchen_plug") == "setsmart/kitchen_plug"
    assert TOPICS.availability("kitchen_plug") == "setsmart/kitchen_plug/availability"
    assert TOPICS.set("kitchen_plug") == "setsmart/kitchen_plug/set"
    assert TOPICS.get("kitchen_plug") == "setsmart/kitchen_plug/get"


def test_command_filters() -> None:
    assert TOPICS.set_filter == "setsmart/+/set"
    assert TOPICS.get_filter == "setsmart/+/get"
    assert TOPICS.command_filters == ("setsmart/+/set", "setsmart/+/get")


def test_home_assistant_topics() -> None:
    assert TOPICS.ha_status == "homeassistant/status"
    assert (
        TOPICS.ha_config("switch", "bf0123456789abcdefgh", "l2")
        == "homeassistant/switch/bf0123456789abcdefgh/l2/config"
    )
    assert Topics("b", ha_prefix="ha").ha_config("sensor", "x", "power") == (
        "ha/sensor/x/power/config"
    )


def test_a_device_id_home_assistant_would_refuse_becomes_a_safe_node_id() -> None:
    assert ha_node_id("bf.01:x y") == "bf_01_x_y"
    assert ha_node_id("") == "_"
    assert TOPICS.ha_config("light", "a.b", "light") == "homeassistant/light/a_b/light/config"


def test_from_config_takes_base_topic_and_prefix() -> None:
    config = Config(
        mqtt=MqttConfig(base_topic="home/tuya"), homeassistant=HomeAssistantConfig(prefix="hass")
    )
    topics = Topics.from_config(config)
    assert topics == Topics(base="home/tuya", ha_prefix="hass")
    assert topics.set("lamp") == "home/tuya/lamp/set"
    assert topics.ha_status == "hass/status"


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("setsmart/kitchen_plug/set", ("kitchen_plug", "set")),
        ("setsmart/kitchen_plug/get", ("kitchen_plug", "get")),
        ("setsmart/A-b_9/set", ("A-b_9", "set")),
        (f"setsmart/{'x' * 64}/set", ("x" * 64, "set")),
    ],
)
def test_parse_command_topic_accepts_device_commands(topic: str, expected: tuple[str, str]) -> None:
    assert TOPICS.parse_command_topic(topic) == expected


@pytest.mark.parametrize(
    "topic",
    [
        "setsmart/kitchen_plug",  # the state topic
        "setsmart/kitchen_plug/availability",
        "setsmart/kitchen_plug/set/extra",
        "setsmart/a/b/set",  # a name with a '/'
        "setsmart/+/set",  # wildcards are no names
        "setsmart/#/set",
        "setsmart//set",  # empty name
        f"setsmart/{'x' * 65}/set",  # too long
        "setsmart/kitchen plug/set",
        "setsmart/küche/set",
        "setsmart/bridge/set",  # the bridge's own level
        "setsmart/set",
        "other/kitchen_plug/set",
        "setsmartx/kitchen_plug/set",
        "setsmart/kitchen_plug/SET",
        "",
    ],
)
def test_parse_command_topic_refuses_everything_else(topic: str) -> None:
    assert TOPICS.parse_command_topic(topic) is None


def test_parse_command_topic_with_a_multi_level_base() -> None:
    topics = Topics(base="home/setsmart")
    assert topics.parse_command_topic("home/setsmart/lamp/get") == ("lamp", "get")
    assert topics.parse_command_topic("home/lamp/get") is None


@given(st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True), st.sampled_from(["set", "get"]))
def test_every_device_name_round_trips(name: str, kind: str) -> None:
    topic = TOPICS.set(name) if kind == "set" else TOPICS.get(name)
    expected = None if name == "bridge" else (name, kind)
    assert TOPICS.parse_command_topic(topic) == expected


@given(st.text(max_size=80))
def test_only_valid_names_ever_match(name: str) -> None:
    parsed = TOPICS.parse_command_topic(f"setsmart/{name}/set")
    assert (parsed is not None) == is_device_name(name)
    if parsed is not None:
        assert parsed == (name, "set")
        assert not set(name) & set("/+#")


def test_a_channel_has_a_state_and_a_set_topic_that_parse_back() -> None:
    assert TOPICS.channel_state("hall", 2) == "setsmart/hall/l2"
    assert TOPICS.channel_set("hall", 2) == "setsmart/hall/l2/set"
    assert TOPICS.parse_channel_command("setsmart/hall/l2/set") == ("hall", 2)
    assert TOPICS.parse_channel_command(TOPICS.channel_set("x" * 64, 16)) == ("x" * 64, 16)
    filters = TOPICS.channel_set_filters
    assert filters[0] == "setsmart/+/l1/set"
    assert len(filters) == len(set(filters)) == 16


@pytest.mark.parametrize(
    "topic",
    [
        "setsmart/hall/l0/set",
        "setsmart/hall/l17/set",
        "setsmart/hall/l01/set",
        "setsmart/hall/l2",  # the state topic
        "setsmart/hall/l2/get",
        "setsmart/hall/firmware/set",
        "setsmart/bridge/l1/set",
        "setsmart/a/b/l1/set",
        "setsmart/l1/set",
        "other/hall/l1/set",
    ],
)
def test_parse_channel_command_refuses_everything_else(topic: str) -> None:
    assert TOPICS.parse_channel_command(topic) is None
