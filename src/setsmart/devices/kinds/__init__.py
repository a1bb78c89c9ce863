"""The vocabulary of every device kind: its role names and their default DP layouts.

A role is what a DP means to a kind. Each kind has canonical role names (for plugs,
strips and bulbs the state keys they feed, `power`, `state_l2`, ...; for the newer kinds
Tuya's standard DP codes, `temp_set`, `percent_control`, ...) with the layout a device
of Tuya's standard instruction set has, and aliases: the other names a `dps:` block may
use for them (Tuya's codes for the older kinds, the CONTRACT's state keys for the newer).
A default layout whose `id` is None names a role that has no usual DP: it is mapped
only by a `dps:` entry (written by the importers or the user).

Sources of the defaults: Tuya's standard instruction sets by category (PROTOCOL.md
"Standard DP codes"); DP ids as Tuya's MCU SDK numbers them and as reported in public
device files and issue threads (make-all/tuya-local `simple_blinds.yaml` and #583 for
covers 1/2/3/5/7, #399 and #3330 for fans 1/3/5, the thermostat sources below,
Koenkk/zigbee-herdsman-converters `ionindustries.ts` and jasonacox/tinytuya#572 for
dimmers 1/2/3/5/6, tuya-local#2885 for temperature and humidity sensors 1/2/4).
Products differ: the importers write what theirs have.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any, Final

from setsmart.devices.dpmap import DpMap, load_map
from setsmart.devices.errors import DpMapError
from setsmart.devices.layout import DpLayout, parse_layout
from setsmart.devices.roles import (
    MAX_GANGS,
    ROLE_NAMES,
    SENSOR_ROLES,
    gang_role,
    valid_roles_text,
)
from setsmart.devices.types import AUTO, DeviceType
from setsmart.suggest import closest

#: Highest channel number of a dimmer (`switch_led_N`, `state_lN`).
MAX_CHANNELS: Final = 4

_NUMBERED = re.compile(r"(.*_)([0-9]+)")
_LEGACY_KINDS: Final = frozenset(
    {DeviceType.PLUG, DeviceType.STRIP, DeviceType.SWITCH, DeviceType.BULB}
    | {DeviceType.BULB_V1, DeviceType.RAW}
)
_UNITS: Final = {"power": "W", "voltage": "V", "current": "mA", "energy": "kWh"}
_MILLI: Final = 1000


@dataclass(frozen=True, slots=True)
class KindSpec:
    """One kind's vocabulary.

    `roles`: canonical role -> default layout; `aliases`: other name -> canonical role;
    `core`: default roles kept although the device does not report them (commands the
    device never echoes, or the roles that make the kind); `extra`: names accepted for
    compatibility that have no default layout (the older kinds share one vocabulary).
    """

    roles: Mapping[str, DpLayout]
    aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    core: frozenset[str] = frozenset()
    extra: frozenset[str] = frozenset()

    def canonical(self, name: str) -> str | None:
        """The canonical role `name` stands for here, or None."""
        if name in self.roles or name in self.extra:
            return name
        return self.aliases.get(name)

    @property
    def names(self) -> frozenset[str]:
        """Every name a `dps:` key may use for this kind."""
        return frozenset(self.roles) | self.extra | frozenset(self.aliases)


def sensor_divisor(layout: DpLayout) -> int:
    """What a meter DP (power, voltage, current, energy) is divided by to give W, V, A, kWh."""
    return layout.divisor * (_MILLI if layout.unit == "mA" else 1)


def _meter_layout(role: str, dp: str | None, divisor: int) -> DpLayout:
    unit = _UNITS[role]
    if unit == "mA":
        divisor //= _MILLI
    return DpLayout(dp, scale=len(str(max(divisor, 1))) - 1, unit=unit)


def _from_map(dp_map: DpMap) -> dict[str, DpLayout]:
    roles = {}
    for role, dp in dp_map.roles.items():
        if role in SENSOR_ROLES:
            roles[role] = _meter_layout(role, dp, dp_map.scale.get(role, 1))
        else:
            roles[role] = DpLayout(dp)
    return roles


def _legacy_aliases(gangs: bool) -> dict[str, str]:
    """Tuya's codes for the roles of plugs, strips and bulbs (PROTOCOL.md)."""
    aliases = {
        "cur_power": "power",
        "cur_voltage": "voltage",
        "cur_current": "current",
        "add_ele": "energy",
        "switch_led": "state",
        "work_mode": "color_mode",
        "bright_value": "brightness",
        "bright_value_v2": "brightness",
        "temp_value": "color_temp",
        "temp_value_v2": "color_temp",
        "colour_data": "color",
        "colour_data_v2": "color",
    }
    if gangs:
        for n in range(1, MAX_GANGS + 1):
            aliases[f"switch_{n}"] = gang_role("state", n)
            aliases[f"countdown_{n}"] = gang_role("countdown", n)
    else:
        aliases.update({"switch": "state", "switch_1": "state", "countdown_1": "countdown"})
    return aliases


