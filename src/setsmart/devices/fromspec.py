"""A device's kind and `dps:` layout from its cloud specification (category and DPs). Pure.

The category names the kind (CONTRACT "Device kinds"): `kg`, `tdq` -> switch; `cz`, `pc`
-> plug, or strip with two switches or more; `dj`, `dd`, `xdd`, `fwd` -> bulb (bulb_v1
when the light codes sit on DPs 1-5); `tgq`, `tgkg` -> dimmer; `cl`, `clkg` -> cover; `fs`
-> fan; `wk`, `wkf` -> climate; the sensor categories -> sensor. Other categories give
`auto` (the product library or the reported DPs decide).

Plugs, strips, switches and bulbs: the `dps:` written are only where the device differs
from the kind's shipped map (metering codes off DPs 17-20 or in other units, a plug's
switch or countdown off 1 and 9, gangs outside 1-7 with their countdowns 9-15), checked
with `profile_for` against the DPs listed. The other kinds: every DP whose code names a
role of the kind, where its layout differs from the kind's default (the bare DP id when
only the id does).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from setsmart.devices.detect import detect_type
from setsmart.devices.errors import DpMapError
from setsmart.devices.kinds import canonical_role, kind_roles, sensor_divisor
from setsmart.devices.layout import DpLayout
from setsmart.devices.profile import DeviceProfile, profile_for
from setsmart.devices.spec import DeviceSpec, SpecDp
from setsmart.devices.types import AUTO, DeviceType, is_int

#: Tuya category -> kind (CONTRACT "Device kinds"); plug/strip and bulb/bulb_v1 refined below.
CATEGORY_KINDS: Final = {
    **dict.fromkeys(("kg", "tdq"), "switch"),
    **dict.fromkeys(("cz", "pc"), "plug"),
    **dict.fromkeys(("dj", "dd", "xdd", "fwd"), "bulb"),
    **dict.fromkeys(("tgq", "tgkg"), "dimmer"),
    **dict.fromkeys(("cl", "clkg"), "cover"),
    "fs": "fan",
    **dict.fromkeys(("wk", "wkf"), "climate"),
    **dict.fromkeys(
        ("wsdcg", "mcs", "pir", "sj", "ywbj", "rqbj", "cobj", "ldcg", "co2bj", "pm25"), "sensor"
    ),
}

#: YAML `dps:` as the importers write it: role -> DP id, or role -> its layout, or None
#: (`null`: the device has no such DP).
DpsEntry = int | DpLayout | None

SENSOR_CODES: Final = {
    "add_ele": "energy",
    "cur_current": "current",
    "cur_power": "power",
    "cur_voltage": "voltage",
}
_USUAL_SENSOR_DPS: Final = {"energy": 17, "current": 18, "power": 19, "voltage": 20}
_V2_LIGHT_CODES: Final = frozenset(
    {"switch_led", "work_mode", "bright_value_v2", "temp_value_v2", "colour_data_v2"}
    | {"bright_value", "temp_value", "colour_data"}
)
_V1_LIGHT_CODES: Final = frozenset(
    {"led_switch", "switch_led", "work_mode", "bright_value", "temp_value", "colour_data"}
)
_GANG: Final = re.compile(r"switch_(usb)?([1-9][0-9]?)")
_STRIP_SLOTS: Final = {1: 9, 2: 10, 3: 11, 4: 12, 5: 13, 6: 14, 7: 15}  # switch -> countdown
_PLUG_SWITCH, _PLUG_COUNTDOWN = 1, 9
#: The kinds read through a shipped DP map (their roles are the CONTRACT's state keys).
_MAP_KINDS: Final = frozenset({"plug", "strip", "switch", "bulb", "bulb_v1", AUTO})


@dataclass(frozen=True, slots=True)
class SpecProfile:
    """What a specification says: the YAML `type` and `dps:`, and remarks for the user."""

    type: str
    dps: Mapping[str, DpsEntry] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def kind_of(spec: DeviceSpec) -> str:
    """The kind the category and codes name, or `auto` when they name none."""
    codes = _codes(spec)
    kind = CATEGORY_KINDS.get(spec.category, AUTO)
    if kind == "plug":
        if len(_gangs(codes)) >= 2:
            return str(DeviceType.STRIP)
        return "plug" if "switch_1" in codes or "switch" in codes else AUTO
    if kind == "bulb":
        if any(code in _V2_LIGHT_CODES and 20 <= dp <= 24 for code, dp in codes.items()):
            return str(DeviceType.BULB)
        if any(code in _V1_LIGHT_CODES and 1 <= dp <= 5 for code, dp in codes.items()):
            return str(DeviceType.BULB_V1)
        return AUTO
    return kind


def profile_from_spec(spec: DeviceSpec) -> SpecProfile:
    """The type and `dps:` overrides for a device of this specification."""
    kind = kind_of(spec)
    if kind in _MAP_KINDS:
        return _map_profile(kind, spec)
    return SpecProfile(kind, layout_overrides(kind, spec))


def spec_layout(dp: SpecDp) -> DpLayout:
    """The layout the specification gives one DP."""
    values = dp.values
    numeric = dp.type == "Integer" and is_int(values.get("min")) and is_int(values.get("max"))
    unit = values.get("unit")
    step = values.get("step", 1)
    return DpLayout(
        id=str(dp.id),
        scale=min(max(dp.scale, 0), 6),
        min=values["min"] if numeric else None,
        max=values["max"] if numeric else None,
        step=step if is_int(step) and step >= 1 else 1,
        unit=unit if isinstance(unit, str) and unit else None,
        range=dp.range if dp.type == "Enum" else (),
    )


def layout_overrides(kind: str, spec: DeviceSpec) -> dict[str, DpsEntry]:
    """Role -> layout of each DP whose code names one of the kind's roles, where it differs
    from the kind's default: the bare DP id when only the id differs."""
    defaults = kind_roles(kind)
    out: dict[str, DpsEntry] = {}
    for dp in spec.dps:
        role = canonical_role(kind, dp.code)
        if role is None or role in out:
            continue
        found = spec_layout(dp)
        default = defaults.get(role)
        if default is not None and replace(default, id=found.id) == found:
            if default.id != found.id:
                out[role] = int(dp.id)
            continue
        out[role] = found
    return out


