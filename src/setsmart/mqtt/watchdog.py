"""A watchdog's MQTT topics and Home Assistant discovery (CONTRACT.md "Watchdogs").

`B/watchdog/<name>` (retained) carries the watchdog's JSON document. Home Assistant sees
each watchdog as a device of its own, connected through the plug it power-cycles
(`via_device`), with two entities read from that document:
- a `connectivity` binary_sensor: does the target answer (`target_up`);
- a sensor of today's power cycles (`cycles_today`; `total_increasing`, so the drop at
  midnight is a new day, not a loss).
Both are available while the bridge is (`B/bridge/state`); the document's other keys
(`state`, `failures`, `last_cycle`, `reason`) are the binary_sensor's attributes.
"""

from __future__ import annotations

import re
from typing import Final

import setsmart
from setsmart.config import WatchdogConfig
from setsmart.mqtt.discovery import Document, device_identifier
from setsmart.mqtt.topics import Topics

WATCHDOG: Final = "watchdog"
_SLUG_UNSAFE: Final = re.compile(r"[^a-z0-9_]")
#: `None` is what an MQTT binary_sensor reads as "unknown" (before the first check).
_TARGET_TEMPLATE: Final = (
    "{% if value_json.target_up is none %}None"
    "{% elif value_json.target_up %}ON{% else %}OFF{% endif %}"
)


def watchdog_topic(topics: Topics, name: str) -> str:
    """`B/watchdog/<name>`: the watchdog's retained state."""
    return f"{topics.base}/{WATCHDOG}/{name}"


def watchdog_node(name: str) -> str:
    """The discovery node id and device identifier of a watchdog."""
    return f"setsmart_{WATCHDOG}_{name}"


def watchdog_discovery(
    config: WatchdogConfig, plug_id: str | None, topics: Topics
) -> dict[str, Document]:
    """`{config topic: document}` of the watchdog's entities; `plug_id` is the device id
    of the plug it power-cycles (its Home Assistant device is the `via_device`)."""
    node = watchdog_node(config.name)
    state = watchdog_topic(topics, config.name)
    slug = _SLUG_UNSAFE.sub("_", config.name.lower())
    device: Document = {
        "identifiers": [node],
        "name": f"{config.name} watchdog",
        "manufacturer": "setsmart",
        "model": f"Watchdog of {config.target}",
    }
    if plug_id is not None:
        device["via_device"] = device_identifier(plug_id)

    def common(component: str, object_id: str, name: str) -> Document:
        entity = f"{slug}_watchdog_{object_id}"
        return {
            "name": name,
            "unique_id": f"{node}_{object_id}",
            "object_id": entity,
            "default_entity_id": f"{component}.{entity}",
            "device": device,
            "origin": {"name": "setsmart", "sw_version": setsmart.__version__},
            "availability": [{"topic": topics.bridge_state}],
            "state_topic": state,
        }

    return {
        topics.ha_config("binary_sensor", node, "target"): {
            **common("binary_sensor", "target", "Target"),
            "device_class": "connectivity",
            "value_template": _TARGET_TEMPLATE,
            "payload_on": "ON",
            "payload_off": "OFF",
            "json_attributes_topic": state,
        },
        topics.ha_config("sensor", node, "cycles_today"): {
            **common("sensor", "cycles_today", "Power cycles today"),
            "value_template": "{{ value_json.cycles_today }}",
            "state_class": "total_increasing",
            "icon": "mdi:restart",
        },
    }
