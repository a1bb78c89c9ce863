"""A gateway and three sub-devices (a Zigbee plug, a temperature sensor, a door sensor):
their discovery documents through Home Assistant 2024.3.3's own MQTT code and current
releases' rules. Each child's device names the gateway's in `via_device`; the gateway,
without DPs of its own, has one entity: its connection."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from setsmart.config import DeviceConfig
from setsmart.devices import DeviceProfile, device_state, profile_for
from setsmart.mqtt.discovery import Family, discovery_documents, encode_discovery
from setsmart.mqtt.payloads import encode_json
from tests.mqtt.ha import current_rules
from tests.mqtt.ha.corpus import TOPICS
from tests.mqtt.ha.release import HA_2024_3, check

pytestmark = pytest.mark.timeout(900)

GATEWAY = DeviceConfig(id="bfgateway0123456789", name="hub")
VIA = "setsmart_bfgateway0123456789"
DOOR_DPS = {
    "doorcontact_state": 1,
    "battery_percentage": 2,
    "va_temperature": None,
    "va_humidity": None,
    "battery_state": None,
}
#: (config, profile, a status it reports), as the daemon sees each child.
CHILDREN: dict[str, tuple[DeviceConfig, DeviceProfile, dict[str, object]]] = {
    "plug": (
        DeviceConfig(id="bfzbplug00000001", name="porch_plug", type="plug", gateway="hub"),
        profile_for("plug", None, {"1": True, "19": 123}),
        {"1": True, "19": 123},
    ),
    "climate": (
        DeviceConfig(id="bfzbclimate00001", name="hall_climate", type="sensor", gateway="hub"),
        profile_for("sensor", None, {"1": 215, "2": 48, "4": 100}),
        {"1": 215, "2": 48, "4": 100},
    ),
    "door": (
        DeviceConfig(
            id="bfzbdoor00000001", name="back_door", type="sensor", gateway="hub", dps=DOOR_DPS
        ),
        profile_for("sensor", DOOR_DPS, {"1": False, "2": 90}),
        {"1": False, "2": 90},
    ),
}
SEEN = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _documents() -> dict[str, dict[str, Any]]:
    documents = discovery_documents(GATEWAY, None, TOPICS, Family(gateway=True))
    for config, profile, _ in CHILDREN.values():
        documents.update(discovery_documents(config, profile, TOPICS, Family(via=GATEWAY.id)))
    return documents


DOCUMENTS = _documents()
CONNECTIVITY = f"{TOPICS.ha_prefix}/binary_sensor/{GATEWAY.id}/connectivity/config"
PLUG_SWITCH = f"{TOPICS.ha_prefix}/switch/bfzbplug00000001/switch/config"
TEMPERATURE = f"{TOPICS.ha_prefix}/sensor/bfzbclimate00001/temperature/config"
CONTACT = f"{TOPICS.ha_prefix}/binary_sensor/bfzbdoor00000001/contact/config"


def _state(child: str) -> str:
    _, profile, dps = CHILDREN[child]
    state = device_state(profile, dps, energy_kwh=None, source="lan", last_seen=SEEN)
    return encode_json({key: value for key, value in state.items() if value is not None})


@pytest.fixture(scope="module")
def answer() -> dict[str, Any]:
    def probe(topic: str, states: list[str], calls: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "topic": topic,
            "state_topic": DOCUMENTS[topic]["state_topic"],
            "states": states,
            "calls": calls,
        }

    request = {
        "prefix": TOPICS.ha_prefix,
        "documents": [
            {"topic": topic, "payload": encode_discovery(document)}
            for topic, document in DOCUMENTS.items()
        ],
        "entities": [
            probe(CONNECTIVITY, ["online", "offline"], []),
            probe(PLUG_SWITCH, [_state("plug")], [{"off": True}]),
            probe(TEMPERATURE, [_state("climate")], []),
            probe(CONTACT, [_state("door")], []),
        ],
    }
    return check(HA_2024_3, request)


def test_the_gateway_and_every_kind_of_child_have_documents() -> None:
    components = {topic.split("/")[1] for topic in DOCUMENTS}
    assert {"binary_sensor", "switch", "sensor"} <= components
    assert {PLUG_SWITCH, TEMPERATURE, CONTACT, CONNECTIVITY} <= set(DOCUMENTS)
    assert [t for t in DOCUMENTS if f"/{GATEWAY.id}/" in t] == [CONNECTIVITY]


@pytest.mark.parametrize("topic", sorted(DOCUMENTS))
def test_home_assistant_accepts_each_document_with_its_device_hierarchy(
    answer: dict[str, Any], topic: str
) -> None:
    result = answer["documents"][topic]
    assert result["error"] is None
    assert result["warnings"] == []
    device = result["config"]["device"]
    if topic == CONNECTIVITY:
        assert device["identifiers"] == [VIA]
        assert "via_device" not in device
    else:
        assert device["via_device"] == VIA


@pytest.mark.parametrize("topic", sorted(DOCUMENTS))
def test_current_home_assistant_accepts_each_document(topic: str) -> None:
    verdict = current_rules.check(TOPICS.ha_prefix, topic, encode_discovery(DOCUMENTS[topic]))
    assert verdict.error is None
    assert verdict.warnings == []
    assert set(verdict.dropped) <= {"object_id"}  # gone in 2026.4; 2024.3 needs it
    kept = {key: value for key, value in DOCUMENTS[topic].items() if key != "object_id"}
    unit = kept.get("unit_of_measurement")
    if isinstance(unit, str):
        kept["unit_of_measurement"] = current_rules.AMBIGUOUS_UNITS.get(unit, unit)
    assert verdict.config == kept


def test_the_gateway_shows_connected_then_disconnected(answer: dict[str, Any]) -> None:
    assert answer["version"] == "2024.3.3"
    result = answer["entities"][0]
    assert "error" not in result, result
    assert result["warnings"] == []
    assert [shown["is_on"] for shown in result["shown"]] == [True, False]
    config = answer["documents"][CONNECTIVITY]["config"]
    assert config["device_class"] == "connectivity"
    # Shown while the bridge runs, not greyed out with the gateway it reports on.
    assert config["availability"] == [{"topic": TOPICS.bridge_state, **_defaults(config)}]


def _defaults(config: dict[str, Any]) -> dict[str, Any]:
    """What HA adds to an availability entry (its payloads)."""
    (entry,) = config["availability"]
    return {k: v for k, v in entry.items() if k != "topic"}


def test_each_child_shows_its_own_state_and_the_plug_is_switched_on_its_own_topic(
    answer: dict[str, Any],
) -> None:
    plug, temperature, contact = answer["entities"][1:]
    for result in (plug, temperature, contact):
        assert "error" not in result, result
        assert result["warnings"] == []
    assert [shown["is_on"] for shown in plug["shown"]] == [True]
    ((message,),) = plug["published"]
    assert message["topic"] == TOPICS.set("porch_plug")
    assert message["payload"] == "OFF"
    assert [shown["native_value"] for shown in temperature["shown"]] == ["21.5"]
    assert [shown["is_on"] for shown in contact["shown"]] == [False]  # HA's door: closed
