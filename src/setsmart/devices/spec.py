"""A device's Tuya cloud specification, read from any of the shapes it comes in. Pure.

The shapes (all keyed by DP code, with the DP id the LAN uses):
- `GET /v1.1/devices/{id}/specifications` (what tinytuya and setsmart's client ask):
  `{"category", "functions": [...], "status": [...]}`, each item `{"code", "dp_id",
  "type", "values"}` with `type` one of Boolean, Integer, Enum, String, Json, Raw, Bitmap
  and `values` a JSON string (`{"min", "max", "scale", "step", "unit"}` or `{"range"}`);
- `GET /v2.0/cloud/thing/{id}/model`: `{"model": "<JSON text>"}` whose `services[]`
  hold `properties[]` of `{"abilityId", "code", "accessMode", "typeSpec": {"type":
  "bool"|"value"|"enum"|"string"|"raw"|"bitmap"|"json", ...}}`;
- tinytuya's devices.json `mapping`: DP id -> `{"code", "type", "values"}`.
`/v1.0/iot-03/devices/{id}/specification` gives no DP ids, so it cannot map a LAN device.
A malformed specification raises :class:`SpecError` naming the first fault.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from setsmart.devices.errors import DeviceError
from setsmart.devices.types import is_int, is_number

#: Tuya's value types, as the v1.1 specification names them, by every spelling we meet.
_TYPES: Final = {
    "boolean": "Boolean",
    "bool": "Boolean",
    "integer": "Integer",
    "value": "Integer",
    "enum": "Enum",
    "string": "String",
    "json": "Json",
    "raw": "Raw",
    "bitmap": "Bitmap",
}
_LAYOUT_KEYS: Final = ("min", "max", "scale", "step", "unit", "range", "label", "maxlen")


class SpecError(DeviceError):
    """A specification that cannot be read; the message names the fault."""


@dataclass(frozen=True, slots=True)
class SpecDp:
    """One data point: DP id, standard code, Tuya type and its `values` (ranges...)."""

    id: int
    code: str
    type: str
    values: Mapping[str, Any] = field(default_factory=dict)
    writable: bool = True

    @property
    def scale(self) -> int:
        """The decimal exponent: a wire value of 235 with scale 1 is 23.5."""
        scale = self.values.get("scale", 0)
        return scale if is_int(scale) else 0

    @property
    def range(self) -> tuple[str, ...]:
        """An enum's values; empty for other types."""
        options = self.values.get("range")
        if not isinstance(options, list):
            return ()
        return tuple(str(option) for option in options)


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """A device's category and DPs, DP id order."""

    category: str
    dps: tuple[SpecDp, ...]

    def code(self, code: str) -> SpecDp | None:
        """The DP with standard code `code`, if the device has it."""
        return next((dp for dp in self.dps if dp.code == code), None)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(dp.code for dp in self.dps)

    def to_json(self) -> dict[str, Any]:
        """The v1.1 shape (values as objects): what the state directory caches."""
        return {
            "category": self.category,
            "functions": [_item(dp) for dp in self.dps if dp.writable],
            "status": [_item(dp) for dp in self.dps],
        }


def _item(dp: SpecDp) -> dict[str, Any]:
    return {"code": dp.code, "dp_id": dp.id, "type": dp.type, "values": dict(dp.values)}


def parse_spec(data: object, *, category: str = "") -> DeviceSpec:
    """A specification in any of the shapes above; `category` when the shape has none."""
    if isinstance(data, Mapping) and "model" in data:
        return _thing_model(data["model"], category)
    if isinstance(data, Mapping) and ("functions" in data or "status" in data):
        return _v11(data, category)
    if isinstance(data, Mapping):
        return _mapping(data, category)
    raise SpecError(f"a specification must be a JSON object, got {_what(data)}")


def _v11(data: Mapping[str, Any], category: str) -> DeviceSpec:
    found = data.get("category", category)
    if not isinstance(found, str):
        raise SpecError(f"category must be a string, got {_what(found)}")
    by_id: dict[int, SpecDp] = {}
    writable: set[int] = set()
    for key in ("functions", "status"):
        items = data.get(key) or []
        if not isinstance(items, list):
            raise SpecError(f"{key} must be a list, got {_what(items)}")
        for index, item in enumerate(items):
            where = f"{key}[{index}]"
            if not isinstance(item, Mapping):
                raise SpecError(f"{where} must be an object, got {_what(item)}")
            dp = _dp(item.get("dp_id"), item.get("code"), item.get("type"), item, where)
            _add(by_id, dp, where)
            if key == "functions":
                writable.add(dp.id)
    return _spec(found or category, by_id, writable)


