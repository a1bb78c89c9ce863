"""Data points between the LAN's form (DP ids, raw values) and the cloud's (codes, typed).

Pure: a device's cloud specification in, translations out; no I/O, no asyncio.

- A DP id maps to the code the specification gives it (writable `functions` first, then
  `status`, the first code for an id winning, as `DpCodeMap` does).
- Values keep their raw meaning on both sides (Tuya integers carry the same scale in the
  cloud as on the LAN); only their JSON types are aligned: Boolean <-> bool, Integer <->
  int, Enum <-> str. Colours the cloud gives as `{"h","s","v"}` become the hex string the
  bulb speaks on the LAN (12 digits when s/v go to 1000, 14 when they go to 255), and back
  when the specification describes h/s/v (otherwise the string is sent as it is).
- Reading never fails for one odd value: it is kept as close to raw as possible; codes
  the specification does not know are skipped. Writing refuses what the cloud would
  refuse (unknown or read-only DP, wrong type, out of range) with a readable message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from setsmart.cloud.models import DpSpec, Specification
from setsmart.devices.colour import ColorFormat, Hsv, decode_colour, encode_colour
from setsmart.protocol import Dps, DpValue

__all__ = ["CloudDpCodec", "CloudDpError"]

_BOOLEAN = "boolean"
_INTEGER = ("integer", "value")
_ENUM = "enum"
_HSV = ("h", "s", "v")


class CloudDpError(ValueError):
    """A DP value cannot be sent through the cloud; the message says which and why."""


@dataclass(frozen=True, slots=True)
class CloudDpCodec:
    """DP ids and values <-> cloud codes and values, for one device."""

    by_id: Mapping[str, DpSpec]
    by_code: Mapping[str, DpSpec]
    writable: frozenset[str]

    @classmethod
    def from_specification(cls, spec: Specification) -> CloudDpCodec:
        by_id: dict[str, DpSpec] = {}
        by_code: dict[str, DpSpec] = {}
        for dp in (*spec.functions, *spec.status):
            by_id.setdefault(str(dp.dp_id), dp)
            by_code.setdefault(dp.code, dp)
        return cls(by_id, by_code, frozenset(dp.code for dp in spec.functions))

    # Cloud -> LAN ------------------------------------------------------------------------

    def to_dps(self, status: Iterable[Mapping[str, Any]]) -> Dps:
        """`[{"code", "value"}]` as DP id -> raw value; unknown codes are left out."""
        dps: Dps = {}
        for item in status:
            spec = self.by_code.get(str(item.get("code")))
            if spec is not None:
                dps[str(spec.dp_id)] = _from_cloud(spec, item.get("value"))
        return dps

    # LAN -> cloud ------------------------------------------------------------------------

    def to_commands(self, dps: Mapping[str, DpValue]) -> list[dict[str, Any]]:
        """DP id -> raw value as `[{"code", "value"}]`; CloudDpError when one cannot go."""
        commands = []
        for dp_id, value in dps.items():
            spec = self.by_id.get(str(dp_id))
            if spec is None:
                raise CloudDpError(f"DP {dp_id} is not in the device's cloud specification")
            if spec.code not in self.writable:
                raise CloudDpError(f"DP {dp_id} ({spec.code}) is read-only through the cloud")
            commands.append({"code": spec.code, "value": _to_cloud(spec, value)})
        return commands


def _kind(spec: DpSpec) -> str:
    return spec.type.strip().lower()


def _from_cloud(spec: DpSpec, value: object) -> DpValue:
    kind = _kind(spec)
    if kind == _BOOLEAN:
        converted = _as_bool(value)
        if converted is not None:
            return converted
    elif kind in _INTEGER:
        number = _as_int(value)
        if number is not None:
            return number
    elif kind == _ENUM and isinstance(value, str):
        return value
    colour = _colour_from_cloud(spec, value)
    if colour is not None:
        return colour
    return _raw(value)


def _to_cloud(spec: DpSpec, value: DpValue) -> object:
    kind = _kind(spec)
    where = f"DP {spec.dp_id} ({spec.code})"
    if kind == _BOOLEAN:
        converted = _as_bool(value)
        if converted is None:
            raise CloudDpError(f"{where} takes true or false, not {value!r}")
        return converted
    if kind in _INTEGER:
        number = _as_int(value)
        if number is None:
            raise CloudDpError(f"{where} takes a whole number, not {value!r}")
        low, high = spec.values.get("min"), spec.values.get("max")
        if (_is_number(low) and number < low) or (_is_number(high) and number > high):
            raise CloudDpError(f"{where} takes {low} to {high}, not {number}")
        return number
    if kind == _ENUM:
        choices = spec.values.get("range")
        if not isinstance(value, str) or (isinstance(choices, list) and value not in choices):
            shown = ", ".join(map(str, choices)) if isinstance(choices, list) else "a word"
            raise CloudDpError(f"{where} takes one of {shown}, not {value!r}")
        return value
    return _colour_to_cloud(spec, value)


def _as_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit() and text.isascii():
            return int(text)
    return None


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _raw(value: object) -> DpValue:
    """A value the state document can hold: scalars as they are, anything else as JSON."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _colour_format(spec: DpSpec) -> ColorFormat:
    """12 hex digits when saturation goes to 1000 (v2 bulbs), 14 when it goes to 255."""
    saturation = spec.values.get("s")
    top = saturation.get("max") if isinstance(saturation, Mapping) else None
    if top == 255 or (top is None and not spec.code.endswith("_v2")):
        return ColorFormat.RGBHSV14
    return ColorFormat.HSV12


def _hsv_of(value: object) -> Hsv | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, Mapping):
        return None
    parts = [_as_int(value.get(key)) for key in _HSV]
    if any(part is None for part in parts):
        return None
    h, s, v = (int(part or 0) for part in parts)
    return Hsv(h, s, v)


def _colour_from_cloud(spec: DpSpec, value: object) -> str | None:
    if isinstance(value, str) and not value.lstrip().startswith("{"):
        return None
    colour = _hsv_of(value)
    return None if colour is None else encode_colour(_colour_format(spec), colour)


def _describes_hsv(spec: DpSpec) -> bool:
    return all(isinstance(spec.values.get(key), Mapping) for key in _HSV)


def _colour_to_cloud(spec: DpSpec, value: DpValue) -> object:
    """A LAN colour string as `{"h","s","v"}` where the specification describes one."""
    if isinstance(value, str) and _describes_hsv(spec):
        colour = decode_colour(_colour_format(spec), value)
        if colour is not None:
            return {"h": colour.h, "s": colour.s, "v": colour.v}
    return value
