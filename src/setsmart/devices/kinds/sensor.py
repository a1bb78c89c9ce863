"""Sensors (`wsdcg`, `mcs`, `pir`, `sj`, `ywbj`, `rqbj`, `cobj`, `ldcg`, `co2bj`, `pm25`).

Each role the device has gives one state key; nothing can be set (`dps` aside).
Measurements are scaled by their layout; alarms are true when the DP is true or holds
an alarm word (`alarm`, `pir`, `1`, `low`); `contact` is true when the door is closed,
the reverse of Tuya's `doorcontact_state`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from setsmart.devices.profile import DeviceProfile
from setsmart.devices.setvalues import Writes

IGNORED: Final = frozenset[str]()
_ALARM_WORDS: Final = frozenset({"alarm", "pir", "1", "low", "presence", "detected"})


@dataclass(frozen=True, slots=True)
class Reading:
    """One sensor state key: the role it reads, whether it is on/off, and how HA shows it.

    `device_class` is Home Assistant's; `unit` and `state_class` only for measurements.
    """

    key: str
    role: str
    binary: bool
    device_class: str | None
    unit: str | None = None
    state_class: str | None = None
    inverted: bool = False


#: Every reading a sensor may have, in the order state and discovery list them.
READINGS: Final = (
    Reading("temperature", "va_temperature", False, "temperature", "°C", "measurement"),
    Reading("humidity", "va_humidity", False, "humidity", "%", "measurement"),
    Reading("battery", "battery_percentage", False, "battery", "%", "measurement"),
    Reading("battery_low", "battery_state", True, "battery"),
    Reading("contact", "doorcontact_state", True, "door", inverted=True),
    Reading("occupancy", "pir", True, "motion"),
    Reading("water_leak", "watersensor_state", True, "moisture"),
    Reading("smoke", "smoke_sensor_status", True, "smoke"),
    Reading("gas", "gas_sensor_status", True, "gas"),
    Reading("carbon_monoxide", "co_status", True, "carbon_monoxide"),
    Reading("tamper", "temper_alarm", True, "tamper"),
    Reading("illuminance", "bright_value", False, "illuminance", "lx", "measurement"),
    Reading("co2", "co2_value", False, "carbon_dioxide", "ppm", "measurement"),
    Reading("pm25", "pm25_value", False, "pm25", "µg/m³", "measurement"),
)


def readings(profile: DeviceProfile) -> tuple[Reading, ...]:
    """The readings this sensor has."""
    return tuple(r for r in READINGS if r.role in profile.roles)


def _binary(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() in _ALARM_WORDS
    return None


def state(profile: DeviceProfile, dps: Mapping[str, object]) -> dict[str, object]:
    """One key per reading whose DP holds a usable value."""
    result: dict[str, object] = {}
    for reading in readings(profile):
        layout = profile.layouts[reading.role]
        raw = dps.get(profile.roles[reading.role])
        if reading.binary:
            flag = _binary(raw)
            if flag is not None:
                # contact: Tuya says true = open; zigbee2mqtt's contact is true = closed.
                result[reading.key] = not flag if reading.inverted else flag
        else:
            value = layout.real(raw)
            if value is not None:
                result[reading.key] = value
    return result


def set_keys(profile: DeviceProfile) -> tuple[str, ...]:
    """None: a sensor is read only (raw `dps` aside)."""
    del profile
    return ()


def apply(
    profile: DeviceProfile,
    fields: Mapping[str, object],
    current: Mapping[str, object],
    writes: Writes,
) -> None:
    """Nothing to do: only `dps` passes the key check."""
    del profile, fields, current, writes