def _thing_model(model: object, category: str) -> DeviceSpec:
    if isinstance(model, str):
        try:
            model = json.loads(model)
        except ValueError:
            raise SpecError("model is not JSON text") from None
    if not isinstance(model, Mapping) or not isinstance(model.get("services"), list):
        raise SpecError("model has no list of services")
    by_id: dict[int, SpecDp] = {}
    writable: set[int] = set()
    for s, service in enumerate(model["services"]):
        properties = service.get("properties") if isinstance(service, Mapping) else None
        if not isinstance(properties, list):
            raise SpecError(f"services[{s}] has no list of properties")
        for p, prop in enumerate(properties):
            where = f"services[{s}].properties[{p}]"
            spec = prop.get("typeSpec") if isinstance(prop, Mapping) else None
            if not isinstance(prop, Mapping) or not isinstance(spec, Mapping):
                raise SpecError(f"{where} has no typeSpec")
            values = {k: v for k, v in spec.items() if k != "type"}
            dp = _dp(prop.get("abilityId"), prop.get("code"), spec.get("type"), values, where)
            _add(by_id, dp, where)
            if prop.get("accessMode", "rw") != "ro":
                writable.add(dp.id)
    return _spec(category, by_id, writable)


def _mapping(data: Mapping[Any, Any], category: str) -> DeviceSpec:
    by_id: dict[int, SpecDp] = {}
    for key, item in data.items():
        where = f"mapping[{key!r}]"
        if not isinstance(item, Mapping):
            raise SpecError(f"{where} must be an object, got {_what(item)}")
        dp_id = int(key) if isinstance(key, str) and key.isascii() and key.isdigit() else key
        _add(by_id, _dp(dp_id, item.get("code"), item.get("type"), item, where), where)
    return _spec(category, by_id, set(by_id))


def _dp(dp_id: object, code: object, kind: object, item: Mapping[str, Any], where: str) -> SpecDp:
    if not is_int(dp_id) or not 1 <= dp_id <= 255:
        raise SpecError(f"{where}: DP id {dp_id!r} is not a number from 1 to 255")
    if not isinstance(code, str) or not code:
        raise SpecError(f"{where} (DP {dp_id}) has no code")
    name = _TYPES.get(kind.lower()) if isinstance(kind, str) else None
    if name is None:
        raise SpecError(f"{where} ({code}): unknown type {kind!r}")
    return SpecDp(dp_id, code, name, _values(item, name, f"{where} ({code})"))


def _values(item: Mapping[str, Any], kind: str, where: str) -> dict[str, Any]:
    raw: object = item.get("values", item)
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise SpecError(f"{where}: values are not JSON") from None
    if not isinstance(raw, Mapping):
        raise SpecError(f"{where}: values must be an object, got {_what(raw)}")
    values = {key: raw[key] for key in _LAYOUT_KEYS if key in raw}
    if kind == "Integer":
        for key in ("min", "max", "step", "scale"):
            if key in values and not is_number(values[key]):
                raise SpecError(f"{where}: {key} must be a number, got {values[key]!r}")
        low, high = values.get("min"), values.get("max")
        if low is not None and high is not None and low > high:
            raise SpecError(f"{where}: min {low} is above max {high}")
    if kind == "Enum":
        options = values.get("range")
        if not isinstance(options, list) or not options:
            raise SpecError(f"{where}: an Enum needs a non-empty range")
    return values


def _add(by_id: dict[int, SpecDp], dp: SpecDp, where: str) -> None:
    other = by_id.get(dp.id)
    if other is not None and other.code != dp.code:
        raise SpecError(f"{where}: DP {dp.id} is both {other.code} and {dp.code}")
    by_id.setdefault(dp.id, dp)


def _spec(category: str, by_id: Mapping[int, SpecDp], writable: set[int]) -> DeviceSpec:
    if not by_id:
        raise SpecError("the specification lists no DPs")
    dps = tuple(
        SpecDp(dp.id, dp.code, dp.type, dp.values, dp.id in writable)
        for dp in sorted(by_id.values(), key=lambda dp: dp.id)
    )
    return DeviceSpec(category.strip(), dps)


def _what(value: object) -> str:
    if value is None:
        return "null"
    return f"a {type(value).__name__}"