def _legacy(map_name: str | None, *, gangs: bool = False) -> KindSpec:
    roles: dict[str, DpLayout] = {}
    if map_name is not None:
        dp_map = load_map(map_name)
        roles = _from_map(dp_map)
        if gangs:
            for n in range(1, MAX_GANGS + 1):
                slot = dp_map.gangs[n - 1] if n <= len(dp_map.gangs) else (None, None)
                roles[gang_role("state", n)] = DpLayout(slot[0])
                roles[gang_role("countdown", n)] = DpLayout(slot[1])
    return KindSpec(
        roles=MappingProxyType(roles),
        aliases=MappingProxyType(_legacy_aliases(gangs)),
        extra=ROLE_NAMES - frozenset(roles),
    )


def _dimmer() -> KindSpec:
    # tgq: channel 1 on 1/2/3/5/6, channel 2 on 7/8/9/11/12 (led_type_N on 4 and 10).
    usual = {1: ("1", "2", "3", "5", "6"), 2: ("7", "8", "9", "11", "12")}
    roles: dict[str, DpLayout] = {}
    aliases: dict[str, str] = {}
    for n in range(1, MAX_CHANNELS + 1):
        switch, bright, low, high, countdown = usual.get(n, (None,) * 5)
        roles[f"switch_led_{n}"] = DpLayout(switch)
        roles[f"bright_value_{n}"] = DpLayout(bright, min=10, max=1000)
        roles[f"brightness_min_{n}"] = DpLayout(low, min=10, max=1000)
        roles[f"brightness_max_{n}"] = DpLayout(high, min=10, max=1000)
        roles[f"countdown_{n}"] = DpLayout(countdown, min=0, max=86400, unit="s")
        aliases[gang_role("state", n)] = f"switch_led_{n}"
        aliases[gang_role("brightness", n)] = f"bright_value_{n}"
    for code in ("switch_led", "bright_value", "brightness_min", "brightness_max", "countdown"):
        aliases[code] = f"{code}_1"
    aliases.update({"state": "switch_led_1", "brightness": "bright_value_1"})
    return KindSpec(
        roles=MappingProxyType(roles),
        aliases=MappingProxyType(aliases),
        core=frozenset({"switch_led_1", "bright_value_1"}),
    )


_COVER: Final = KindSpec(
    roles=MappingProxyType(
        {
            "control": DpLayout("1", range=("open", "stop", "close")),
            "percent_control": DpLayout("2", min=0, max=100, unit="%"),
            "percent_state": DpLayout("3", min=0, max=100, unit="%"),
            "control_back_mode": DpLayout("5", range=("forward", "back")),
            "work_state": DpLayout("7", range=("opening", "closing")),
        }
    ),
    aliases=MappingProxyType({"state": "control", "position": "percent_control"}),
    core=frozenset({"control", "percent_control"}),
)

