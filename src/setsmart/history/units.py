"""The unit of each numeric state key (CONTRACT.md "State keys" and "Device kinds")."""

from __future__ import annotations

from typing import Final

_UNITS: Final = {
    "power": "W",
    "voltage": "V",
    "current": "A",
    "energy": "kWh",
    "temperature": "°C",
    "local_temperature": "°C",
    "current_heating_setpoint": "°C",
    "humidity": "%",
    "battery": "%",
    "position": "%",
    "percentage": "%",
    "illuminance": "lx",
    "co2": "ppm",
    "pm25": "µg/m³",
    "color_temp": "mired",
    "color_temp_kelvin": "K",
}


def unit_of(key: str) -> str | None:
    """The unit `key` is reported in; None for plain numbers (brightness 0-255...)."""
    base = key.rpartition("_l")[0] if key.rpartition("_l")[2].isdigit() else key
    return _UNITS.get(base)
