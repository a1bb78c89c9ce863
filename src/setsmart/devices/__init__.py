"""What a Tuya device is: kinds, DP maps and layouts, conversions, state and commands.

Pure functions and dataclasses: no I/O beyond reading the shipped JSON maps, no asyncio.
"""

from setsmart.devices.colour import ColorFormat, Hsv
from setsmart.devices.commands import POWER_CYCLE_MAX, SetCommand, parse_set, set_keys
from setsmart.devices.convert import MIRED_MAX, MIRED_MIN
from setsmart.devices.detect import detect_type
from setsmart.devices.energy import MAX_REPORT_KWH, EnergyMeter
from setsmart.devices.errors import DeviceError, DpMapError, EnergyStateError, SetError
from setsmart.devices.kinds import (
    canonical_role,
    kind_roles,
    kind_roles_text,
    parse_overrides,
    role_names,
)
from setsmart.devices.layout import DpLayout, LayoutError, parse_layout
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
    "DpLayout",
    "DpMapError",
    "DpValue",
    "EnergyMeter",
    "EnergyStateError",
    "Hsv",
    "LayoutError",
    "SetCommand",
    "SetError",
    "canonical_role",
    "detect_type",
    "device_state",
    "is_dp_id",
    "kind_roles",
    "kind_roles_text",
    "parse_layout",
    "parse_overrides",
    "parse_set",
    "profile_for",
    "role_names",
    "set_keys",
    "valid_roles_text",
    "validate_overrides",
]
