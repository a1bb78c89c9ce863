"""What every kind's `/set` parsing shares: the DPs a command writes, and value checks.

Each check raises SetError with a message that names the key and what is valid.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from setsmart.devices.errors import SetError
from setsmart.devices.layout import DpLayout
from setsmart.devices.types import DpValue, is_number


class Writes:
    """The DPs a command writes, refusing two keys that want one DP set differently."""

    def __init__(self) -> None:
        self.dps: dict[str, DpValue] = {}
        self._by: dict[str, str] = {}

    def put(self, dp: str, value: DpValue, key: str) -> None:
        if dp in self.dps:
            old = self.dps[dp]
            if type(old) is not type(value) or old != value:
                raise SetError(f"{key}: conflicts with {self._by[dp]} (both set DP {dp})")
            return
        self.dps[dp] = value
        self._by[dp] = key


def show(value: object) -> str:
    """A value as the user wrote it, shortened for a one-line message."""
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=repr)
    return text if len(text) <= 60 else text[:57] + "..."


def switch_value(key: str, value: object, current: bool | None) -> bool:
    """ON/OFF/TOGGLE (any case) or a JSON bool; TOGGLE flips `current`."""
    if isinstance(value, bool):
        return value
    word = value.strip().upper() if isinstance(value, str) else None
    if word == "TOGGLE":
        if current is None:
            raise SetError(f"{key}: cannot TOGGLE, the current state is not known yet")
        return not current
    if word in ("ON", "OFF"):
        return word == "ON"
    raise SetError(f"{key}: {show(value)} is not ON, OFF or TOGGLE")


def number(key: str, value: object) -> float:
    """A JSON number (not a bool, not NaN or infinite), or SetError."""
    if not is_number(value):
        raise SetError(f"{key}: {show(value)} is not a number")
    return value


def in_range(key: str, value: object, low: float, high: float, unit: str = "") -> float:
    """A number within low..high, or SetError naming the range."""
    checked = number(key, value)
    if not low <= checked <= high:
        raise SetError(f"{key}: {show(value)} is out of range {low:g}-{high:g}{unit}")
    return checked


def scaled(key: str, value: object, layout: DpLayout, unit: str = "") -> int:
    """A real value for a numeric DP: within the layout's range, on its step; the raw int.

    `unit` is shown after the range in the message (" °C").
    """
    checked = number(key, value)
    bounds = layout.bounds()
    if bounds is not None and not bounds[0] <= checked <= bounds[1]:
        low, high = bounds
        raise SetError(f"{key}: {show(value)} is out of range {low:g}-{high:g}{unit}")
    raw = checked * layout.divisor
    if abs(raw - round(raw)) > 1e-6 or (round(raw) - (layout.min or 0)) % layout.step:
        step = layout.step / layout.divisor
        raise SetError(f"{key}: {show(value)} is not on the device's step of {step:g}{unit}")
    return round(raw)


def choice(key: str, value: object, choices: Sequence[str]) -> str:
    """One of `choices` (an enum's values), or SetError listing them."""
    if isinstance(value, str) and value in choices:
        return value
    raise SetError(f"{key}: {show(value)} is not one of {', '.join(choices)}")
