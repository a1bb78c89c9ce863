"""Home Assistant documents of the kinds read by `devices/kinds/` (dimmer, cover, fan,
climate, sensor): what `discovery.py` builds for them beside its switches and lights.

Every command goes to the device's `/set` topic as the JSON our `/set` takes; every
state is read from its state topic. A dimmer is a JSON light per channel; with several
channels, each light reads and writes its channel's own topics (`channels.py`), since a
JSON light reads only `state` and `brightness`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from setsmart.devices import DeviceProfile, DeviceType, set_keys
from setsmart.devices.kinds import climate as climate_kind
from setsmart.devices.kinds import dimmer as dimmer_kind
from setsmart.devices.kinds import sensor as sensor_kind
from setsmart.mqtt.payloads import encode_json

if TYPE_CHECKING:
    from setsmart.mqtt.discovery import Document, EntityFactory

#: HA's climate action for our `running_state`.
_ACTIONS: Final = (
    "{{ {'heat': 'heating', 'cool': 'cooling'}.get(value_json.running_state, 'idle') }}"
)
#: Entity names that are not just the state key capitalised.
_NAMES: Final = {"co2": "CO2", "pm25": "PM2.5"}
#: Object ids any kind may publish, per component (for clearing stale ones).
POSSIBLE_OBJECTS: Final = (
    *(("light", f"l{n}") for n in range(1, 5)),
    ("cover", "cover"),
    ("fan", "fan"),
    ("climate", "climate"),
    *(("binary_sensor" if r.binary else "sensor", r.key) for r in sensor_kind.READINGS),
)


def _value(key: str) -> str:
    return f"{{{{ value_json.{key} | default(None) }}}}"


def documents(entity: EntityFactory, profile: DeviceProfile) -> dict[tuple[str, str], Document]:
    """`{(component, object id): document}` of a device of one of these kinds."""
    match profile.type:
        case DeviceType.DIMMER:
            return _dimmer(entity, profile)
        case DeviceType.COVER:
            return {("cover", "cover"): _cover(entity, profile)}
        case DeviceType.FAN:
            return {("fan", "fan"): _fan(entity, profile)}
        case DeviceType.CLIMATE:
            return {("climate", "climate"): _climate(entity, profile)}
        case DeviceType.SENSOR:
            return _sensors(entity, profile)
        case _:
            return {}


def _dimmer(entity: EntityFactory, profile: DeviceProfile) -> dict[tuple[str, str], Document]:
    if not dimmer_kind.is_multi(profile):
        return {("light", "light"): entity.light(profile, modes=["brightness"])}
    return {
        ("light", f"l{n}"): entity.light(profile, modes=["brightness"], channel=n)
        for n in dimmer_kind.channels(profile)
    }


def _cover(entity: EntityFactory, profile: DeviceProfile) -> Document:
    document = entity.common("cover", "cover", None, main=True)
    # Our `state` is the last command, not where the cover is: HA reads the position.
    state_topic = document.pop("state_topic")
    document.update(
        {
            "command_topic": entity.set_topic,
            "payload_open": encode_json({"state": "OPEN"}),
            "payload_close": encode_json({"state": "CLOSE"}),
            "payload_stop": encode_json({"state": "STOP"}),
            "device_class": "curtain",
        }
    )
    if "percent_control" in profile.roles:
        document.update(
            {
                "position_topic": state_topic,
                "position_template": _value("position"),
                "set_position_topic": entity.set_topic,
                "set_position_template": '{"position": {{ position }}}',
            }
        )
    document.update(entity.attributes())
    return document


def _fan(entity: EntityFactory, profile: DeviceProfile) -> Document:
    document = entity.common("fan", "fan", None, main=True)
    state_topic = document["state_topic"]
    set_topic = entity.set_topic
    document.update(
        {
            "command_topic": set_topic,
            "state_value_template": _value("state"),
            "payload_on": "ON",
            "payload_off": "OFF",
        }
    )
    keys = set(set_keys(profile))
    if "percentage" in keys:
        document.update(
            {
                "percentage_command_topic": set_topic,
                "percentage_command_template": '{"percentage": {{ value }}}',
                "percentage_state_topic": state_topic,
                "percentage_value_template": _value("percentage"),
            }
        )
    mode = profile.layout("mode")
    if "preset_mode" in keys and mode is not None and mode.range:
        document.update(
            {
                "preset_modes": list(mode.range),
                "preset_mode_command_topic": set_topic,
                "preset_mode_command_template": '{"preset_mode": "{{ value }}"}',
                "preset_mode_state_topic": state_topic,
                "preset_mode_value_template": _value("preset_mode"),
            }
        )
    if "oscillation" in keys:
        document.update(
            {
                "oscillation_command_topic": set_topic,
                "oscillation_command_template": '{"oscillation": {{ value }}}',
                "payload_oscillation_on": "true",
                "payload_oscillation_off": "false",
                "oscillation_state_topic": state_topic,
                "oscillation_value_template": (
                    "{{ (value_json.oscillation | string | lower) "
                    "if value_json.oscillation is defined else None }}"
                ),
            }
        )
    if "direction" in keys:
        document.update(
            {
                "direction_command_topic": set_topic,
                "direction_command_template": '{"direction": "{{ value }}"}',
                "direction_state_topic": state_topic,
                "direction_value_template": _value("direction"),
            }
        )
    document.update(entity.attributes())
    return document


def _climate(entity: EntityFactory, profile: DeviceProfile) -> Document:
    document = entity.common("climate", "climate", None, main=True)
    state_topic = document.pop("state_topic")
    set_topic = entity.set_topic
    setpoint = profile.layouts["temp_set"] if "temp_set" in profile.roles else None
    document.update(
        {
            "current_temperature_topic": state_topic,
            "current_temperature_template": _value("local_temperature"),
            "mode_command_topic": set_topic,
            "mode_command_template": '{"system_mode": "{{ value }}"}',
            "mode_state_topic": state_topic,
            "mode_state_template": _value("system_mode"),
            "modes": list(climate_kind.system_modes(profile)),
            "temperature_unit": "C",
        }
    )
    if setpoint is not None:
        step = setpoint.step / setpoint.divisor
        document.update(
            {
                "temperature_command_topic": set_topic,
                "temperature_command_template": '{"current_heating_setpoint": {{ value }}}',
                "temperature_state_topic": state_topic,
                "temperature_state_template": _value("current_heating_setpoint"),
                "temp_step": step,
                "precision": 0.1 if step < 0.5 else 0.5 if step < 1 else 1.0,
            }
        )
        bounds = setpoint.bounds()
        if bounds is not None:
            document["min_temp"], document["max_temp"] = bounds
    presets = climate_kind.presets(profile)
    if presets:
        document.update(
            {
                "preset_modes": list(presets),
                "preset_mode_command_topic": set_topic,
                "preset_mode_command_template": '{"preset": "{{ value }}"}',
                "preset_mode_state_topic": state_topic,
                "preset_mode_value_template": _value("preset"),
            }
        )
    if "work_state" in profile.roles or "valve_state" in profile.roles:
        document.update({"action_topic": state_topic, "action_template": _ACTIONS})
    document.update(entity.attributes())
    return document


def _sensors(entity: EntityFactory, profile: DeviceProfile) -> dict[tuple[str, str], Document]:
    out: dict[tuple[str, str], Document] = {}
    for reading in sensor_kind.readings(profile):
        name = _NAMES.get(reading.key, reading.key.replace("_", " ").capitalize())
        if reading.binary:
            # HA's door is ON when open; our `contact` is true when closed.
            on, off = ("OFF", "ON") if reading.inverted else ("ON", "OFF")
            out["binary_sensor", reading.key] = {
                **entity.common("binary_sensor", reading.key, name, main=False),
                "value_template": (
                    f"{{{{ ('{on}' if value_json.{reading.key} else '{off}') "
                    f"if value_json.{reading.key} is defined else None }}}}"
                ),
                "payload_on": "ON",
                "payload_off": "OFF",
                "device_class": reading.device_class,
            }
        else:
            out["sensor", reading.key] = {
                **entity.common("sensor", reading.key, name, main=False),
                "value_template": _value(reading.key),
                "unit_of_measurement": reading.unit,
                "device_class": reading.device_class,
                "state_class": reading.state_class,
            }
    return out
