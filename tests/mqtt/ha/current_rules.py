"""Home Assistant 2026.11.0's MQTT discovery rules for the keys we send, transcribed.

NOT Home Assistant's code running: current releases need Python 3.14.2 (2026.11.0's
Requires-Python), use syntax that Python 3.11 cannot even parse (PEP 695 `type`
aliases, PEP 758 `except A, B:`), and this machine and CI have only Python 3.11. So the
rules below were read off the release's own source and are cited per rule as
`path:line` at tag 2026.11.0 of github.com/home-assistant/core (paths under
homeassistant/). Unlike HA's schemas, this checker only knows the keys our documents
might use: any other key is reported as dropped, which the tests forbid unless chosen.

Where a rule needs a running HA (Jinja compilation of templates), the 2024.3 test runs
HA's own code instead; here only the template filters are checked against 2026.11.0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VERSION = "2026.11.0"
ABBREVIATIONS_TABLES: dict[str, Any] = json.loads(
    (Path(__file__).parents[2] / "fixtures/ha/mqtt_abbreviations_2026.11.0.json").read_text("utf-8")
)


class Invalid(Exception):
    """What probatio.Invalid would say."""


@dataclass
class Verdict:
    """What HA makes of one discovery message."""

    component: str | None = None
    discovery_id: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


Validator = Callable[[Any], Any]

# -- helpers/config_validation.py ------------------------------------------------------


def string(value: Any) -> str:
    """helpers/config_validation.py:663-678 (cv.string)."""
    if value is None:
        raise Invalid("string value is None")
    if isinstance(value, str):
        return value
    if isinstance(value, list | dict):
        raise Invalid("value should be a string")
    return str(value)


def optional_string(value: Any) -> str | None:
    """probatio.Any(cv.string, None): e.g. `name` (mqtt/switch.py:55, sensor.py:84)."""
    return None if value is None else string(value)


def boolean(value: Any) -> bool:
    """helpers/config_validation.py:217-229 (cv.boolean)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.lower().strip()
        if lowered in ("1", "true", "yes", "on", "enable"):
            return True
        if lowered in ("0", "false", "no", "off", "disable"):
            return False
    elif isinstance(value, int | float):
        return value != 0
    raise Invalid(f"invalid boolean value {value}")


def positive_int(value: Any) -> int:
    """helpers/config_validation.py:184: All(Coerce(int), NonNegative())."""
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise Invalid(f"expected int, got {value!r}") from exc
    if number < 0:
        raise Invalid("value must be at least 0")
    return number


#: Filters our templates may use: Jinja's own `default`, `lower` and `string` (builtins
#: of every Jinja environment), and HA's `to_json`
#: (helpers/template/extensions/serialization.py:54).
TEMPLATE_FILTERS = frozenset({"default", "lower", "string", "to_json"})
_FILTER = re.compile(r"\|\s*([A-Za-z_]\w*)")


def template(value: Any) -> str:
    """helpers/config_validation.py:700-714 (cv.template), without compiling it."""
    if value is None:
        raise Invalid("template value is None")
    if isinstance(value, list | dict):
        raise Invalid("template value should be a string")
    text = str(value)
    unknown = set(_FILTER.findall(text)) - TEMPLATE_FILTERS
    if unknown:
        raise Invalid(f"invalid template (no filter named {sorted(unknown)[0]!r})")
    return text


def one_of(*choices: str) -> Validator:
    """probatio.In / Coerce(an enum) after probatio.Lower, as the cited schemas do."""

    def check(value: Any) -> str:
        text = string(value).lower()
        if text not in choices:
            raise Invalid(f"value must be one of {sorted(choices)}, got {value!r}")
        return text

    return check


def temperature_unit(value: Any) -> str:
    """helpers/config_validation.py:690-697 (cv.temperature_unit): C or F, kept as °C/°F."""
    text = str(value).upper()
    if text in ("C", "F"):
        return f"°{text}"
    raise Invalid("invalid temperature unit (expected C or F)")


