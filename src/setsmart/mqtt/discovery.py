"""Home Assistant MQTT discovery documents (CONTRACT.md "MQTT", last paragraph).

One retained config per entity at `<prefix>/<component>/<device id>/<object>/config`:
- a `switch` per gang: object `switch` on a plug, `l1`..`lN` on a strip;
- a JSON-schema `light` (object `light`) for a bulb, instead of a switch;
- a `sensor` each for power, voltage, current and energy where the device meters them;
- a gateway's `connectivity` binary_sensor (object `connectivity`): whether its session,
  which its sub-devices share, is up, read from its availability topic; a gateway
  without DPs of its own has only this one. A sub-device's device block names its
  gateway's in `via_device`.

Keys are written out in full (no abbreviations), and only keys that Home Assistant 2024.3
and current releases both accept: tests/mqtt/ha runs HA 2024.3.3's own MQTT code on every
document, and checks them against 2026.11.0's rules as transcribed from its source (it
needs Python 3.14). Where releases differ, a document carries what each needs and the
others drop:
- JSON light: `color_mode: true` beside `supported_color_modes` (required up to 2025.2;
  2025.3 to 2026.2 drop it with a warning, later releases silently);
- entity ids: `object_id` (up to 2026.3) and `default_entity_id` (2025.10 on);
- JSON light: `flash: false` and `transition: false`, which 2024.3 does not know (it
  always offers both) and later releases need so as not to offer them;
- JSON light: the colour temperature range as `min_mireds`/`max_mireds` (every release)
  and as `min_kelvin`/`max_kelvin` (2025.1 on; 2024.3 drops them; current releases take
  the mireds first, and both say the same). Never `color_temp_kelvin: true`: it makes a
  release read and write the state's and command's `color_temp` in Kelvin, which 2024.3
  and CONTRACT.md's `color_temp` (mireds) cannot follow; `color_temp_kelvin` is a state
  and `/set` key of its own instead;
- JSON light: `effect` and `effect_list` (every release) for a bulb's built-in scenes;
- a strip gang's command is its own `payload_on`/`payload_off` JSON, because the MQTT
  switch of 2024.3 has no `command_template` (it would silently drop one and send a
  plain ON, switching every gang); `state_on`/`state_off` say what the state reads,
  which HA would otherwise compare with those payloads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

import setsmart
from setsmart.config import DeviceConfig
from setsmart.devices import MAX_GANGS, DeviceProfile, DeviceType
from setsmart.devices.convert import kelvin_from_mireds
from setsmart.devices.profile import SPEC_KINDS
from setsmart.devices.scenes import effect_list
from setsmart.mqtt import discovery_kinds
from setsmart.mqtt.payloads import encode_json
from setsmart.mqtt.topics import Topics

Document = dict[str, object]

MANUFACTURER: Final = "Tuya"
_MODELS: Final = {
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
}
GATEWAY_MODEL: Final = "Gateway"
GATEWAY_OBJECT: Final = "connectivity"


#: Per sensor role: (entity name, unit, device_class, state_class, display precision).
SENSORS: Final = {
    "power": ("Power", "W", "power", "measurement", 1),
    "voltage": ("Voltage", "V", "voltage", "measurement", 1),
    "current": ("Current", "A", "current", "measurement", 3),
    "energy": ("Energy", "kWh", "energy", "total_increasing", 3),
}

#: What the main entities show as attributes: where the state came from, and when.
_ATTRIBUTES_TEMPLATE: Final = (
    "{{ {'source': value_json.source, 'last_seen': value_json.last_seen} | to_json }}"
)
_SLUG_UNSAFE: Final = re.compile(r"[^a-z0-9_]")


def unique_id(device_id: str, object_id: str) -> str:
    """`setsmart_<device id>_<object>`: the entity's unique id in Home Assistant."""
    return f"setsmart_{device_id}_{object_id}"


def device_identifier(device_id: str) -> str:
    """`setsmart_<device id>`: the identifier of the device block."""
    return f"setsmart_{device_id}"


def gang_object(gang: int) -> str:
    """The object id of a strip's gang `gang` (1-based): `l1`, `l2`, ..."""
    return f"l{gang}"


@dataclass(frozen=True, slots=True)
class Family:
    """Where a device stands among gateways: `via` is the device id of a sub-device's
    gateway; `gateway` says the device is one (its sub-devices share its session)."""

    via: str | None = None
    gateway: bool = False


ALONE: Final = Family()


def discovery_documents(
    device: DeviceConfig,
    profile: DeviceProfile | None,
    topics: Topics,
    family: Family = ALONE,
) -> dict[str, Document]:
    """`{config topic: document}` of every entity of `device`, in a stable order.

    `profile` is the device's resolved profile (for `type: auto`, resolved from the DPs
    it reported; None: not known yet, which only a gateway publishes documents without).
    Publish each document retained, encoded with `encode_discovery`.
    """
    builders = _builders(device, profile, topics, family)
    return {topic: build(*args) for topic, (build, args) in builders.items()}


