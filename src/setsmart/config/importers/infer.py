"""A device's ``type`` and ``dps`` overrides, inferred from its Tuya category and DP mapping.

Rules (the mapping is DP id -> code, as the cloud's specification gives it):
- plugs and strips (categories ``cz``, ``pc``): ``strip`` when two or more switch codes
  (``switch_1``.., ``switch_usb1``..), else ``plug`` when ``switch_1`` or ``switch``;
- lights (``dj``, ``dd``, ``fwd``, ``xdd``): ``bulb`` when a light code (``switch_led``,
  ``bright_value_v2``...) sits on DP 20-24, ``bulb_v1`` when one sits on DP 1-5;
- anything else, and any device without a mapping: ``auto`` (detected from the DPs the
  device reports when it first connects).
Overrides are written only where the device differs from the type's shipped DP map:
metering codes (``cur_power``...) on other DPs than 17-20, a plug's switch or countdown
elsewhere than 1 and 9, a strip's switches outside 1-7. Every override set is checked
with :func:`setsmart.devices.profile_for` against the DPs the mapping lists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from setsmart.config.importers.model import DpInfo
from setsmart.devices import AUTO, DeviceProfile, DeviceType, DpMapError, detect_type, profile_for

PLUG_CATEGORIES = frozenset({"cz", "pc"})
LIGHT_CATEGORIES = frozenset({"dj", "dd", "fwd", "xdd"})

SENSOR_CODES = {
    "add_ele": "energy",
    "cur_current": "current",
    "cur_power": "power",
    "cur_voltage": "voltage",
}
_USUAL_SENSOR_DPS = {"energy": 17, "current": 18, "power": 19, "voltage": 20}
_V2_LIGHT_CODES = frozenset(
    {"switch_led", "work_mode", "bright_value_v2", "temp_value_v2", "colour_data_v2"}
    | {"bright_value", "temp_value", "colour_data"}
)
_V1_LIGHT_CODES = frozenset(
    {"led_switch", "switch_led", "work_mode", "bright_value", "temp_value", "colour_data"}
)
_GANG = re.compile(r"switch_(usb)?([1-9][0-9]?)")
_STRIP_SLOTS = {1: 9, 2: 10, 3: 11, 4: 12, 5: 13, 6: 14, 7: 15}  # switch DP -> countdown DP
_PLUG_SWITCH, _PLUG_COUNTDOWN = 1, 9
_SENSOR_UNITS = {"power": "W", "voltage": "V", "current": "A", "energy": "kWh"}


@dataclass(frozen=True, slots=True)
class Inference:
    """What the mapping says about a device; ``notes`` are remarks for the user."""

    type: str
    dps: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def infer_device(category: str, mapping: Mapping[int, DpInfo] | None) -> Inference:
    """The type and overrides for a device of ``category`` whose DPs are ``mapping``."""
    if not mapping:
        return Inference(AUTO)
    codes: dict[str, int] = {}
    for dp in sorted(mapping):
        codes.setdefault(mapping[dp].code, dp)
    kind = _type(category, codes)
    wanted = _sensor_overrides(kind, codes)
    if kind == DeviceType.PLUG:
        wanted.update(_plug_overrides(codes))
    elif kind == DeviceType.STRIP:
        wanted.update(_strip_overrides(codes))
    observed = {str(dp): _sample(info) for dp, info in mapping.items()}
    notes: list[str] = []
    profile = _checked(kind, wanted, observed)
    if profile is None:
        sensors_only = {role: dp for role, dp in wanted.items() if role in _USUAL_SENSOR_DPS}
        notes.append(
            "its DP layout does not fit the type's map; check the dps: of this device "
            f"(mapping: {_describe(mapping)})"
        )
        wanted = sensors_only
        profile = _checked(kind, wanted, observed)
        if profile is None:
            wanted = {}
            profile = _checked(kind, wanted, observed)
    if profile is not None:
        notes.extend(_scale_notes(profile, mapping, codes))
    return Inference(str(kind), wanted, tuple(notes))


def _type(category: str, codes: Mapping[str, int]) -> str:
    if category in PLUG_CATEGORIES:
        if len(_gangs(codes)) >= 2:
            return DeviceType.STRIP
        if "switch_1" in codes or "switch" in codes:
            return DeviceType.PLUG
    elif category in LIGHT_CATEGORIES:
        if any(code in _V2_LIGHT_CODES and 20 <= dp <= 24 for code, dp in codes.items()):
            return DeviceType.BULB
        if any(code in _V1_LIGHT_CODES and 1 <= dp <= 5 for code, dp in codes.items()):
            return DeviceType.BULB_V1
    return AUTO


def _gangs(codes: Mapping[str, int]) -> list[tuple[int, int | None]]:
    """(switch DP, countdown DP) of each gang: switch_1.. first, then switch_usb1.."""
    found: list[tuple[bool, int, int, int | None]] = []
    for code, dp in codes.items():
        match = _GANG.fullmatch(code)
        if match:
            usb, number = match[1] is not None, int(match[2])
            countdown = codes.get(f"countdown_{'usb' if usb else ''}{number}")
            found.append((usb, number, dp, countdown))
    return [(dp, countdown) for _, _, dp, countdown in sorted(found)]


def _sensor_overrides(kind: str, codes: Mapping[str, int]) -> dict[str, int]:
    metered_by_map = kind in (DeviceType.PLUG, DeviceType.STRIP, AUTO)
    overrides: dict[str, int] = {}
    for code, role in SENSOR_CODES.items():
        dp = codes.get(code)
        if dp is not None and not (metered_by_map and dp == _USUAL_SENSOR_DPS[role]):
            overrides[role] = dp
    return overrides


def _plug_overrides(codes: Mapping[str, int]) -> dict[str, int]:
    overrides: dict[str, int] = {}
    switch = codes.get("switch_1", codes.get("switch"))
    if switch is not None and switch != _PLUG_SWITCH:
        overrides["state"] = switch
    countdown = codes.get("countdown_1", codes.get("countdown"))
    if countdown is not None and countdown != _PLUG_COUNTDOWN:
        overrides["countdown"] = countdown
    return overrides


def _strip_overrides(codes: Mapping[str, int]) -> dict[str, int]:
    gangs = _gangs(codes)
    usual = all(
        switch in _STRIP_SLOTS and countdown in (None, _STRIP_SLOTS[switch])
        for switch, countdown in gangs
    )
    if usual:
        return {}
    overrides = {f"state_l{n}": switch for n, (switch, _) in enumerate(gangs, start=1)}
    if all(countdown is not None for _, countdown in gangs):
        overrides.update(
            {f"countdown_l{n}": cd for n, (_, cd) in enumerate(gangs, start=1) if cd is not None}
        )
    return overrides


def _sample(info: DpInfo) -> object:
    """A value of the DP's type, as the device would report it."""
    kind = info.type.lower()
    if kind in ("boolean", "bool"):
        return False
    if kind in ("integer", "value", "bitmap"):
        low = info.values.get("min", 0)
        return low if isinstance(low, int) and not isinstance(low, bool) else 0
    if kind == "enum":
        options = info.values.get("range")
        return str(options[0]) if isinstance(options, list) and options else ""
    return ""


