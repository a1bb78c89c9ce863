"""Run Home Assistant's own MQTT discovery code on our documents (a separate process).

Started by tests/mqtt/ha/release.py with the interpreter of the test run, isolated
(`python -I -S`) from our venv, with HA's wheel and its pinned dependencies on sys.path
(argv[1]). Reads a request as JSON on stdin, writes the answer as JSON on stdout:

- "documents": [{"topic", "payload"}]: each config message goes through HA's real
  discovery message handler (`async_start`'s inner `async_discovery_message_received`:
  topic matching, abbreviation expansion, `~` base), then the platform's own
  `DISCOVERY_SCHEMA`, as `async_setup_entity_entry_helper` does. Answers the validated
  config (made JSON-safe), the error, and every warning HA logged.
- "renders": [{"template", "payload"}]: a template rendered as HA renders a
  `value_template` on a received payload (MqttValueTemplate).
- "entities": [{"topic", "states": [payload, ...], "calls": [{kwargs}, ...]}]: the entity
  class of that discovery topic, set up from its validated config as MqttEntity does
  (`_setup_from_config`, `_prepare_subscribe_topics`), is fed each state payload on its
  state topic through HA's own message callback and reports what it then shows
  (is_on, native_value, brightness, colour); then each call is made (`turn_on` with the
  kwargs, or `turn_off` for {"off": true}) and what the entity publishes is recorded.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import importlib
import json
import logging
import sys
import types
from typing import Any

sys.path.insert(0, sys.argv[1])


def _ha(name: str) -> Any:
    """A module of Home Assistant (imported by name: our venv and mypy know none of it)."""
    return importlib.import_module(f"homeassistant.{name}")


ha_binary_sensor = _ha("components.mqtt.binary_sensor")
ha_discovery = _ha("components.mqtt.discovery")
ha_light = _ha("components.mqtt.light")
ha_sensor = _ha("components.mqtt.sensor")
ha_switch = _ha("components.mqtt.switch")
ha_subscription = _ha("components.mqtt.subscription")
schema_json = _ha("components.mqtt.light.schema_json")
DATA_MQTT = _ha("components.mqtt.const").DATA_MQTT
MqttValueTemplate = _ha("components.mqtt.models").MqttValueTemplate
ReceiveMessage = _ha("components.mqtt.models").ReceiveMessage
HA_VERSION = _ha("const").__version__
HomeAssistant = _ha("core").HomeAssistant
Template = _ha("helpers.template").Template
ha_sensor_component = _ha("components.sensor")

PLATFORMS = {
    "light": ha_light,
    "switch": ha_switch,
    "sensor": ha_sensor,
    "binary_sensor": ha_binary_sensor,
}


class Captured(logging.Handler):
    """Every WARNING or worse that Home Assistant logs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")

    def take(self) -> list[str]:
        taken, self.messages = self.messages, []
        return taken