def a_float(value: Any) -> float:
    """probatio.Coerce(float)."""
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise Invalid(f"expected float, got {value!r}") from exc


def precision(value: Any) -> float:
    """mqtt/climate.py:301-304: All(Coerce(float), In([0.1, 0.5, 1.0]))."""
    number = a_float(value)
    if number not in (0.1, 0.5, 1.0):
        raise Invalid(f"value must be one of [0.1, 0.5, 1.0], got {value!r}")
    return number


def a_list(value: Any) -> list[Any]:
    """probatio.EnsureList()."""
    return value if isinstance(value, list) else [value]


# -- components/mqtt/util.py -----------------------------------------------------------


def valid_topic(topic: Any) -> str:
    """mqtt/util.py:251-290."""
    text = string(topic)
    raw = text.encode("utf-8")
    if not raw:
        raise Invalid("MQTT topic name/filter must not be empty.")
    if len(raw) > 65535:
        raise Invalid("MQTT topic name/filter must not be longer than 65535 encoded bytes.")
    for char in text:
        if char == "\0":
            raise Invalid("MQTT topic name/filter must not contain null character.")
        if char <= "\u001f" or "\u007f" <= char <= "\u009f":
            raise Invalid("MQTT topic name/filter must not contain control characters.")
        if "\ufdd0" <= char <= "\ufdef" or (ord(char) & 0xFFFF) in (0xFFFE, 0xFFFF):
            raise Invalid("MQTT topic name/filter must not contain non-characters.")
    return text


def valid_subscribe_topic(topic: Any) -> str:
    """mqtt/util.py:294-318."""
    text = valid_topic(topic)
    for index, char in enumerate(text):
        if char == "+" and (
            (index > 0 and text[index - 1] != "/")
            or (index < len(text) - 1 and text[index + 1] != "/")
        ):
            raise Invalid("Single-level wildcard must occupy an entire level of the filter")
    index = text.find("#")
    if index != -1:
        if index != len(text) - 1:
            raise Invalid("Multi-level wildcard must be the last character in the topic filter.")
        if len(text) > 1 and text[index - 1] != "/":
            raise Invalid("Multi-level wildcard must be after a topic level separator.")
    return text


def valid_publish_topic(topic: Any) -> str:
    """mqtt/util.py:332-337."""
    text = valid_topic(topic)
    if "+" in text or "#" in text:
        raise Invalid("Wildcards cannot be used in topic names")
    return text


def valid_qos(value: Any) -> int:
    """mqtt/util.py:355-358 (_VALID_QOS_SCHEMA: Coerce(int), In([0, 1, 2]))."""
    number = positive_int(value)
    if number not in (0, 1, 2):
        raise Invalid(f"value must be one of [0, 1, 2], got {value!r}")
    return number


# -- components/mqtt/schemas.py --------------------------------------------------------


