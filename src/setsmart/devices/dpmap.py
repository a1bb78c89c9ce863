"""The DP maps shipped as JSON under `maps/`, with `packaged_json`.

A map file holds `roles` (role -> DP id), `scale` (role -> divisor to physical units),
and optionally `gangs` ([switch DP, countdown DP] per possible gang, for strips) with
`default_gangs`, and for lights `brightness_range`, `color_temp_range`, `color_format`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Final

from setsmart.devices.colour import ColorFormat
from setsmart.devices.errors import DpMapError
from setsmart.devices.packaged import packaged_json
from setsmart.devices.roles import check_dp_id, check_role
from setsmart.devices.types import is_int

#: The maps shipped with the package, by file name without `.json`.
MAP_NAMES: Final = ("plug", "plug_legacy", "strip", "switch", "bulb", "bulb_v1")

_KEYS: Final = frozenset(
    {"description", "source", "roles", "scale", "gangs", "default_gangs"}
    | {"brightness_range", "color_temp_range", "color_format"}
)


@dataclass(frozen=True, slots=True)
class DpMap:
    """One parsed map file."""

    name: str
    roles: Mapping[str, str]
    scale: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    gangs: tuple[tuple[str, str], ...] = ()
    default_gangs: int = 0
    brightness_range: tuple[int, int] = (10, 1000)
    color_temp_range: tuple[int, int] = (0, 1000)
    color_format: ColorFormat = ColorFormat.HSV12


@cache
def load_map(name: str) -> DpMap:
    """The shipped map `name` (one of MAP_NAMES)."""
    if name not in MAP_NAMES:
        raise DpMapError(f"no DP map named {name!r} (maps: {', '.join(MAP_NAMES)})")
    return parse_map(name, packaged_json(f"maps/{name}.json"))


def parse_map(name: str, data: object) -> DpMap:
    """Validate the JSON of map `name`; raise DpMapError naming the first fault."""
    where = f"map {name}"
    if not isinstance(data, dict):
        raise DpMapError(f"{where}: must be a JSON object")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise DpMapError(f"{where}: unknown key {unknown[0]!r}")
    roles = {
        check_role(role, where): check_dp_id(dp, f"{where}: roles.{role}")
        for role, dp in _object(data.get("roles", {}), f"{where}: roles").items()
    }
    scale = {
        check_role(role, where): _int(value, f"{where}: scale.{role}", minimum=1)
        for role, value in _object(data.get("scale", {}), f"{where}: scale").items()
    }
    gangs = tuple(_gang(item, f"{where}: gangs") for item in _list(data.get("gangs", [])))
    default_gangs = _int(data.get("default_gangs", 0), f"{where}: default_gangs", minimum=0)
    if default_gangs > len(gangs):
        raise DpMapError(f"{where}: default_gangs {default_gangs} exceeds the {len(gangs)} gangs")
    try:
        color_format = ColorFormat(data.get("color_format", ColorFormat.HSV12))
    except ValueError:
        raise DpMapError(f"{where}: color_format must be one of {list(ColorFormat)}") from None
    return DpMap(
        name=name,
        roles=MappingProxyType(roles),
        scale=MappingProxyType(scale),
        gangs=gangs,
        default_gangs=default_gangs,
        brightness_range=_range(
            data.get("brightness_range", [10, 1000]), f"{where}: brightness_range"
        ),
        color_temp_range=_range(
            data.get("color_temp_range", [0, 1000]), f"{where}: color_temp_range"
        ),
        color_format=color_format,
    )


def _object(value: object, where: str) -> dict[object, object]:
    if not isinstance(value, dict):
        raise DpMapError(f"{where}: must be a JSON object")
    return value


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def _int(value: object, where: str, *, minimum: int) -> int:
    if not is_int(value) or value < minimum:
        raise DpMapError(f"{where}: must be an integer >= {minimum}, got {value!r}")
    return value


def _gang(item: object, where: str) -> tuple[str, str]:
    if not isinstance(item, list) or len(item) != 2:
        raise DpMapError(f"{where}: each gang must be [switch DP, countdown DP], got {item!r}")
    return check_dp_id(item[0], where), check_dp_id(item[1], where)


def _range(value: object, where: str) -> tuple[int, int]:
    if not (
        isinstance(value, list)
        and len(value) == 2
        and all(is_int(v) for v in value)
        and 0 <= value[0] < value[1]
    ):
        raise DpMapError(f"{where}: must be [low, high] with 0 <= low < high, got {value!r}")
    return value[0], value[1]