def json_safe(value: Any) -> Any:
    """A validated HA config as plain JSON (templates as their text, sets sorted)."""
    if isinstance(value, Template):
        return value.template
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(json_safe(item) for item in value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def discovery_handler(prefix: str, seen: list[tuple[str, str, Any]]) -> Any:
    """HA's own `async_discovery_message_received`, taken out of `async_start`.

    Its closure gets our stand-ins: the discovery prefix, an empty MQTT data object and,
    instead of dispatching to the platform, a function that records what it would send.
    """
    outer = ha_discovery.async_start.__code__
    code = next(
        const
        for const in outer.co_consts
        if isinstance(const, types.CodeType) and const.co_name == "async_discovery_message_received"
    )

    def process(component: str, discovery_id: str, payload: Any) -> None:
        seen.append((component, discovery_id, payload))

    mqtt_data = types.SimpleNamespace(
        last_discovery=0.0, discovery_pending_discovered={}, discovery_already_discovered=set()
    )
    cells = {
        "async_process_discovery_payload": process,
        "discovery_topic": prefix,
        "mqtt_data": mqtt_data,
    }
    closure = tuple(types.CellType(cells[name]) for name in code.co_freevars)
    return types.FunctionType(code, ha_discovery.__dict__, code.co_name, None, closure)


def check_document(
    handler: Any, seen: list[Any], topic: str, payload: str, log: Captured
) -> dict[str, Any]:
    """What HA makes of one discovery message; an empty payload is a removal."""
    seen.clear()
    handler(ReceiveMessage(topic, payload, 0, True, topic, 0.0))
    result: dict[str, Any] = {"config": None, "error": None, "removal": False}
    if not seen:
        result["error"] = "the discovery handler ignored the message"
    else:
        component, discovery_id, discovery_payload = seen[0]
        result.update(component=component, discovery_id=discovery_id)
        result["removal"] = not discovery_payload
        try:
            if discovery_payload:
                result["config"] = PLATFORMS[component].DISCOVERY_SCHEMA(discovery_payload)
        except Exception as exc:  # noqa: BLE001  # any failure is the answer
            result["error"] = f"{type(exc).__name__}: {exc}"
    if result["config"] is not None and result.get("component") == "sensor":
        result["sensor_tables"] = sensor_tables(result["config"])
    result["warnings"] = log.take()
    return result


def sensor_tables(config: dict[str, Any]) -> dict[str, bool]:
    """Whether unit and state class fit the device class, by HA's own sensor tables
    (the sensor entity warns of a state class its device class cannot have)."""
    device_class = config.get("device_class")
    units = ha_sensor_component.DEVICE_CLASS_UNITS.get(device_class)
    classes = ha_sensor_component.DEVICE_CLASS_STATE_CLASSES.get(device_class)
    return {
        "unit_fits": units is not None and config.get("unit_of_measurement") in units,
        "state_class_fits": classes is not None and config.get("state_class") in classes,
    }


def render(hass: Any, template: str, payload: str) -> str:
    value_template = MqttValueTemplate(Template(template, hass), hass=hass)
    return str(value_template.async_render_with_possible_json_value(payload, default=""))


ENTITY_CLASSES = {
    "light": schema_json.MqttLightJson,
    "switch": ha_switch.MqttSwitch,
    "sensor": ha_sensor.MqttSensor,
    "binary_sensor": ha_binary_sensor.MqttBinarySensor,
}
SHOWN = {
    "light": ("is_on", "brightness", "color_mode", "hs_color", "color_temp"),
    "switch": ("is_on",),
    "sensor": ("native_value",),
    "binary_sensor": ("is_on",),
}


def make_entity(hass: Any, component: str, config: dict[str, Any]) -> tuple[Any, Any, list[Any]]:
    """The entity of `config`, its state message callback, and where it publishes to."""
    entity = ENTITY_CLASSES[component].__new__(ENTITY_CLASSES[component])
    # What MqttEntity.__init__ sets before it calls _setup_from_config; the rest of
    # __init__ registers the entity with HA's registries, which this check has none of.
    entity.hass = hass
    entity._config = config
    entity._sub_state = {}
    entity._discovery = True
    entity.entity_id = f"{component}.under_test"
    entity._setup_from_config(config)
    subscribed: dict[str, Any] = {}

    def prepare(hass: Any, sub_state: Any, topics: dict[str, Any]) -> dict[str, Any]:
        subscribed.update(topics)
        return {}

    original = ha_subscription.async_prepare_subscribe_topics
    ha_subscription.async_prepare_subscribe_topics = prepare
    try:
        entity._prepare_subscribe_topics()
    finally:
        ha_subscription.async_prepare_subscribe_topics = original
    published: list[Any] = []

    async def publish(topic: str, payload: str, *args: Any, **kwargs: Any) -> None:
        published.append({"topic": topic, "payload": payload})

    entity.async_publish = publish
    entity.async_write_ha_state = lambda: None
    return entity, subscribed["state_topic"], published


async def check_entity(
    hass: Any, component: str, config: dict[str, Any], item: dict[str, Any]
) -> Any:
    entity, state_topic, published = make_entity(hass, component, config)
    shown = []
    for payload in item.get("states", []):
        topic = state_topic["topic"]
        state_topic["msg_callback"](ReceiveMessage(topic, payload, 0, True, topic, 0.0))
        shown.append({name: json_safe(getattr(entity, name)) for name in SHOWN[component]})
    commands = []
    for call in item.get("calls", []):
        published.clear()
        kwargs = {
            key: tuple(value) if isinstance(value, list) else value for key, value in call.items()
        }
        if kwargs.pop("off", False):
            await entity.async_turn_off(**kwargs)
        else:
            await entity.async_turn_on(**kwargs)
        commands.append(list(published))
    return {"shown": shown, "published": commands}


async def main() -> None:
    request = json.load(sys.stdin)
    log = Captured()
    logging.getLogger("homeassistant").addHandler(log)
    logging.getLogger("homeassistant").setLevel(logging.WARNING)
    hass = HomeAssistant("/nonexistent-config-dir")
    # The parts of the MQTT integration's data that the message callbacks touch.
    hass.data[DATA_MQTT] = types.SimpleNamespace(
        debug_info_entities=collections.defaultdict(
            lambda: {"subscriptions": collections.defaultdict(lambda: {"messages": []})}
        ),
        state_write_requests=types.SimpleNamespace(write_state_request=lambda entity: None),
    )
    seen: list[Any] = []
    handler = discovery_handler(request.get("prefix", "homeassistant"), seen)
    documents: dict[str, Any] = {}
    configs: dict[str, Any] = {}
    for item in request.get("documents", []):
        result = check_document(handler, seen, item["topic"], item["payload"], log)
        configs[item["topic"]] = result["config"]
        documents[item["topic"]] = {**result, "config": json_safe(result["config"])}
    renders = []
    for item in request.get("renders", []):
        try:
            renders.append(
                {"value": render(hass, item["template"], item["payload"]), "warnings": log.take()}
            )
        except Exception as exc:  # noqa: BLE001  # any failure is the answer
            renders.append({"error": f"{type(exc).__name__}: {exc}", "warnings": log.take()})
    entities = []
    for item in request.get("entities", []):
        component = documents[item["topic"]]["component"]
        try:
            result = await check_entity(hass, component, configs[item["topic"]], item)
        except Exception as exc:  # noqa: BLE001  # any failure is the answer
            result = {"error": f"{type(exc).__name__}: {exc}"}
        entities.append({**result, "warnings": log.take()})
    answer = {
        "version": HA_VERSION,
        "documents": documents,
        "renders": renders,
        "entities": entities,
    }
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    asyncio.run(main())