#: What makes one entity's document: an `EntityFactory` method and its arguments.
_Builder = tuple[Callable[..., Document], tuple[object, ...]]


def _builders(
    device: DeviceConfig, profile: DeviceProfile | None, topics: Topics, family: Family
) -> dict[str, _Builder]:
    """`{config topic: what makes its document}`, in `discovery_documents`' order."""
    entity = EntityFactory(device, profile, topics, family)
    builders: dict[str, _Builder] = {}
    if family.gateway:
        topic = topics.ha_config("binary_sensor", device.id, GATEWAY_OBJECT)
        builders[topic] = (entity.connectivity, ())
    if profile is not None:
        builders.update(_kind_builders(device, profile, topics, entity))
    return builders


def _kind_builders(
    device: DeviceConfig, profile: DeviceProfile, topics: Topics, entity: EntityFactory
) -> dict[str, _Builder]:
    builders: dict[str, _Builder] = {}
    if profile.type in SPEC_KINDS:
        for (component, object_id), document in discovery_kinds.documents(entity, profile).items():
            builders[topics.ha_config(component, device.id, object_id)] = (dict, (document,))
        return builders
    if profile.is_light:
        builders[topics.ha_config("light", device.id, "light")] = (entity.light, (profile,))
    elif profile.is_strip:
        for gang in range(1, profile.gangs + 1):
            object_id = gang_object(gang)
            builders[topics.ha_config("switch", device.id, object_id)] = (
                entity.switch,
                (object_id, f"{entity.gang_word} {gang}", f"state_l{gang}"),
            )
    elif profile.gangs:
        builders[topics.ha_config("switch", device.id, "switch")] = (
            entity.switch,
            ("switch", None, "state"),
        )
    for role in profile.sensors:
        builders[topics.ha_config("sensor", device.id, role)] = (entity.sensor, (role,))
    return builders


def encode_discovery(document: Document) -> str:
    """A discovery document as the payload to publish."""
    return encode_json(document)


@dataclass(frozen=True, slots=True, eq=False)
class DiscoveryPayloads:
    """The payloads of one device's documents, made again for each topic when asked.

    What the MQTT bridge keeps for them (a `Render`) instead of their bytes: a device's
    documents are a function of its configuration and profile, so they need not sit in
    memory between two publishes (about 3 KB a device).
    """

    device: DeviceConfig
    profile: DeviceProfile | None
    topics: Topics
    family: Family = ALONE

    def __call__(self, topic: str) -> bytes:
        build, args = _builders(self.device, self.profile, self.topics, self.family)[topic]
        return encode_discovery(build(*args)).encode()


def possible_discovery_topics(device_id: str, topics: Topics) -> tuple[str, ...]:
    """Every config topic setsmart could ever publish for `device_id`, whatever its type."""
    objects = [
        ("switch", "switch"),
        *(("switch", gang_object(gang)) for gang in range(1, MAX_GANGS + 1)),
        ("light", "light"),
        *(("sensor", role) for role in SENSORS),
        *discovery_kinds.POSSIBLE_OBJECTS,
        ("binary_sensor", GATEWAY_OBJECT),
    ]
    return tuple(topics.ha_config(component, device_id, obj) for component, obj in objects)


def stale_discovery_topics(
    device_id: str, topics: Topics, current: Iterable[str]
) -> tuple[str, ...]:
    """Config topics of `device_id` that are not in `current`: clear them (retained, empty).

    After a device changes type or loses gangs or sensors, its old entities would
    otherwise stay in Home Assistant, unavailable forever.
    """
    keep = set(current)
    return tuple(
        topic for topic in possible_discovery_topics(device_id, topics) if topic not in keep
    )


def removed_device_topics(device: DeviceConfig, topics: Topics) -> tuple[str, ...]:
    """Every retained topic of a device removed from the config: clear each with an empty
    retained payload. Its discovery configs first (so HA drops the entities), then its
    state and availability."""
    return (
        *possible_discovery_topics(device.id, topics),
        topics.state(device.name),
        topics.availability(device.name),
    )