_FAN: Final = KindSpec(
    roles=MappingProxyType(
        {
            "switch": DpLayout("1"),
            "mode": DpLayout("2", range=("normal", "nature", "sleep")),
            "fan_speed_percent": DpLayout("3", min=1, max=100, unit="%"),
            "fan_speed": DpLayout(None, range=("1", "2", "3")),
            "switch_horizontal": DpLayout("5"),
            "fan_direction": DpLayout(None, range=("forward", "reverse")),
        }
    ),
    aliases=MappingProxyType(
        {
            "state": "switch",
            "percentage": "fan_speed_percent",
            "fan_speed_enum": "fan_speed",
            "fan_switch": "switch",
            "switch_fan": "switch",
            "preset_mode": "mode",
            "oscillation": "switch_horizontal",
            "direction": "fan_direction",
        }
    ),
    core=frozenset({"switch"}),
)

_CLIMATE: Final = KindSpec(
    # wk as Tuya's thermostat MCU SDK numbers it: tuya-local#197 (T5E-WF spec), #464,
    # #6239 (TIO), rospogrigio/localtuya#1834 (Decdeal: valve_state 36, child_lock 40).
    roles=MappingProxyType(
        {
            "switch": DpLayout("1"),
            "mode": DpLayout("2", range=("manual", "program")),
            "work_state": DpLayout("3", range=("heating", "idle")),
            "temp_set": DpLayout("16", scale=1, min=50, max=350, step=5, unit="℃"),
            "temp_current": DpLayout("24", scale=1, min=-200, max=1000, unit="℃"),
            "valve_state": DpLayout("36", range=("open", "close")),
            "child_lock": DpLayout("40"),
        }
    ),
    aliases=MappingProxyType(
        {
            "state": "switch",
            "local_temperature": "temp_current",
            "current_heating_setpoint": "temp_set",
            "running_state": "work_state",
        }
    ),
    core=frozenset({"switch", "temp_set", "temp_current", "mode"}),
)


def _sensor() -> KindSpec:
    # wsdcg on 1/2/3/4; every other sensor's DPs are named by `dps:` (or by recognition).
    roles = {
        "va_temperature": DpLayout("1", scale=1, min=-400, max=2000, unit="℃"),
        "va_humidity": DpLayout("2", min=0, max=100, unit="%"),
        "battery_state": DpLayout("3", range=("low", "middle", "high")),
        "battery_percentage": DpLayout("4", min=0, max=100, unit="%"),
        "doorcontact_state": DpLayout(None),
        "pir": DpLayout(None, range=("pir", "none")),
        "watersensor_state": DpLayout(None, range=("alarm", "normal")),
        "smoke_sensor_status": DpLayout(None, range=("alarm", "normal")),
        "gas_sensor_status": DpLayout(None, range=("alarm", "normal")),
        "co_status": DpLayout(None, range=("alarm", "normal")),
        "temper_alarm": DpLayout(None),
        "bright_value": DpLayout(None, min=0, max=100000, unit="lux"),
        "co2_value": DpLayout(None, min=0, max=10000, unit="ppm"),
        "pm25_value": DpLayout(None, min=0, max=1000, unit="ug/m3"),
    }
    aliases = {
        "temperature": "va_temperature",
        "temp_current": "va_temperature",
        "humidity": "va_humidity",
        "humidity_value": "va_humidity",
        "battery_low": "battery_state",
        "battery": "battery_percentage",
        "contact": "doorcontact_state",
        "occupancy": "pir",
        "water_leak": "watersensor_state",
        "smoke": "smoke_sensor_status",
        "smoke_sensor_state": "smoke_sensor_status",
        "gas": "gas_sensor_status",
        "gas_sensor_state": "gas_sensor_status",
        "carbon_monoxide": "co_status",
        "co_state": "co_status",
        "tamper": "temper_alarm",
        "illuminance": "bright_value",
        "illuminance_value": "bright_value",
        "co2": "co2_value",
        "pir_state": "pir",
        "pm25": "pm25_value",
    }
    return KindSpec(roles=MappingProxyType(roles), aliases=MappingProxyType(aliases))


