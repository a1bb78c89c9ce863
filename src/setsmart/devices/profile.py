"""DeviceProfile: what one configured device is, resolved from its type, overrides and DPs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

from setsmart.devices.colour import ColorFormat
from setsmart.devices.convert import MIRED_MAX, MIRED_MIN
from setsmart.devices.detect import detect_type, is_legacy_plug, strip_switch_dps
from setsmart.devices.dpmap import DpMap, load_map
from setsmart.devices.errors import DpMapError
from setsmart.devices.kinds import kind_spec, parse_overrides, sensor_divisor
from setsmart.devices.layout import DpLayout
from setsmart.devices.roles import (
    LIGHT_ROLES,
    SENSOR_DECIMALS,
    SENSOR_ROLES,
    gang_role,
    parse_gang_role,
)
from setsmart.devices.types import AUTO, TYPE_CHOICES, DeviceType, is_int

if TYPE_CHECKING:
    from setsmart.devices.commands import SetRules

_LIGHT_TYPES = frozenset({DeviceType.BULB, DeviceType.BULB_V1})

#: The kinds whose roles are Tuya's codes, each read and written by its module in kinds/.
SPEC_KINDS = frozenset(
    {DeviceType.DIMMER, DeviceType.COVER, DeviceType.FAN, DeviceType.CLIMATE, DeviceType.SENSOR}
)
_NO_LAYOUTS: Mapping[str, DpLayout] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class DeviceProfile:
    """A device's resolved type and role -> DP id map, with the units its DPs use.

    `roles` maps role names (state keys such as "power", "state_l2", or Tuya's codes such
    as "temp_set" for the kinds in SPEC_KINDS) to DP ids, and `layouts` each role to its
    DpLayout; `scale` maps meter roles to the divisor that turns the raw DP into W, V, A
    or kWh. `invert` is the YAML `invert:` of covers.
    """

    type: DeviceType
    roles: Mapping[str, str]
    scale: Mapping[str, int]
    map_name: str | None = None
    layouts: Mapping[str, DpLayout] = field(default_factory=lambda: _NO_LAYOUTS)
    invert: bool = False
    brightness_range: tuple[int, int] = (10, 1000)
    color_temp_range: tuple[int, int] = (0, 1000)
    color_format: ColorFormat = ColorFormat.HSV12

    # Derived from `roles` once (`__post_init__`): the state document and `/set` read them
    # for every message.
    is_strip: bool = field(init=False, repr=False, compare=False)
    """Whether the switches are numbered gangs (`state_l1`..) rather than one `state`."""
    switch_dps: tuple[str, ...] = field(init=False, repr=False, compare=False)
    """The switch DP of each gang, gang 1 first."""
    sensors: tuple[str, ...] = field(init=False, repr=False, compare=False)
    """Which of power, voltage, current and energy the device reports."""
    sensor_dps: tuple[str, ...] = field(init=False, repr=False, compare=False)
    """DP ids of the sensors: what an UPDATEDPS (cmd 18) refresh should ask for."""
    energy_dps: tuple[int, ...] = field(init=False, repr=False, compare=False)
    """`sensor_dps` as numbers, as a LAN link's energy refresh sends them."""
    meters: tuple[tuple[str, str, int, int], ...] = field(init=False, repr=False, compare=False)
    """(role, DP id, divisor, decimals) of each sensor, in `sensors` order."""
    is_light: bool = field(init=False, repr=False, compare=False)
    """Whether Home Assistant should see a light (rather than a switch)."""

    min_mireds: ClassVar[int] = MIRED_MIN
    max_mireds: ClassVar[int] = MIRED_MAX

    # Filled in by `devices.commands` the first time a `/set` is parsed (every `/set`
    # reads it; the profile never changes).
    set_rules_memo: SetRules | None = field(default=None, init=False, repr=False, compare=False)
    """What `/set` takes for the device, once worked out; read it with `set_rules`."""

    def __post_init__(self) -> None:
        roles = self.roles
        is_strip = gang_role("state", 1) in roles
        if is_strip:
            count = sum(1 for r in roles if (p := parse_gang_role(r)) and p[0] == "state")
            switch_dps = tuple(roles[gang_role("state", n)] for n in range(1, count + 1))
        else:
            switch_dps = tuple(dp for dp in (roles.get("state"),) if dp is not None)
        sensors = tuple(role for role in SENSOR_ROLES if role in roles)
        sensor_dps = tuple(roles[role] for role in sensors)
        derived = {
            "is_strip": is_strip,
            "switch_dps": switch_dps,
            "sensors": sensors,
            "sensor_dps": sensor_dps,
            "energy_dps": tuple(int(dp) for dp in sensor_dps),
            "meters": tuple(
                (role, roles[role], self.scale.get(role, 1), SENSOR_DECIMALS[role])
                for role in sensors
            ),
            "is_light": self.type in _LIGHT_TYPES or any(role in roles for role in LIGHT_ROLES),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    def dp(self, role: str) -> str | None:
        """The DP id of `role`, or None when the device has no such role."""
        return self.roles.get(role)

    def layout(self, role: str) -> DpLayout | None:
        """The layout of `role`, or None when the device has no such role."""
        return self.layouts.get(role)

    @property
    def gangs(self) -> int:
        """Number of switch gangs: N for a strip, 1 for a plug or bulb, 0 without a switch."""
        return len(self.switch_dps)

    def countdown_dp(self, gang: int) -> str | None:
        """The countdown DP of gang `gang` (1-based), or None when it has none."""
        return self.dp(gang_role("countdown", gang) if self.is_strip else "countdown")

    @property
    def color_modes(self) -> tuple[str, ...]:
        """Home Assistant `supported_color_modes` of a light; empty for other devices.

        "white" stands for a colour bulb's plain white channel when it has no colour
        temperature (HA's white mode); "brightness"/"onoff" for lights without colour.
        """
        if not self.is_light:
            return ()
        has = self.roles.__contains__
        modes = [
            mode for mode, role in (("hs", "color"), ("color_temp", "color_temp")) if has(role)
        ]
        if has("color") and has("brightness") and not has("color_temp"):
            modes.append("white")
        if not modes:
            modes.append("brightness" if has("brightness") else "onoff")
        return tuple(modes)


def profile_for(
    device_type: DeviceType | str,
    overrides: Mapping[Any, object] | None = None,
    observed_dps: Mapping[str, object] | None = None,
    *,
    invert: bool = False,
) -> DeviceProfile:
    """Resolve a device's profile.

    `device_type` is a DeviceType or "auto" (which needs `observed_dps`). `overrides` is
    the YAML `dps:` mapping (role -> DP id or layout, or null to drop a role) with keys
    as YAML gave them; anything but a role name of the kind is rejected. `observed_dps`,
    a full status of the device, refines the map: roles whose DP the device does not
    report are dropped (the switch, and a kind's core roles, excepted), a strip gets the
    gangs it reports, and a plug that meters on DPs 4/5/6 gets the legacy map.
    Overrides always win.
    """
    kind = _resolve_type(device_type, observed_dps)
    layouts = parse_overrides(kind, overrides or {})
    if kind in SPEC_KINDS:
        return _spec_profile(kind, layouts, observed_dps, invert=invert)
    base = _base_map(kind, observed_dps)
    roles = {} if base is None else _base_roles(base, observed_dps)
    defaults = kind_spec(kind).roles
    chosen = {role: (defaults.get(role) or DpLayout(dp)).at(dp) for role, dp in roles.items()}
    for role, layout in layouts.items():
        if layout is None:
            chosen.pop(role, None)
        else:
            chosen[role] = layout
    roles = {role: layout.id for role, layout in chosen.items() if layout.id is not None}
    _check_structure(roles)
    scale: dict[str, int] = {
        role: sensor_divisor(chosen[role]) for role in SENSOR_ROLES if role in roles
    }
    if base is None:
        return DeviceProfile(
            type=kind,
            roles=MappingProxyType(roles),
            scale=MappingProxyType(scale),
            layouts=MappingProxyType(chosen),
            invert=invert,
        )
    return DeviceProfile(
        type=kind,
        roles=MappingProxyType(roles),
        scale=MappingProxyType(scale),
        map_name=base.name,
        brightness_range=base.brightness_range,
        color_temp_range=base.color_temp_range,
        color_format=base.color_format,
        layouts=MappingProxyType(chosen),
        invert=invert,
    )


def _spec_profile(
    kind: DeviceType,
    overrides: Mapping[str, DpLayout | None],
    observed: Mapping[str, object] | None,
    *,
    invert: bool,
) -> DeviceProfile:
    """A kind of SPEC_KINDS: its default layouts the device has, then the overrides.

    Without observed DPs only the kind's core roles are assumed; with them, a default
    role is kept when its DP holds a value that fits it (a core role also when absent).
    """
    spec = kind_spec(kind)
    chosen: dict[str, DpLayout] = {}
    for role, layout in spec.roles.items():
        if layout.id is None:
            continue
        if observed is None or layout.id not in observed:
            keep = role in spec.core
        else:
            keep = layout.fits(observed[layout.id])
        if keep:
            chosen[role] = layout
    # A DP the overrides give a role is no longer a default role's.
    taken = {layout.id for layout in overrides.values() if layout is not None}
    chosen = {role: layout for role, layout in chosen.items() if layout.id not in taken}
    for role, override in overrides.items():
        if override is None:
            chosen.pop(role, None)
        else:
            chosen[role] = override
    roles = {role: layout.id for role, layout in chosen.items() if layout.id is not None}
    _check_unique(roles)
    return DeviceProfile(
        type=kind,
        roles=MappingProxyType(roles),
        scale=MappingProxyType({}),
        layouts=MappingProxyType(chosen),
        invert=invert,
    )


def _resolve_type(
    device_type: DeviceType | str, observed: Mapping[str, object] | None
) -> DeviceType:
    if device_type == AUTO:
        if observed is None:
            raise DpMapError("type auto needs the DPs the device reports (observed_dps)")
        return detect_type(observed)
    try:
        return DeviceType(device_type)
    except ValueError:
        valid = ", ".join(TYPE_CHOICES)
        raise DpMapError(f"type: {device_type!r} is not a device type (valid: {valid})") from None


def _base_map(kind: DeviceType, observed: Mapping[str, object] | None) -> DpMap | None:
    if kind is DeviceType.RAW:
        return None
    if kind is DeviceType.PLUG and observed is not None and is_legacy_plug(observed):
        return load_map("plug_legacy")
    return load_map(kind.value)


def _base_roles(base: DpMap, observed: Mapping[str, object] | None) -> dict[str, str]:
    roles = {
        role: dp
        for role, dp in base.roles.items()
        if observed is None or role == "state" or dp in observed
    }
    if base.gangs:
        roles.update(_gang_roles(base, observed))
    return roles


def _gang_roles(base: DpMap, observed: Mapping[str, object] | None) -> dict[str, str]:
    """state_lN (and countdown_lN) for the gangs a strip reports, or its default gangs.

    Countdowns are mapped only when every gang reports one as an int: a DP at a
    countdown's usual place that some gangs lack is probably something else, and
    `power_cycle` must not trust it to switch the socket back on.
    """
    reported = set(strip_switch_dps(observed)) if observed is not None else set()
    slots = [slot for slot in base.gangs if slot[0] in reported] or list(
        base.gangs[: base.default_gangs]
    )
    with_countdowns = observed is None or all(
        is_int(observed.get(countdown)) for _, countdown in slots
    )
    roles: dict[str, str] = {}
    for gang, (switch, countdown) in enumerate(slots, start=1):
        roles[gang_role("state", gang)] = switch
        if with_countdowns:
            roles[gang_role("countdown", gang)] = countdown
    return roles


def _check_structure(roles: Mapping[str, str]) -> None:
    """Reject role sets no device can have (mixed or gapped gangs, one DP in two roles)."""
    gangs = {base: set[int]() for base in ("state", "countdown")}
    for role in roles:
        parsed = parse_gang_role(role)
        if parsed is not None:
            gangs[parsed[0]].add(parsed[1])
    switches = gangs["state"]
    if switches and "state" in roles:
        raise DpMapError(
            "dps: state and state_l1.. cannot both be mapped (a strip uses state_l1.., "
            "other types use state)"
        )
    missing = sorted(set(range(1, max(switches, default=0) + 1)) - switches)
    if missing:
        raise DpMapError(
            f"dps: state_l{missing[0]} is missing (gangs are numbered from 1 without gaps)"
        )
    orphans = sorted(gangs["countdown"] - switches)
    if orphans:
        raise DpMapError(f"dps: countdown_l{orphans[0]} has no state_l{orphans[0]}")
    if "countdown" in roles and "state" not in roles:
        raise DpMapError("dps: countdown needs a state DP to switch back on")
    _check_unique(roles)


def _check_unique(roles: Mapping[str, str]) -> None:
    owner: dict[str, str] = {}
    for role, dp in roles.items():
        if dp in owner:
            raise DpMapError(f"dps: DP {dp} is mapped to both {owner[dp]} and {role}")
        owner[dp] = role


_SHARED: dict[tuple[object, ...], DeviceProfile] = {}
_SHARED_MAX = 256


def shared_profile(profile: DeviceProfile) -> DeviceProfile:
    """An equal profile given out before, else `profile` (kept for the next caller).

    A thousand plugs of one model resolve a thousand equal profiles; sharing one saves
    about 1.7 KB a device. Equal profiles are interchangeable: a profile never changes
    (its `set_rules_memo` depends on nothing else). Distinct profiles are few; the table
    starts afresh if ever it holds `_SHARED_MAX` of them.
    """
    key = (
        profile.type,
        tuple(profile.roles.items()),
        tuple(profile.scale.items()),
        tuple(profile.layouts.items()),
        profile.map_name,
        profile.invert,
        profile.brightness_range,
        profile.color_temp_range,
        profile.color_format,
    )
    found = _SHARED.get(key)
    if found is None:
        if len(_SHARED) >= _SHARED_MAX:
            _SHARED.clear()
        _SHARED[key] = found = profile
    return found
