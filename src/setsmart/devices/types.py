"""Basic vocabulary of the devices layer: device types, DP ids and DP values."""

from __future__ import annotations

import math
import re
from enum import StrEnum
from typing import Final, TypeGuard

#: A value we write to a data point. Devices report these too, and odd firmware adds floats.
DpValue = bool | int | str | None

#: The YAML `type:` that asks for detection from the DPs a device reports.
AUTO: Final = "auto"

_DP_ID = re.compile(r"[1-9][0-9]{0,2}")


class DeviceType(StrEnum):
    """What kind of device a profile describes (the YAML `type:` values other than auto)."""

    PLUG = "plug"
    STRIP = "strip"
    SWITCH = "switch"
    DIMMER = "dimmer"
    BULB = "bulb"
    BULB_V1 = "bulb_v1"
    COVER = "cover"
    FAN = "fan"
    CLIMATE = "climate"
    SENSOR = "sensor"
    RAW = "raw"


#: Every value the YAML `type:` key accepts, in the order the docs list them.
TYPE_CHOICES: Final = (AUTO, *(t.value for t in DeviceType))


def is_int(value: object) -> TypeGuard[int]:
    """Whether `value` is an integer; a bool is not (JSON true is no DP number)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[int | float]:
    """Whether `value` is a finite JSON number (not a bool, NaN or infinity)."""
    return is_int(value) or (isinstance(value, float) and math.isfinite(value))


def clamp(value: int, low: int, high: int) -> int:
    """`value` limited to low..high."""
    return min(max(value, low), high)


def is_dp_id(value: object) -> TypeGuard[str]:
    """Whether `value` is a DP id as it appears on the wire: a digit string, 1 to 255."""
    return isinstance(value, str) and _DP_ID.fullmatch(value) is not None and 1 <= int(value) <= 255
