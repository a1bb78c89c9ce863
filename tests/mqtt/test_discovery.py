"""setsmart.mqtt.discovery: which entities a device gets, and what each document says.

Whether Home Assistant accepts the documents is tests/mqtt/ha's job; this checks the
contract's own promises on every device of the corpus (recorded real devices included).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from setsmart.config import DeviceConfig
from setsmart.devices import MAX_GANGS, DeviceType, parse_set, profile_for
from setsmart.devices.kinds import MAX_CHANNELS, dimmer, sensor
from setsmart.mqtt.discovery import (
    SENSORS,
    DiscoveryPayloads,
    Family,
    device_identifier,
    discovery_documents,
    encode_discovery,
    gang_object,
    possible_discovery_topics,
    removed_device_topics,
    stale_discovery_topics,
    unique_id,
)
from setsmart.mqtt.discovery_kinds import POSSIBLE_OBJECTS
from setsmart.mqtt.payloads import decode_set_payload
from setsmart.mqtt.topics import Topics, ha_node_id
from tests.mqtt.ha.corpus import CASES, Case

TOPICS = Topics(base="setsmart")
PLUG = DeviceConfig(id="bf0123456789abcdefgh", name="kitchen_plug", type="plug")


def _documents(case: Case) -> dict[str, dict[str, Any]]:
    return discovery_documents(case.device, case.profile, TOPICS)


def _objects(case: Case) -> list[tuple[str, str]]:
    return [(topic.split("/")[1], topic.split("/")[3]) for topic in _documents(case)]


_KIND_OBJECTS = {
    DeviceType.COVER: [("cover", "cover")],
    DeviceType.FAN: [("fan", "fan")],
    DeviceType.CLIMATE: [("climate", "climate")],
}


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_the_entities_follow_the_profile(case: Case) -> None:
    profile = case.profile
    if profile.type is DeviceType.DIMMER:
        channels = dimmer.channels(profile)
        lights = [("light", f"l{n}") for n in channels] if len(channels) > 1 else []
        assert _objects(case) == (lights or [("light", "light")])
        return
    if profile.type is DeviceType.SENSOR:
        assert _objects(case) == [
            ("binary_sensor" if r.binary else "sensor", r.key) for r in sensor.readings(profile)
        ]
        return
    if profile.type in _KIND_OBJECTS:
        assert _objects(case) == _KIND_OBJECTS[profile.type]
        return
    if profile.is_light:
        switches = [("light", "light")]
    elif profile.is_strip:
        switches = [("switch", f"l{gang}") for gang in range(1, profile.gangs + 1)]
    elif profile.gangs:
        switches = [("switch", "switch")]
    else:
        switches = []
    assert _objects(case) == switches + [("sensor", role) for role in profile.sensors]


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_every_document_carries_what_the_contract_promises(case: Case) -> None:
    device = case.device
    for topic, document in _documents(case).items():
        prefix, component, node, object_id, config = topic.split("/")
        assert (prefix, node, config) == ("homeassistant", ha_node_id(device.id), "config")
        assert document["unique_id"] == f"setsmart_{device.id}_{object_id}"
        assert document["device"] == {
            "identifiers": [f"setsmart_{device.id}"],
            "name": device.name,
            "manufacturer": "Tuya",
            "model": {
                "plug": "Smart plug",
                "strip": "Power strip",
                "switch": "Wall switch",
                "dimmer": "Dimmer",
                "bulb": "Smart bulb",
                "bulb_v1": "Smart bulb (v1 DPs)",
                "cover": "Curtain or blind",
                "fan": "Fan",
                "climate": "Thermostat",
                "sensor": "Sensor",
                "raw": "Tuya device",
            }[case.profile.type.value],
        }
        assert document["availability"] == [
            {"topic": "setsmart/bridge/state"},
            {"topic": f"setsmart/{device.name}/availability"},
        ]
        assert document["availability_mode"] == "all"
        # A cover reads its position, a climate each of its keys, from the state topic.
        # A dimmer's channel reads and writes its own topics (mqtt/channels.py).
        state_topic = document.get("state_topic", document.get("position_topic"))
        if component == "climate":
            state_topic = document["current_temperature_topic"]
        channel = (
            f"/{object_id}"
            if case.profile.type is DeviceType.DIMMER and object_id != "light"
            else ""
        )
        assert state_topic == f"setsmart/{device.name}{channel}"
        assert document["origin"] == {"name": "setsmart", "sw_version": "0.1.0"}
        entity_id = str(document["default_entity_id"])
        assert entity_id.split(".", maxsplit=1)[0] == component
        assert entity_id.split(".")[1] == document["object_id"]
        if component in ("sensor", "binary_sensor"):
            assert "command_topic" not in document
        elif component == "climate":
            assert document["mode_command_topic"] == f"setsmart/{device.name}/set"
            assert document["json_attributes_topic"] == f"setsmart/{device.name}"
        else:
            assert document["command_topic"] == f"setsmart/{device.name}{channel}/set"
            assert document["json_attributes_topic"] == f"setsmart/{device.name}"


def test_plug_switch_is_the_device_itself() -> None:
    documents = discovery_documents(PLUG, profile_for("plug"), TOPICS)
    switch = documents["homeassistant/switch/bf0123456789abcdefgh/switch/config"]
    assert switch["name"] is None  # the entity takes the device's name
    assert switch["object_id"] == "kitchen_plug"
    assert switch["default_entity_id"] == "switch.kitchen_plug"
    assert switch["value_template"] == "{{ value_json.state | default(None) }}"
    assert (switch["payload_on"], switch["payload_off"]) == ("ON", "OFF")
    assert (switch["state_on"], switch["state_off"]) == ("ON", "OFF")
    assert switch["device_class"] == "outlet"


def test_each_strip_gang_reads_and_writes_only_its_own_key() -> None:
    strip = DeviceConfig(id="bfstrip", name="desk-Strip", type="strip")
    documents = discovery_documents(strip, profile_for("strip"), TOPICS)
    for gang in range(1, 5):
        document = documents[f"homeassistant/switch/bfstrip/l{gang}/config"]
        assert document["name"] == f"Socket {gang}"
        assert document["unique_id"] == f"setsmart_bfstrip_l{gang}"
        assert document["default_entity_id"] == f"switch.desk_strip_l{gang}"
        assert document["value_template"] == f"{{{{ value_json.state_l{gang} | default(None) }}}}"
        assert json.loads(str(document["payload_on"])) == {f"state_l{gang}": "ON"}
        assert json.loads(str(document["payload_off"])) == {f"state_l{gang}": "OFF"}
        assert (document["state_on"], document["state_off"]) == ("ON", "OFF")


def test_a_gang_command_from_home_assistant_switches_only_that_gang() -> None:
    profile = profile_for("strip")
    documents = discovery_documents(PLUG, profile, TOPICS)
    for gang, dp in enumerate(profile.switch_dps, start=1):
        document = documents[TOPICS.ha_config("switch", PLUG.id, gang_object(gang))]
        on = decode_set_payload(str(document["payload_on"]).encode())
        off = decode_set_payload(str(document["payload_off"]).encode())
        assert parse_set(profile, on, {}).dps == {dp: True}
        assert parse_set(profile, off, {}).dps == {dp: False}


@pytest.mark.parametrize(
    ("overrides", "modes", "brightness", "mireds"),
    [
        ({}, ["hs", "color_temp"], True, True),
        ({"color_temp": None}, ["hs", "white"], True, False),
        ({"color": None}, ["color_temp"], True, True),
        ({"color": None, "color_temp": None}, ["brightness"], True, False),
        ({"color": None, "color_temp": None, "brightness": None}, ["onoff"], False, False),
    ],
)
def test_light_follows_the_colour_modes(
    overrides: dict[str, None], modes: list[str], brightness: bool, mireds: bool
) -> None:
    bulb = DeviceConfig(id="bfbulb", name="lamp", type="bulb")
    (topic, light), *sensors = discovery_documents(
        bulb, profile_for("bulb", overrides), TOPICS
    ).items()
    assert sensors == []
    assert topic == "homeassistant/light/bfbulb/light/config"
    assert light["schema"] == "json"
    assert light["name"] is None
    assert light["color_mode"] is True
    assert (light["flash"], light["transition"]) == (False, False)
    assert light["supported_color_modes"] == modes
    assert light["brightness"] is brightness
    assert ("min_mireds" in light, "max_mireds" in light) == (mireds, mireds)
    assert ("min_kelvin" in light, "max_kelvin" in light) == (mireds, mireds)
    assert "color_temp_kelvin" not in light  # it would make `color_temp` mean Kelvin
    if mireds:
        assert (light["min_mireds"], light["max_mireds"]) == (153, 370)
        # what current releases derive from the mireds (floor(1e6 / mireds))
        assert (light["min_kelvin"], light["max_kelvin"]) == (2702, 6535)
    assert light["effect"] is True
    assert light["effect_list"] == [
        *("night", "read", "meeting", "leisure", "soft", "rainbow", "shine", "beautiful"),
    ]


def test_light_effects() -> None:
    def light(kind: str, overrides: dict[str, None]) -> dict[str, object]:
        bulb = DeviceConfig(id="bfbulb", name="lamp", type=kind)
        documents = discovery_documents(bulb, profile_for(kind, overrides), TOPICS)
        return documents["homeassistant/light/bfbulb/light/config"]

    v1 = light("bulb_v1", {})
    assert (v1["effect"], v1["effect_list"]) == (True, ["scene_1", "scene_2", "scene_3", "scene_4"])
    for kind, overrides in (("bulb", {"effect": None}), ("bulb_v1", {"color_mode": None})):
        assert "effect" not in light(kind, overrides)
        assert "effect_list" not in light(kind, overrides)


def test_sensors_have_unit_device_class_and_state_class() -> None:
    documents = discovery_documents(PLUG, profile_for("plug"), TOPICS)
    expected = {
        "power": ("W", "power", "measurement", 1),
        "voltage": ("V", "voltage", "measurement", 1),
        "current": ("A", "current", "measurement", 3),
        "energy": ("kWh", "energy", "total_increasing", 3),
    }
    for role, (unit, device_class, state_class, precision) in expected.items():
        sensor = documents[f"homeassistant/sensor/bf0123456789abcdefgh/{role}/config"]
        assert sensor["name"] == role.capitalize()
        assert sensor["value_template"] == f"{{{{ value_json.{role} | default(None) }}}}"
        assert sensor["unit_of_measurement"] == unit
        assert sensor["device_class"] == device_class
        assert sensor["state_class"] == state_class
        assert sensor["suggested_display_precision"] == precision
        assert sensor["default_entity_id"] == f"sensor.kitchen_plug_{role}"
    assert set(SENSORS) == set(expected)


def test_a_device_without_roles_has_no_entities() -> None:
    raw = DeviceConfig(id="bfraw", name="thermo", type="raw")
    assert discovery_documents(raw, profile_for("raw"), TOPICS) == {}


def test_auto_devices_take_the_model_of_their_detected_type() -> None:
    auto = DeviceConfig(id="bfauto", name="thing", type="auto")
    profile = profile_for("auto", None, {"1": True, "2": False, "3": True})
    assert profile.type.value == "strip"
    document = next(iter(discovery_documents(auto, profile, TOPICS).values()))
    assert document["device"]["model"] == "Power strip"  # type: ignore[index]


def test_ids_and_objects() -> None:
    assert unique_id("bf01", "l3") == "setsmart_bf01_l3"
    assert device_identifier("bf01") == "setsmart_bf01"
    assert gang_object(7) == "l7"


def test_encode_discovery_is_compact_json_in_document_order() -> None:
    documents = discovery_documents(PLUG, profile_for("plug"), TOPICS)
    document = next(iter(documents.values()))
    payload = encode_discovery(document)
    assert payload.startswith('{"name":null,"unique_id":"setsmart_bf0123456789abcdefgh_switch",')
    assert payload == json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def test_possible_topics_cover_every_entity_any_device_can_have() -> None:
    possible = possible_discovery_topics(PLUG.id, TOPICS)
    kinds = len(POSSIBLE_OBJECTS)
    gateway = 1  # its connectivity
    assert len(possible) == len(set(possible)) == 1 + MAX_GANGS + 1 + len(SENSORS) + kinds + gateway
    big = DeviceConfig(id=PLUG.id, name="big", type="strip")
    overrides = {f"state_l{n}": 100 + n for n in range(1, MAX_GANGS + 1)}
    for profile in (profile_for("plug"), profile_for("bulb"), profile_for("strip", overrides)):
        assert set(discovery_documents(big, profile, TOPICS)) <= set(possible)
    channels = {f"switch_led_{n}": 10 * n for n in range(1, MAX_CHANNELS + 1)}
    for case in [*CASES, Case("4ch", big, profile_for("dimmer", channels))]:
        documents = discovery_documents(case.device, case.profile, TOPICS)
        assert set(documents) <= set(possible_discovery_topics(case.device.id, TOPICS))
    hub = discovery_documents(PLUG, profile_for("sensor"), TOPICS, Family(gateway=True))
    assert set(hub) <= set(possible)


def test_a_sub_device_names_its_gateway_and_a_gateway_shows_its_connection() -> None:
    child = DeviceConfig(id="bfzbplug", name="porch", type="plug", gateway="hub", node_id="a4c1")
    documents = discovery_documents(child, profile_for("plug"), TOPICS, Family(via="bfhub"))
    assert documents
    for document in documents.values():
        assert document["device"]["via_device"] == "setsmart_bfhub"  # type: ignore[index]
    hub = DeviceConfig(id="bfhub", name="hub")
    # Without DPs of its own (no profile): its connection only.
    (topic,) = discovery_documents(hub, None, TOPICS, Family(gateway=True))
    assert topic == "homeassistant/binary_sensor/bfhub/connectivity/config"
    document = discovery_documents(hub, None, TOPICS, Family(gateway=True))[topic]
    assert document["state_topic"] == "setsmart/hub/availability"
    assert (document["payload_on"], document["payload_off"]) == ("online", "offline")
    assert document["device_class"] == "connectivity"
    assert document["availability"] == [{"topic": "setsmart/bridge/state"}]
    assert document["device"] == {
        "identifiers": ["setsmart_bfhub"],
        "name": "hub",
        "manufacturer": "Tuya",
        "model": "Gateway",
    }
    # An alarm hub with DPs of its own: those entities too, on the same device.
    own = profile_for("sensor", None, {"1": 215, "2": 40})
    alarm = discovery_documents(hub, own, TOPICS, Family(gateway=True))
    assert topic in alarm
    assert "homeassistant/sensor/bfhub/temperature/config" in alarm
    assert {str(d["device"]["model"]) for d in alarm.values()} == {"Gateway"}  # type: ignore[index]
    payloads = DiscoveryPayloads(hub, None, TOPICS, Family(gateway=True))
    assert json.loads(payloads(topic)) == document


def test_stale_topics_are_the_entities_a_device_no_longer_has() -> None:
    strip = DeviceConfig(id="bfstrip", name="desk", type="strip")
    current = discovery_documents(strip, profile_for("strip"), TOPICS)  # 4 gangs, metering
    stale = stale_discovery_topics(strip.id, TOPICS, current)
    assert set(stale) == set(possible_discovery_topics(strip.id, TOPICS)) - set(current)
    assert "homeassistant/switch/bfstrip/l5/config" in stale
    assert "homeassistant/switch/bfstrip/l4/config" not in stale
    assert "homeassistant/light/bfstrip/light/config" in stale
    assert "homeassistant/sensor/bfstrip/power/config" not in stale


def test_a_removed_device_has_its_discovery_state_and_availability_cleared() -> None:
    topics = removed_device_topics(PLUG, TOPICS)
    assert topics[: len(topics) - 2] == possible_discovery_topics(PLUG.id, TOPICS)
    assert topics[-2:] == ("setsmart/kitchen_plug", "setsmart/kitchen_plug/availability")


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_payloads_made_again_are_the_documents_encoded(case: Case) -> None:
    payloads = DiscoveryPayloads(case.device, case.profile, TOPICS)
    for topic, document in _documents(case).items():
        assert payloads(topic) == encode_discovery(document).encode()
        assert payloads(topic) == payloads(topic)
