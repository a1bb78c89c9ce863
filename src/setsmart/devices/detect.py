"""Telling a plug from a strip or a bulb by the DPs it reports (YAML `type: auto`).

Heuristics, in order (first match wins):
1. bulb (v2): DP 20 is a bool and DP 21 is a mode string, DP 22 an int or DP 24 a string.
2. bulb_v1: DP 1 is a bool and DP 5 is a 14-hex colour, or DP 3 is an int 25-255 beside
   a mode string on DP 2.
3. strip: two or more bool DPs among the strip's switch DPs (1-7).
4. plug: DP 1 is a bool.
5. raw: anything else (thermostats, sensors...: configure those as `type: raw`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from setsmart.devices.dpmap import load_map
from setsmart.devices.types import DeviceType, is_int

_HEX14 = re.compile(r"[0-9a-fA-F]{14}")
_LEGACY_POWER_DPS = ("4", "5", "6")
_POWER_DPS = ("18", "19", "20")


def detect_type(dps: Mapping[str, object]) -> DeviceType:
    """The device type suggested by a full status (`dps` with string keys)."""
    if isinstance(dps.get("20"), bool) and (
        isinstance(dps.get("21"), str) or is_int(dps.get("22")) or isinstance(dps.get("24"), str)
    ):
        return DeviceType.BULB
    if isinstance(dps.get("1"), bool) and _looks_like_v1_bulb(dps):
        return DeviceType.BULB_V1
    if len(strip_switch_dps(dps)) >= 2:
        return DeviceType.STRIP
    if isinstance(dps.get("1"), bool):
        return DeviceType.PLUG
    return DeviceType.RAW


def _looks_like_v1_bulb(dps: Mapping[str, object]) -> bool:
    colour = dps.get("5")
    if isinstance(colour, str) and _HEX14.fullmatch(colour):
        return True
    brightness = dps.get("3")
    return isinstance(dps.get("2"), str) and is_int(brightness) and 25 <= brightness <= 255


def strip_switch_dps(dps: Mapping[str, object]) -> list[str]:
    """The strip switch DPs (1-7) that `dps` reports as bools, in gang order."""
    return [switch for switch, _ in load_map("strip").gangs if isinstance(dps.get(switch), bool)]


def is_legacy_plug(dps: Mapping[str, object]) -> bool:
    """Whether a plug meters on DPs 4/5/6 (old firmware) rather than 18/19/20."""
    return any(is_int(dps.get(dp)) for dp in _LEGACY_POWER_DPS) and not any(
        dp in dps for dp in _POWER_DPS
    )