@cache
def kind_spec(kind: DeviceType) -> KindSpec:
    """The vocabulary of `kind`."""
    match kind:
        case DeviceType.PLUG | DeviceType.BULB | DeviceType.BULB_V1:
            return _legacy(kind.value)
        case DeviceType.STRIP | DeviceType.SWITCH:
            return _legacy(kind.value, gangs=True)
        case DeviceType.DIMMER:
            return _dimmer()
        case DeviceType.COVER:
            return _COVER
        case DeviceType.FAN:
            return _FAN
        case DeviceType.CLIMATE:
            return _CLIMATE
        case DeviceType.SENSOR:
            return _sensor()
        case DeviceType.RAW:
            return _legacy(None)


def kind_roles(kind: DeviceType | str) -> Mapping[str, DpLayout]:
    """Canonical role -> default layout of `kind` (a DeviceType or its YAML name)."""
    return kind_spec(DeviceType(kind)).roles


def canonical_role(kind: DeviceType | str, name: str) -> str | None:
    """The canonical role `name` stands for in `kind`'s `dps:`, or None if it names none."""
    return kind_spec(DeviceType(kind)).canonical(name)


@cache
def role_names(kind: DeviceType | str) -> frozenset[str]:
    """Every name a `dps:` key may use for `kind`; for `auto`, those of every kind."""
    if kind == AUTO:
        return frozenset().union(*(kind_spec(t).names for t in DeviceType))
    return kind_spec(DeviceType(kind)).names


def kind_roles_text(kind: DeviceType | str) -> str:
    """The canonical role names of `kind`, compactly (`bright_value_1..bright_value_4`).

    For `auto` and the older kinds, the names they share; the newer kinds' own are listed
    once the type is set.
    """
    if kind == AUTO or DeviceType(kind) in _LEGACY_KINDS:
        return valid_roles_text()
    names: list[str] = []
    families: dict[str, list[int]] = {}
    for role in kind_spec(DeviceType(kind)).roles:
        match = _NUMBERED.fullmatch(role)
        if match is None:
            names.append(role)
        else:
            families.setdefault(match[1], []).append(int(match[2]))
    names += [f"{base}{min(ns)}..{base}{max(ns)}" for base, ns in families.items()]
    return ", ".join(sorted(names))


def role_problem(kind: DeviceType | str, name: object) -> str | None:
    """Why `name` cannot be a `dps:` key of `kind`, or None when it can."""
    valid = role_names(kind)
    if isinstance(name, str) and name in valid:
        return None
    close = closest(str(name), sorted(valid))
    where = "any type" if kind == AUTO else f"type {kind}"
    if close:
        return f"unknown role {name!r} for {where} (did you mean {close!r}?)"
    return f"unknown role {name!r} for {where}"


def parse_overrides(
    kind: DeviceType, overrides: Mapping[Any, object]
) -> dict[str, DpLayout | None]:
    """A YAML `dps:` block for `kind`: canonical role -> layout, or None to drop the role.

    A bare DP id keeps the role's default layout there. Raises DpMapError naming the key.
    """
    spec = kind_spec(kind)
    result: dict[str, DpLayout | None] = {}
    named_by: dict[str, str] = {}
    for name, value in overrides.items():
        problem = role_problem(kind, name)
        if problem is not None:
            raise DpMapError(f"dps: {problem}")
        role = spec.canonical(str(name))
        if role is None:  # role_problem let it through, so this cannot happen
            raise DpMapError(f"dps: {name!r} names no role")
        if role in named_by:
            raise DpMapError(f"dps: {named_by[role]} and {name} both name {role}")
        named_by[role] = name
        result[role] = (
            None if value is None else parse_layout(value, f"dps.{name}", spec.roles.get(role))
        )
    return result
