"""The devices whose discovery documents are checked against Home Assistant.

Every recorded status dump of a real device (tests/devices/fixtures, type auto), each
type's default profile, and the corners: a 16-gang strip, lights with each set of colour
modes our profiles can produce, a device id HA would refuse in a topic, and a device
name that is not a valid entity id as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from setsmart.config import DeviceConfig
from setsmart.devices import DeviceProfile, device_state, profile_for
from setsmart.mqtt.discovery import discovery_documents, encode_discovery
from setsmart.mqtt.payloads import encode_json
from setsmart.mqtt.topics import Topics
from tests.devices.recorded import RECORDED
from tests.devices.test_kind_fixtures import PRODUCTS

TOPICS = Topics(base="home/setsmart", ha_prefix="homeassistant")
SEEN = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    """A configured device, its profile, and a status it reported (if we have one)."""

    label: str
    device: DeviceConfig
    profile: DeviceProfile
    dps: dict[str, object] | None = None

    def documents(self) -> dict[str, dict[str, Any]]:
        return discovery_documents(self.device, self.profile, TOPICS)

    def state(self, energy_kwh: float | None = 1.234) -> dict[str, object]:
        """The state document the bridge publishes for `dps`."""
        assert self.dps is not None
        return device_state(
            self.profile, self.dps, energy_kwh=energy_kwh, source="lan", last_seen=SEEN
        )

    def state_payload(self, **changes: object) -> str:
        state = self.state()
        state.update(changes)
        return encode_json({key: value for key, value in state.items() if value is not None})


def _cases() -> list[Case]:
    cases = [
        Case(
            label=recorded.name,
            device=DeviceConfig(id=f"bf{index:02d}recorded", name=recorded.name, type="auto"),
            profile=profile_for("auto", None, recorded.dps),
            dps=dict(recorded.dps),
        )
        for index, recorded in enumerate(RECORDED)
    ]
    for kind in ("plug", "strip", "bulb", "bulb_v1"):
        cases.append(
            Case(
                f"default_{kind}",
                DeviceConfig(id=f"eb{kind}", name=kind, type=kind),
                profile_for(kind),
            )
        )
    corners: list[tuple[str, str, str, dict[str, Any]]] = [
        ("strip_16_gangs", "strip", "Big-Strip.16", {f"state_l{n}": 100 + n for n in range(1, 17)}),
        ("light_brightness", "bulb", "dimmer", {"color": None, "color_temp": None}),
        ("light_onoff", "bulb", "lamp", {"color": None, "color_temp": None, "brightness": None}),
        ("light_hs_white", "bulb", "rgb-bulb", {"color_temp": None}),
        ("light_color_temp", "bulb", "white_bulb", {"color": None}),
    ]
    for label, kind, name, overrides in corners:
        cases.append(
            Case(
                label,
                DeviceConfig(id=f"cc{label}", name=name, type=kind),
                profile_for(kind, overrides),
            )
        )
    # Every recorded product of the newer kinds, as its user would configure it.
    for index, product in enumerate(PRODUCTS):
        data = product.data
        cases.append(
            Case(
                label=product.name,
                device=DeviceConfig(
                    id=f"bf{index:02d}kind", name=product.name, type=data["type"], dps=data["dps"]
                ),
                profile=product.profile,
                dps=dict(data["status"]),
            )
        )
    for kind in ("switch", "dimmer", "cover", "fan", "climate", "sensor"):
        cases.append(
            Case(
                f"default_{kind}",
                DeviceConfig(id=f"eb{kind}", name=kind, type=kind),
                profile_for(kind),
            )
        )
    # A two-channel dimmer (a JSON light per channel, on the channel's topics), a fan with
    # every feature, and a sensor with every reading.
    kinds: list[tuple[str, str, dict[str, Any], dict[str, object]]] = [
        (
            "dimmer_2ch",
            "dimmer",
            {},
            {"1": True, "2": 500, "3": 10, "7": False, "8": 1000, "9": 10},
        ),
        (
            "fan_all",
            "fan",
            {"fan_direction": {"id": 8, "range": ["forward", "reverse"]}},
            {"1": True, "2": "sleep", "3": 40, "5": True, "8": "reverse"},
        ),
        (
            "sensor_all",
            "sensor",
            {
                "contact": 101,
                "occupancy": {"id": 102, "range": ["pir", "none"]},
                "water_leak": 103,
                "smoke": 104,
                "gas": 105,
                "carbon_monoxide": 106,
                "tamper": 107,
                "illuminance": {"id": 108, "min": 0, "max": 10000, "unit": "lux"},
                "co2": 109,
                "pm25": 110,
            },
            {
                "1": 215,
                "2": 40,
                "3": "low",
                "4": 15,
                "101": True,
                "102": "pir",
                "103": "normal",
                "104": "alarm",
                "105": "normal",
                "106": "normal",
                "107": False,
                "108": 300,
                "109": 650,
                "110": 12,
            },
        ),
    ]
    for label, kind, overrides, status in kinds:
        cases.append(
            Case(
                label,
                DeviceConfig(id=f"dd{label}", name=label, type=kind, dps=overrides),
                profile_for(kind, overrides, status),
                status,
            )
        )
    # Tuya ids are letters and digits; should one ever hold a '.', the topic must still
    # be one HA accepts.
    cases.append(
        Case("odd_id", DeviceConfig(id="bf.01:x", name="odd", type="plug"), profile_for("plug"))
    )
    return cases


CASES = _cases()


def all_documents() -> dict[str, dict[str, Any]]:
    """{config topic: document} of every case (topics are unique across cases)."""
    documents: dict[str, dict[str, Any]] = {}
    for case in CASES:
        for topic, document in case.documents().items():
            assert topic not in documents, topic
            documents[topic] = document
    return documents


def discovery_messages() -> list[dict[str, str]]:
    """Every document as the MQTT message we publish: topic and payload text."""
    return [
        {"topic": topic, "payload": encode_discovery(document)}
        for topic, document in all_documents().items()
    ]
