"""What a Tuya plug, strip or bulb is: DP maps, conversions, state and commands.

Pure functions and dataclasses: no I/O beyond reading the shipped JSON maps, no asyncio.
"""

from setsmart.devices.colour import ColorFormat, Hsv
from setsmart.devices.commands import POWER_CYCLE_MAX, SetCommand, parse_set, set_keys
from setsmart.devices.convert import MIRED_MAX, MIRED_MIN
from setsmart.devices.detect import detect_type
from setsmart.devices.energy import MAX_REPORT_KWH, EnergyMeter
from setsmart.devices.errors import DeviceError, DpMapError, EnergyStateError, SetError
from setsmart.devices.profile import DeviceProfile, profile_for
from setsmart.devices.roles import MAX_GANGS, ROLE_NAMES, valid_roles_text, validate_overrides
from setsmart.devices.state import device_state
from setsmart.devices.types import AUTO, TYPE_CHOICES, DeviceType, DpValue, is_dp_id

__all__ = [
    "AUTO",
    "MAX_GANGS",
    "MAX_REPORT_KWH",
    "MIRED_MAX",
    "MIRED_MIN",
    "POWER_CYCLE_MAX",
    "ROLE_NAMES",
    "TYPE_CHOICES",
    "ColorFormat",
    "DeviceError",
    "DeviceProfile",
    "DeviceType",
    "DpMapError",
    "DpValue",
    "EnergyMeter",
    "EnergyStateError",
    "Hsv",
    "SetCommand",
    "SetError",
    "detect_type",
    "device_state",
    "is_dp_id",
    "parse_set",
    "profile_for",
    "set_keys",
    "valid_roles_text",
    "validate_overrides",
]