class EntityFactory:
    """The documents of one device; the keys every entity shares come first."""

    def __init__(
        self,
        device: DeviceConfig,
        profile: DeviceProfile | None,
        topics: Topics,
        family: Family = ALONE,
    ) -> None:
        self._device = device
        self._model = (
            GATEWAY_MODEL if family.gateway or profile is None else _MODELS[profile.type.value]
        )
        self._topics = topics
        self._slug = _SLUG_UNSAFE.sub("_", device.name.lower())
        self._wall = profile is not None and profile.type is DeviceType.SWITCH
        self._via = family.via

    @property
    def gang_word(self) -> str:
        """What a gang is called: a strip's socket, a wall switch's switch."""
        return "Switch" if self._wall else "Socket"

    @property
    def set_topic(self) -> str:
        """The device's `/set` topic."""
        return self._topics.set(self._device.name)

    def common(self, component: str, object_id: str, name: str | None, *, main: bool) -> Document:
        """The keys every entity of the device shares (see `_common`)."""
        return self._common(component, object_id, name, main)

    def attributes(self) -> Document:
        """`json_attributes_topic` and its template: where and when the state was read."""
        return self._attributes()

    def _common(self, component: str, object_id: str, name: str | None, main: bool) -> Document:
        entity_slug = self._slug if main else f"{self._slug}_{object_id}"
        return {
            "name": name,
            "unique_id": unique_id(self._device.id, object_id),
            "object_id": entity_slug,
            "default_entity_id": f"{component}.{entity_slug}",
            "device": self._device_block(),
            "origin": {"name": "setsmart", "sw_version": setsmart.__version__},
            "availability": [
                {"topic": self._topics.bridge_state},
                {"topic": self._topics.availability(self._device.name)},
            ],
            "availability_mode": "all",
            "state_topic": self._topics.state(self._device.name),
        }

    def _device_block(self) -> Document:
        block: Document = {
            "identifiers": [device_identifier(self._device.id)],
            "name": self._device.name,
            "manufacturer": MANUFACTURER,
            "model": self._model,
        }
        if self._via is not None:
            block["via_device"] = device_identifier(self._via)
        return block

    def _attributes(self) -> Document:
        return {
            "json_attributes_topic": self._topics.state(self._device.name),
            "json_attributes_template": _ATTRIBUTES_TEMPLATE,
        }

    def switch(self, object_id: str, name: str | None, key: str) -> Document:
        """A switch reading `key` of the state; a gang's switch writes only its own key."""
        on, off = (
            ("ON", "OFF")
            if key == "state"
            else (
                encode_json({key: "ON"}),
                encode_json({key: "OFF"}),
            )
        )
        return {
            **self._common("switch", object_id, name, main=key == "state"),
            "command_topic": self._topics.set(self._device.name),
            "value_template": f"{{{{ value_json.{key} | default(None) }}}}",
            "payload_on": on,
            "payload_off": off,
            "state_on": "ON",
            "state_off": "OFF",
            "device_class": "switch" if self._wall else "outlet",
            **self._attributes(),
        }

    def light(
        self, profile: DeviceProfile, modes: list[str] | None = None, channel: int | None = None
    ) -> Document:
        """A JSON-schema light with the profile's colour modes (or `modes`); a `channel`'s
        reads and writes the channel's own topics (`channels.py`)."""
        modes = list(profile.color_modes) if modes is None else modes
        name = self._device.name
        if channel is None:
            common = self._common("light", "light", None, main=True)
            command_topic = self._topics.set(name)
        else:
            common = self._common("light", f"l{channel}", f"Channel {channel}", main=False)
            common["state_topic"] = self._topics.channel_state(name, channel)
            command_topic = self._topics.channel_set(name, channel)
        document: Document = {
            **common,
            "command_topic": command_topic,
            "schema": "json",
            "brightness": modes != ["onoff"],
            "color_mode": True,
            "supported_color_modes": modes,
            # Tuya bulbs have neither; newer releases would offer both unless told.
            "flash": False,
            "transition": False,
        }
        if "color_temp" in modes:
            document["min_mireds"] = profile.min_mireds
            document["max_mireds"] = profile.max_mireds
            document["min_kelvin"] = kelvin_from_mireds(profile.max_mireds)
            document["max_kelvin"] = kelvin_from_mireds(profile.min_mireds)
        effects = effect_list(profile)
        if effects:
            document["effect"] = True
            document["effect_list"] = list(effects)
        document.update(self._attributes())
        return document

    def connectivity(self) -> Document:
        """A gateway's session, from its availability topic: shown (not unavailable)
        while the bridge runs, as it is what tells why its sub-devices are offline."""
        name = self._device.name
        return {
            **self._common("binary_sensor", GATEWAY_OBJECT, "Connection", main=False),
            "availability": [{"topic": self._topics.bridge_state}],
            "state_topic": self._topics.availability(name),
            "payload_on": "online",
            "payload_off": "offline",
            "device_class": "connectivity",
        }

    def sensor(self, role: str) -> Document:
        """A sensor reading `role` of the state."""
        name, unit, device_class, state_class, precision = SENSORS[role]
        return {
            **self._common("sensor", role, name, main=False),
            "value_template": f"{{{{ value_json.{role} | default(None) }}}}",
            "unit_of_measurement": unit,
            "device_class": device_class,
            "state_class": state_class,
            "suggested_display_precision": precision,
        }