def _checked(
    kind: str, overrides: Mapping[str, int], observed: Mapping[str, object]
) -> DeviceProfile | None:
    resolved = detect_type(observed) if kind == AUTO else kind
    try:
        return profile_for(resolved, overrides, observed)
    except DpMapError:
        return None


def _scale_notes(
    profile: DeviceProfile, mapping: Mapping[int, DpInfo], codes: Mapping[str, int]
) -> list[str]:
    """Warn where a meter reports in other units than setsmart's map divides by."""
    notes = []
    for code, role in SENSOR_CODES.items():
        dp = codes.get(code)
        if dp is None or str(dp) != profile.roles.get(role) or role not in profile.scale:
            continue
        values = mapping[dp].values
        scale = values.get("scale")
        if not isinstance(scale, int) or isinstance(scale, bool) or not 0 <= scale <= 6:
            continue
        # Current without a unit is in mA, as on Tuya's standard sockets.
        milli = role == "current" and values.get("unit") != "A"
        divisor = 10**scale * (1000 if milli else 1)
        ours = profile.scale[role]
        if divisor != ours:
            factor = ours / divisor if ours > divisor else divisor / ours
            direction = "low" if ours > divisor else "high"
            notes.append(
                f"{code} (DP {dp}) has scale {scale}, setsmart divides by {ours}: "
                f"{role} will read {factor:g}x too {direction} ({_SENSOR_UNITS[role]})"
            )
    return notes


def _describe(mapping: Mapping[int, DpInfo]) -> str:
    return ", ".join(f"{dp} {mapping[dp].code}" for dp in sorted(mapping))
