"""DpLayout: one data point as a Tuya specification describes it (CONTRACT "Device kinds").

A YAML `dps:` value is a DP id, or a layout `{id, scale, min, max, step, unit, range}`:
`scale` is Tuya's decimal exponent (a `temp_current` of 235 with scale 1 is 23.5),
`min`/`max`/`step` are in raw (wire) units as the specification gives them, and `range`
lists an enum's values. A bare id keeps the kind's default layout of that role with the
id replaced; a mapping is a whole layout on its own (what it leaves out is unset).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final

from setsmart.devices.errors import DpMapError
from setsmart.devices.types import is_dp_id, is_int, is_number

#: The keys of a layout mapping, in the order the specification and our YAML write them.
LAYOUT_KEYS: Final = ("id", "scale", "min", "max", "step", "unit", "range")
_MAX_SCALE: Final = 6


class LayoutError(DpMapError):
    """A `dps:` layout is wrong: `key` (None for the value as a whole) and the `reason`."""

    def __init__(self, where: str, key: str | None, reason: str) -> None:
        super().__init__(f"{where}.{key}: {reason}" if key else f"{where}: {reason}")
        self.key = key
        self.reason = reason


@dataclass(frozen=True, slots=True)
class DpLayout:
    """Where a role lives (`id`, None for a role with no usual DP) and how to read it."""

    id: str | None
    scale: int = 0
    min: int | None = None
    max: int | None = None
    step: int = 1
    unit: str | None = None
    range: tuple[str, ...] = ()

    def at(self, dp: str) -> DpLayout:
        """This layout at DP `dp`."""
        return replace(self, id=dp)

    @property
    def divisor(self) -> int:
        """What a raw value is divided by: 10 ** scale."""
        return int(10**self.scale)

    @property
    def is_enum(self) -> bool:
        """Whether the DP holds one of `range`'s strings."""
        return bool(self.range)

    @property
    def is_numeric(self) -> bool:
        """Whether the DP holds an integer with bounds."""
        return self.min is not None and self.max is not None

    def real(self, raw: object) -> float | None:
        """A raw DP value in real units (raw / 10 ** scale), or None if not a number."""
        if not is_number(raw):
            return None
        return raw if self.scale == 0 else round(raw / self.divisor, self.scale)

    def raw(self, real: float) -> int:
        """A real value as the integer the DP takes (round(real * 10 ** scale))."""
        return round(real * self.divisor)

    def bounds(self) -> tuple[float, float] | None:
        """`(min, max)` in real units, or None when the layout has no bounds."""
        if self.min is None or self.max is None:
            return None
        return self.min / self.divisor, self.max / self.divisor

    def fits(self, value: object) -> bool:
        """Whether a reported value could be this role's: a string for an enum, an
        integer for a numeric DP; anything for a layout that says neither."""
        if self.is_enum:
            return isinstance(value, str)
        if self.is_numeric:
            return is_int(value)
        return True

    def as_yaml(self) -> dict[str, object]:
        """The layout as a `dps:` mapping, with the keys that differ from the plain layout."""
        if self.id is None:
            raise DpMapError("a layout without a DP id cannot be written to dps:")
        out: dict[str, object] = {"id": int(self.id)}
        defaults = DpLayout(self.id)
        for key in LAYOUT_KEYS[1:]:
            value = getattr(self, key)
            if value != getattr(defaults, key):
                out[key] = list(value) if key == "range" else value
        return out


def dp_id(value: object, where: str, key: str | None = None) -> str:
    """A DP id given as an int or a digit string, in its wire form ("19")."""
    text = str(value) if is_int(value) else value
    if not is_dp_id(text):
        raise LayoutError(where, key, f"{value!r} is not a DP id (a number from 1 to 255)")
    return text


def parse_layout(value: object, where: str, default: DpLayout | None = None) -> DpLayout:
    """A `dps:` value: a DP id (the `default` layout moved there), a layout mapping, or a
    DpLayout already parsed (as a loaded configuration holds them).

    Raises DpMapError naming `where` and the fault.
    """
    if isinstance(value, DpLayout):
        return value
    if not isinstance(value, Mapping):
        dp = dp_id(value, where)
        return DpLayout(dp) if default is None else default.at(dp)
    for key in value:
        if key not in LAYOUT_KEYS:
            raise LayoutError(where, str(key), f"unknown key (valid: {', '.join(LAYOUT_KEYS)})")
    if "id" not in value:
        raise LayoutError(where, None, "a layout needs its DP id (id: N)")
    scale = _integer(value.get("scale", 0), where, "scale", 0, _MAX_SCALE)
    low = _optional_integer(value.get("min"), where, "min")
    high = _optional_integer(value.get("max"), where, "max")
    if (low is None) != (high is None):
        raise LayoutError(where, None, "min and max go together")
    if low is not None and high is not None and low > high:
        raise LayoutError(where, "min", f"{low} is above max {high}")
    step = _integer(value.get("step", 1), where, "step", 1, 1_000_000)
    unit = value.get("unit")
    if unit is not None and not isinstance(unit, str):
        raise LayoutError(where, "unit", f"must be a string, got {unit!r}")
    return DpLayout(
        id=dp_id(value["id"], where, "id"),
        scale=scale,
        min=low,
        max=high,
        step=step,
        unit=unit or None,
        range=_enum_range(value.get("range"), where),
    )


def _integer(value: object, where: str, key: str, low: int, high: int) -> int:
    if not is_int(value) or not low <= value <= high:
        raise LayoutError(where, key, f"must be an integer from {low} to {high}, got {value!r}")
    return value


def _optional_integer(value: object, where: str, key: str) -> int | None:
    if value is None:
        return None
    if not is_int(value):
        raise LayoutError(where, key, f"must be an integer, got {value!r}")
    return value


def _enum_range(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not value:
        raise LayoutError(where, "range", "must be a non-empty list of the enum's values")
    items = tuple(str(item) for item in value)
    if len(set(items)) != len(items):
        raise LayoutError(where, "range", "lists a value twice")
    return items