def schema(
    keys: dict[str, Validator], required: tuple[str, ...] = ()
) -> Callable[[Any], dict[str, Any]]:
    """A nested probatio.Schema: PREVENT_EXTRA, so an unknown key is an error."""

    def check(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Invalid("expected a dictionary")
        for key in required:
            if key not in value:
                raise Invalid(f"required key not provided @ data['{key}']")
        result = {}
        for key, item in value.items():
            if key not in keys:
                raise Invalid(f"extra keys not allowed @ data['{key}']")
            result[key] = keys[key](item)
        return result

    return check


def string_list(value: Any) -> list[str]:
    """All(EnsureList(), [cv.string])."""
    return [string(item) for item in (value if isinstance(value, list) else [value])]


#: mqtt/schemas.py:97-119 (_MQTT_AVAILABILITY_LIST_SCHEMA's entries).
_AVAILABILITY_ENTRY = schema(
    {
        "topic": valid_subscribe_topic,
        "payload_available": string,
        "payload_not_available": string,
        "value_template": template,
    },
    required=("topic",),
)


def availability(value: Any) -> list[dict[str, Any]]:
    """mqtt/schemas.py:102-118: All(EnsureList(), [entry])."""
    return [_AVAILABILITY_ENTRY(item) for item in (value if isinstance(value, list) else [value])]


_DEVICE_BASE: Callable[[Any], dict[str, Any]] = schema(
    # mqtt/schemas.py:145-164 (_MQTT_DEVICE_INFO_SCHEMA_BASE), plus child_device (:169).
    {
        "identifiers": string_list,
        "manufacturer": string,
        "model": string,
        "model_id": string,
        "name": string,
        "hw_version": string,
        "serial_number": string,
        "sw_version": string,
        "via_device": string,
        "suggested_area": string,
    }
)


def device(value: Any) -> dict[str, Any]:
    """mqtt/schemas.py:166-173 and :126-133: at least one identifier or connection."""
    result = _DEVICE_BASE(value)
    if not result.get("identifiers") and not result.get("connections"):
        raise Invalid(
            "Device must have at least one identifying value in 'identifiers' and/or 'connections'"
        )
    return result


#: mqtt/schemas.py:184-192 (MQTT_ORIGIN_INFO_SCHEMA).
origin = schema({"name": string, "sw_version": string}, required=("name",))

#: mqtt/schemas.py:202-217 (MQTT_ENTITY_COMMON_SCHEMA) with :82-123 (availability) and
#: mqtt/config.py:22-26 (SCHEMA_BASE: qos, encoding).
COMMON: dict[str, Validator] = {
    "availability_mode": one_of("all", "any", "latest"),  # mqtt/const.py:21-25
    "availability": availability,
    "device": device,
    "origin": origin,
    "enabled_by_default": boolean,
    "json_attributes_topic": valid_subscribe_topic,
    "json_attributes_template": template,
    "default_entity_id": string,
    "unique_id": string,
    "qos": valid_qos,
    "encoding": string,
}

#: mqtt/config.py:39-47 (MQTT_RW_SCHEMA).
READ_WRITE: dict[str, Validator] = {
    "command_topic": valid_publish_topic,
    "optimistic": boolean,
    "retain": boolean,
    "state_topic": valid_subscribe_topic,
}

#: mqtt/config.py:31-36 (MQTT_RO_SCHEMA).
READ_ONLY: dict[str, Validator] = {
    "state_topic": valid_subscribe_topic,
    "value_template": template,
}

#: mqtt/switch.py:52-63; components/switch/const.py:19-26 (device classes).
SWITCH: dict[str, Validator] = {
    **READ_WRITE,
    **COMMON,
    "command_template": template,
    "name": optional_string,
    "payload_off": string,
    "payload_on": string,
    "state_off": string,
    "state_on": string,
    "value_template": template,
    "device_class": one_of("outlet", "switch"),
}

#: mqtt/sensor.py:78-92; components/sensor/const.py:568-570 and :577-602 (classes):
#: sensor/const.py:178 battery, 197 carbon_dioxide, 287 humidity, 293 illuminance,
#: 363 pm25, 462 temperature, and the four of meters.
SENSOR: dict[str, Validator] = {
    **READ_ONLY,
    **COMMON,
    "device_class": one_of(
        "power",
        "voltage",
        "current",
        "energy",
        "battery",
        "carbon_dioxide",
        "humidity",
        "illuminance",
        "pm25",
        "temperature",
    ),  # the ones we use
    "name": optional_string,
    "suggested_display_precision": positive_int,
    "state_class": one_of("measurement", "measurement_angle", "total", "total_increasing"),
    "unit_of_measurement": optional_string,
}

#: components/light/const.py:76-94 and components/light/helper.py:47-60.
COLOR_MODES = ("onoff", "brightness", "color_temp", "hs", "xy", "rgb", "rgbw", "rgbww", "white")
_COLOUR = frozenset({"hs", "xy", "rgb", "rgbw", "rgbww"})


def supported_color_modes(value: Any) -> list[str]:
    """mqtt/light/schema_json.py:122-127: EnsureList, In, Unique, then
    light/helper.py:47-60 (valid_supported_color_modes)."""
    modes = [one_of(*COLOR_MODES)(mode) for mode in (value if isinstance(value, list) else [value])]
    if len(set(modes)) != len(modes):
        raise Invalid("contains duplicate items")
    chosen = set(modes)
    if (
        not chosen
        or ("brightness" in chosen and len(chosen) > 1)
        or ("onoff" in chosen and len(chosen) > 1)
        or ("white" in chosen and not chosen & _COLOUR)
    ):
        raise Invalid(f"Invalid supported_color_modes {sorted(chosen)}")
    return modes


#: mqtt/light/schema_json.py:92-135 (PLATFORM_SCHEMA_MODERN_JSON) and
#: mqtt/light/schema.py:7-13 (`schema`).
LIGHT_JSON: dict[str, Validator] = {
    **READ_WRITE,
    **COMMON,
    "schema": one_of("basic", "json", "template"),
    "brightness": boolean,
    "color_temp_kelvin": boolean,
    "effect": boolean,
    # effect_list, max_kelvin and min_kelvin: _PLATFORM_SCHEMA_BASE of the same file, read
    # from a 2025 release (the Kelvin keys came with color_temp_kelvin in 2025.1); their
    # lines at 2026.11.0 were not checked.
    "effect_list": string_list,
    "flash": boolean,
    "max_kelvin": positive_int,
    "max_mireds": positive_int,
    "min_kelvin": positive_int,
    "min_mireds": positive_int,
    "name": optional_string,
    "supported_color_modes": supported_color_modes,
    "transition": boolean,
}

#: mqtt/light/schema_template.py:89-118 (PLATFORM_SCHEMA_MODERN_TEMPLATE, with
#: MQTT_RW_SCHEMA and MQTT_LIGHT_SCHEMA_SCHEMA): the keys our channel lights use.
LIGHT_TEMPLATE: dict[str, Validator] = {
    **READ_WRITE,
    **COMMON,
    "schema": one_of("basic", "json", "template"),
    "brightness_template": template,
    "command_off_template": template,
    "command_on_template": template,
    "name": optional_string,
    "state_template": template,
}

#: mqtt/binary_sensor.py:53-67 (MQTT_RO_SCHEMA + common); device classes of
#: components/binary_sensor/__init__.py (BinarySensorDeviceClass), the ones we use.
BINARY_SENSOR: dict[str, Validator] = {
    **READ_ONLY,
    **COMMON,
    "device_class": one_of(
        "battery",
        "carbon_monoxide",
        "connectivity",
        "door",
        "gas",
        "moisture",
        "motion",
        "smoke",
        "tamper",
    ),
    "name": optional_string,
    "payload_off": string,
    "payload_on": string,
}

#: mqtt/cover.py:157-204 (_PLATFORM_SCHEMA_BASE: MQTT_BASE_SCHEMA + common); device
#: classes of components/cover/const.py (CoverDeviceClass: curtain at :89).
COVER: dict[str, Validator] = {
    **COMMON,
    "command_topic": valid_publish_topic,
    "device_class": one_of("curtain"),
    "position_topic": valid_subscribe_topic,
    "position_template": template,
    "name": optional_string,
    "payload_close": optional_string,
    "payload_open": optional_string,
    "payload_stop": optional_string,
    "retain": boolean,
    "set_position_template": template,
    "set_position_topic": valid_publish_topic,
    "state_topic": valid_subscribe_topic,
    "value_template": template,
}

#: mqtt/fan.py:126-175 (_PLATFORM_SCHEMA_BASE: MQTT_RW_SCHEMA + common).
FAN: dict[str, Validator] = {
    **READ_WRITE,
    **COMMON,
    "name": optional_string,
    "command_template": template,
    "direction_command_topic": valid_publish_topic,
    "direction_command_template": template,
    "direction_state_topic": valid_subscribe_topic,
    "direction_value_template": template,
    "oscillation_command_topic": valid_publish_topic,
    "oscillation_command_template": template,
    "oscillation_state_topic": valid_subscribe_topic,
    "oscillation_value_template": template,
    "percentage_command_topic": valid_publish_topic,
    "percentage_command_template": template,
    "percentage_state_topic": valid_subscribe_topic,
    "percentage_value_template": template,
    "preset_mode_command_topic": valid_publish_topic,
    "preset_modes": a_list,
    "preset_mode_command_template": template,
    "preset_mode_state_topic": valid_subscribe_topic,
    "preset_mode_value_template": template,
    "payload_off": string,
    "payload_on": string,
    "payload_oscillation_off": string,
    "payload_oscillation_on": string,
    "state_value_template": template,
}

#: mqtt/climate.py:256-356 (_PLATFORM_SCHEMA_BASE: MQTT_BASE_SCHEMA + common), the keys
#: we use; precision at :301-304 (0.1, 0.5 or 1.0).
CLIMATE: dict[str, Validator] = {
    **COMMON,
    "action_template": template,
    "action_topic": valid_subscribe_topic,
    "current_temperature_template": template,
    "current_temperature_topic": valid_subscribe_topic,
    "max_temp": a_float,
    "min_temp": a_float,
    "mode_command_template": template,
    "mode_command_topic": valid_publish_topic,
    "mode_state_template": template,
    "mode_state_topic": valid_subscribe_topic,
    "modes": a_list,
    "name": optional_string,
    "precision": precision,
    "preset_mode_command_template": template,
    "preset_mode_command_topic": valid_publish_topic,
    "preset_mode_state_topic": valid_subscribe_topic,
    "preset_mode_value_template": template,
    "preset_modes": a_list,
    "retain": boolean,
    "temp_step": a_float,
    "temperature_command_template": template,
    "temperature_command_topic": valid_publish_topic,
    "temperature_state_template": template,
    "temperature_state_topic": valid_subscribe_topic,
    "temperature_unit": temperature_unit,
}

PLATFORMS = {
    "switch": SWITCH,
    "sensor": SENSOR,
    "light": LIGHT_JSON,
    "binary_sensor": BINARY_SENSOR,
    "cover": COVER,
    "fan": FAN,
    "climate": CLIMATE,
}
REQUIRED = {
    "switch": ("command_topic",),
    "sensor": ("state_topic",),
    "light": ("command_topic",),
    "binary_sensor": ("state_topic",),  # mqtt/config.py:31-36 (MQTT_RO_SCHEMA)
    "cover": (),
    "fan": ("command_topic",),  # mqtt/config.py:39-47 (MQTT_RW_SCHEMA)
    "climate": (),
}
#: Keys that must come together: fan.py:144-149, climate.py:309-314 (Inclusive).
INCLUSIVE = {
    "fan": ("preset_mode_command_topic", "preset_modes"),
    "climate": ("preset_mode_command_topic", "preset_modes"),
}

#: components/sensor/const.py:670, 682, 718-725, 752 (DEVICE_CLASS_UNITS, our classes),
#: with homeassistant/const.py:497-574 (the unit enums).
DEVICE_CLASS_UNITS = {
    "power": {"mW", "W", "kW", "MW", "GW", "TW"},
    "voltage": {"μV", "mV", "V", "kV", "MV"},
    "current": {"μA", "mA", "A"},
    "energy": {"J", "kJ", "MJ", "GJ", "mWh", "Wh", "kWh", "MWh", "GWh", "TWh"},
    # sensor/const.py:660, 668, 693, 694, 715, 742 (with homeassistant/const.py:590-592,
    # 736, 798, 805, 807).
    "battery": {"%"},
    "carbon_dioxide": {"ppm"},
    "humidity": {"%"},
    "illuminance": {"lx"},
    "pm25": {"\u03bcg/m³"},
    "temperature": {"°C", "°F", "K"},
}
#: sensor/const.py:908-913 (AMBIGUOUS_UNITS, the entry we meet): the micro sign becomes
#: the Greek mu before the unit is checked (mqtt/sensor.py:144-146).
AMBIGUOUS_UNITS = {"\u00b5g/m³": "\u03bcg/m³"}
#: components/sensor/const.py:830, 836-839, 860, 880 (DEVICE_CLASS_STATE_CLASSES).
DEVICE_CLASS_STATE_CLASSES = {
    "power": {"measurement"},
    "voltage": {"measurement"},
    "current": {"measurement"},
    "energy": {"total", "total_increasing"},
    # sensor/const.py:825, 828, 845, 846, 857, 874.
    "battery": {"measurement"},
    "carbon_dioxide": {"measurement"},
    "humidity": {"measurement"},
    "illuminance": {"measurement"},
    "pm25": {"measurement"},
    "temperature": {"measurement"},
}

#: mqtt/discovery.py:75-78.
TOPIC_MATCHER = re.compile(
    r"(?P<component>\w+)/(?:(?P<node_id>[a-zA-Z0-9_-]+)/)?(?P<object_id>[a-zA-Z0-9_-]+)/config"
)


def check(prefix: str, topic: str, payload: str) -> Verdict:
    """What HA 2026.11.0 makes of a discovery message (as far as our keys go)."""
    verdict = Verdict()
    trimmed = topic.replace(f"{prefix}/", "", 1)  # mqtt/discovery.py:602
    match = TOPIC_MATCHER.match(trimmed)
    if match is None:  # mqtt/discovery.py:604-614
        verdict.error = "illegal discovery topic"
        return verdict
    component, node_id, object_id = match.groups()
    verdict.component = component
    verdict.discovery_id = f"{node_id} {object_id}" if node_id else object_id  # :739
    if component not in PLATFORMS:  # we check these (mqtt/const.py:430-465)
        verdict.error = f"not a platform this checker knows: {component}"
        return verdict
    try:
        document = json.loads(payload) if payload else {}  # mqtt/discovery.py:706-716
    except ValueError:
        verdict.error = "Unable to parse JSON discovery payload"
        return verdict
    if not isinstance(document, dict):
        verdict.error = "Unable to parse JSON discovery payload"
        return verdict
    if "migrate_discovery" in document or "migr_discvry" in document:  # :121-135
        verdict.error = "a discovery migration request, not a config"
        return verdict
    _replace_abbreviations(document)
    try:
        verdict.config = _validate(component, document, verdict)
    except Invalid as exc:
        verdict.error = str(exc)
    return verdict


def _replace_abbreviations(document: dict[str, Any]) -> None:
    """mqtt/discovery.py:204-243 (_replace_all_abbreviations), for an entity payload."""

    def replace(payload: Any, table: dict[str, str]) -> None:
        if isinstance(payload, dict):
            for key in set(table).intersection(payload):
                payload[table[key]] = payload.pop(key)

    replace(document, ABBREVIATIONS_TABLES["ABBREVIATIONS"])
    if "availability" in document:
        entries = document["availability"]
        for entry in entries if isinstance(entries, list) else [entries]:
            replace(entry, ABBREVIATIONS_TABLES["ABBREVIATIONS"])
    if "origin" in document:
        replace(document["origin"], ABBREVIATIONS_TABLES["ORIGIN_ABBREVIATIONS"])
    if "device" in document:
        replace(document["device"], ABBREVIATIONS_TABLES["DEVICE_ABBREVIATIONS"])


def _validate(component: str, document: dict[str, Any], verdict: Verdict) -> dict[str, Any]:
    if "origin" in document:
        origin(document["origin"])  # mqtt/discovery.py:378-391
    keys, required = _schema_of(component, document)
    for key in required:
        if key not in document:
            raise Invalid(f"required key not provided @ data['{key}']")
    together = INCLUSIVE.get(component, ())
    if (
        together
        and any(k in document for k in together)
        and not all(k in document for k in together)
    ):
        raise Invalid(f"some but not all values in the same group of inclusion {together}")
    config: dict[str, Any] = {}
    for key, value in document.items():
        if key not in keys:
            verdict.dropped.append(key)  # extra=REMOVE_EXTRA, e.g. mqtt/switch.py:65
            continue
        try:
            config[key] = keys[key](value)
        except Invalid as exc:
            raise Invalid(f"{exc} for dictionary value @ data['{key}']") from None
    if "availability_topic" in config and "availability" in config:  # schemas.py:84, 101
        raise Invalid("two or more values in the same group of exclusion 'availability'")
    if component == "sensor":
        _sensor_rules(config, verdict)
    elif component == "cover":
        _cover_rules(config)
    elif component == "climate" and "none" in config.get("preset_modes", []):
        raise Invalid("preset_modes must not include preset mode 'none'")  # climate.py:221
    _entity_rules(component, config, verdict)
    return config


def _schema_of(
    component: str, document: dict[str, Any]
) -> tuple[dict[str, Validator], tuple[str, ...]]:
    """The keys and required keys of the document's schema. mqtt/light/__init__.py:32-42:
    `schema` picks the light schema; we send json and template (schema_template.py:96-97
    requires its two command templates)."""
    light_schema = one_of("basic", "json", "template")(document.get("schema", "basic"))
    if component == "light" and light_schema == "template":
        return LIGHT_TEMPLATE, ("command_topic", "command_off_template", "command_on_template")
    if component == "light" and light_schema != "json":
        raise Invalid("this checker knows only the JSON and template light schemas")
    return PLATFORMS[component], REQUIRED[component]


def _entity_rules(component: str, config: dict[str, Any], verdict: Verdict) -> None:
    if "child_device" in config.get("device", {}) and "unique_id" not in config:
        raise Invalid("'unique_id' is required when a 'child_device' is configured")  # :220
    default_entity_id = config.get("default_entity_id")
    if default_entity_id:  # mqtt/entity.py:1791-1806
        domain, _, object_id = default_entity_id.partition(".")
        if object_id and domain != component:
            verdict.warnings.append(f"default_entity_id {default_entity_id} has another domain")


def _cover_rules(config: dict[str, Any]) -> None:
    """mqtt/cover.py:112-153 (validate_options): each template needs its topic."""
    for key, topic in (
        ("set_position_topic", "position_topic"),
        ("value_template", "state_topic"),
        ("position_template", "position_topic"),
        ("set_position_template", "set_position_topic"),
    ):
        if key in config and topic not in config:
            raise Invalid(f"'{key}' must be set together with '{topic}'.")


def _sensor_rules(config: dict[str, Any], verdict: Verdict) -> None:
    """mqtt/sensor.py:95-160 (validate_sensor_state_and_device_class_config) and the
    warning of components/sensor/entity.py:547-571 (state class against device class)."""
    unit = config.get("unit_of_measurement")
    if unit is not None and not unit.strip():
        config.pop("unit_of_measurement")
        unit = None
    if unit is not None:
        unit = config["unit_of_measurement"] = AMBIGUOUS_UNITS.get(unit, unit)
    device_class = config.get("device_class")
    if (
        unit is not None
        and device_class in DEVICE_CLASS_UNITS
        and unit not in DEVICE_CLASS_UNITS[device_class]
    ):
        raise Invalid(
            f"The unit of measurement `{unit}` is not valid together with device class "
            f"`{device_class}`"
        )
    state_class = config.get("state_class")
    if state_class == "measurement_angle" and unit != "°":  # STATE_CLASS_UNITS, :901-903
        raise Invalid(f"The unit of measurement '{unit}' is not valid with '{state_class}'")
    allowed = DEVICE_CLASS_STATE_CLASSES.get(device_class or "")
    if state_class and allowed is not None and state_class not in allowed:
        verdict.warnings.append(f"state class '{state_class}' is impossible for {device_class}")