# -- plugs, strips and bulbs: the shipped DP maps ------------------------------------------


def _codes(spec: DeviceSpec) -> dict[str, int]:
    codes: dict[str, int] = {}
    for dp in spec.dps:
        codes.setdefault(dp.code, dp.id)
    return codes


def _map_profile(kind: str, spec: DeviceSpec) -> SpecProfile:
    codes = _codes(spec)
    wanted = _sensor_overrides(kind, spec)
    if kind == DeviceType.PLUG:
        wanted.update(_plug_overrides(codes))
    elif kind in (DeviceType.STRIP, DeviceType.SWITCH):
        wanted.update(_strip_overrides(codes))
    observed = {str(dp.id): _sample(dp) for dp in spec.dps}
    notes: list[str] = []
    profile = _checked(kind, wanted, observed)
    if profile is None:
        sensors_only = {role: dp for role, dp in wanted.items() if role in _USUAL_SENSOR_DPS}
        layout = ", ".join(f"{dp.id} {dp.code}" for dp in spec.dps)
        notes.append(
            "its DP layout does not fit the type's map; check the dps: of this device "
            f"(mapping: {layout})"
        )
        wanted = sensors_only
        profile = _checked(kind, wanted, observed)
        if profile is None:
            wanted = {}
            profile = _checked(kind, wanted, observed)
    return SpecProfile(kind, dict(wanted), tuple(notes))


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


def _sensor_overrides(kind: str, spec: DeviceSpec) -> dict[str, DpsEntry]:
    """Meters off their usual DP, or in other units than the kind's default: a meter of
    scale 0 in W, or current in A, is written with its layout so it reads right."""
    metered_by_map = kind in (DeviceType.PLUG, DeviceType.STRIP, DeviceType.SWITCH, AUTO)
    defaults = kind_roles(kind if kind != AUTO else DeviceType.PLUG)
    overrides: dict[str, DpsEntry] = {}
    for code, role in SENSOR_CODES.items():
        dp = spec.code(code)
        if dp is None:
            continue
        found = meter_layout(role, dp)
        default = defaults.get(role)
        if default is not None and sensor_divisor(default) != sensor_divisor(found):
            overrides[role] = found
        elif not (metered_by_map and dp.id == _USUAL_SENSOR_DPS[role]):
            overrides[role] = dp.id
    return overrides


def meter_layout(role: str, dp: SpecDp) -> DpLayout:
    """A meter's layout; current without a unit is in mA, as on Tuya's standard sockets."""
    found = spec_layout(dp)
    if role == "current" and found.unit is None:
        return replace(found, unit="mA")
    return found


def _plug_overrides(codes: Mapping[str, int]) -> dict[str, DpsEntry]:
    overrides: dict[str, DpsEntry] = {}
    switch = codes.get("switch_1", codes.get("switch"))
    if switch is not None and switch != _PLUG_SWITCH:
        overrides["state"] = switch
    countdown = codes.get("countdown_1", codes.get("countdown"))
    if countdown is not None and countdown != _PLUG_COUNTDOWN:
        overrides["countdown"] = countdown
    return overrides


def _strip_overrides(codes: Mapping[str, int]) -> dict[str, DpsEntry]:
    gangs = _gangs(codes)
    usual = all(
        switch in _STRIP_SLOTS and countdown in (None, _STRIP_SLOTS[switch])
        for switch, countdown in gangs
    )
    if usual:
        return {}
    overrides: dict[str, DpsEntry] = {
        f"state_l{n}": switch for n, (switch, _) in enumerate(gangs, start=1)
    }
    if all(countdown is not None for _, countdown in gangs):
        overrides.update(
            {f"countdown_l{n}": cd for n, (_, cd) in enumerate(gangs, start=1) if cd is not None}
        )
    return overrides


def _sample(dp: SpecDp) -> object:
    """A value of the DP's type, as the device would report it."""
    if dp.type == "Boolean":
        return False
    if dp.type in ("Integer", "Bitmap"):
        low = dp.values.get("min", 0)
        return low if is_int(low) else 0
    if dp.type == "Enum":
        return dp.range[0] if dp.range else ""
    return ""


def _checked(
    kind: str, overrides: Mapping[str, DpsEntry], observed: Mapping[str, object]
) -> DeviceProfile | None:
    resolved = detect_type(observed) if kind == AUTO else kind
    try:
        return profile_for(resolved, overrides, observed)
    except DpMapError:
        return None
