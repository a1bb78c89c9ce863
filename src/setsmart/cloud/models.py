"""What the OpenAPI returns, as checked dataclasses. Pure: JSON values in, models out.

Every parser raises `CloudProtocolError` naming the missing or mistyped field; no message
quotes a field's value, so a local key in a malformed reply cannot leak.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from setsmart.cloud.errors import CloudProtocolError

__all__ = [
    "CallBudget",
    "CloudDevice",
    "DpCodeMap",
    "DpSpec",
    "Specification",
    "Token",
    "UpgradeInfo",
    "parse_commands_result",
    "parse_device",
    "parse_devices",
    "parse_specification",
    "parse_status",
    "parse_token",
    "parse_upgrade_infos",
]

_T = TypeVar("_T")


def _unexpected(what: str) -> CloudProtocolError:
    return CloudProtocolError(f"unexpected reply from the Tuya cloud: {what}")


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _unexpected(f"{where} is not an object")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _unexpected(f"{where} is not a list")
    return value


def _required(obj: Mapping[str, Any], key: str, kind: type[_T], where: str) -> _T:
    value = obj.get(key)
    # bool is an int in Python; a JSON true is never a valid number here.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _unexpected(f"{where} has no {kind.__name__} {key!r}")
    return value


def _optional(obj: Mapping[str, Any], key: str, kind: type[_T], default: _T, where: str) -> _T:
    if obj.get(key) is None:
        return default
    return _required(obj, key, kind, where)


@dataclass(frozen=True)
class Token:
    """An access token as issued: its lifetime in seconds and the uid it belongs to."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expire_time_s: int
    uid: str


def parse_token(result: object) -> Token:
    """The result of `GET /v1.0/token?grant_type=1`."""
    obj = _object(result, "the token result")
    expire = _required(obj, "expire_time", int, "the token result")
    if expire <= 0:
        raise _unexpected("the token result has a non-positive 'expire_time'")
    access = _required(obj, "access_token", str, "the token result")
    if not access:
        raise _unexpected("the token result has an empty 'access_token'")
    return Token(
        access_token=access,
        refresh_token=_optional(obj, "refresh_token", str, "", "the token result"),
        expire_time_s=expire,
        uid=_optional(obj, "uid", str, "", "the token result"),
    )


def parse_status(result: object) -> list[dict[str, Any]]:
    """`[{"code", "value"}]` of `GET /v1.0/iot-03/devices/{id}/status`."""
    items = _list(result, "the status result")
    status: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        where = f"status item {index}"
        obj = _object(item, where)
        if "value" not in obj:
            raise _unexpected(f"{where} has no 'value'")
        status.append({"code": _required(obj, "code", str, where), "value": obj["value"]})
    return status


def parse_commands_result(result: object) -> bool:
    """The boolean result of `POST /v1.0/iot-03/devices/{id}/commands`."""
    if not isinstance(result, bool):
        raise _unexpected("the commands result is not true or false")
    return result


@dataclass(frozen=True)
class DpSpec:
    """One data point of a device's specification."""

    code: str
    dp_id: int
    type: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Specification:
    """`functions` (writable DPs) and `status` (reported DPs) of one device."""

    category: str
    functions: tuple[DpSpec, ...]
    status: tuple[DpSpec, ...]


def _dp_spec(item: object, where: str) -> DpSpec:
    obj = _object(item, where)
    raw = obj.get("values")
    if raw is None or raw == "":
        values: object = {}
    elif isinstance(raw, str):
        try:
            values = json.loads(raw)
        except ValueError:
            raise _unexpected(f"{where} has 'values' that are not JSON") from None
    else:
        values = raw
    return DpSpec(
        code=_required(obj, "code", str, where),
        dp_id=_required(obj, "dp_id", int, where),
        type=_optional(obj, "type", str, "", where),
        values=_object(values, f"the 'values' of {where}"),
    )


def parse_specification(result: object) -> Specification:
    """The result of `GET /v1.1/devices/{id}/specifications`."""
    obj = _object(result, "the specification result")
    lists = {}
    for key in ("functions", "status"):
        value = obj.get(key)
        items = [] if value is None else _list(value, f"the specification's {key!r}")
        lists[key] = tuple(_dp_spec(item, f"{key} item {i}") for i, item in enumerate(items))
    return Specification(
        category=_optional(obj, "category", str, "", "the specification result"),
        functions=lists["functions"],
        status=lists["status"],
    )


def parse_thing_model(result: object) -> dict[str, Any]:
    """The result of `GET /v2.0/cloud/thing/{id}/model`: an object whose `model` is JSON
    text (read by `setsmart.devices.spec`)."""
    obj = _object(result, "the thing model result")
    if not isinstance(obj.get("model"), str | dict):
        raise _unexpected("the thing model result has no 'model'")
    return dict(obj)


@dataclass(frozen=True)
class DpCodeMap:
    """DP id <-> code, both ways, from a specification."""

    code_by_id: Mapping[int, str]
    id_by_code: Mapping[str, int]

    @classmethod
    def from_specification(cls, spec: Specification) -> DpCodeMap:
        """Functions and status merged; the first code given for an id wins."""
        code_by_id: dict[int, str] = {}
        id_by_code: dict[str, int] = {}
        for dp in (*spec.functions, *spec.status):
            code_by_id.setdefault(dp.dp_id, dp.code)
            id_by_code.setdefault(dp.code, dp.dp_id)
        return cls(code_by_id=code_by_id, id_by_code=id_by_code)


@dataclass(frozen=True)
class CloudDevice:
    """A device as the cloud knows it. `ip` is the address the device last reached Tuya
    from (often the public one), not necessarily its LAN address."""

    id: str
    name: str
    local_key: str = field(repr=False)
    uid: str
    ip: str
    category: str
    product_id: str
    product_name: str
    online: bool
    #: a Zigbee/Bluetooth sub-device: its address on its gateway and, not always, the
    #: gateway's id (PROTOCOL.md, "Gateways and sub-devices")
    sub: bool = False
    node_id: str = ""
    gateway_id: str = ""


def parse_device(result: object, where: str = "the device result") -> CloudDevice:
    """One device of `GET /v1.0/devices/{id}` or `GET /v1.0/users/{uid}/devices`."""
    obj = _object(result, where)
    return CloudDevice(
        id=_required(obj, "id", str, where),
        name=_optional(obj, "name", str, "", where),
        local_key=_optional(obj, "local_key", str, "", where),
        uid=_optional(obj, "uid", str, "", where),
        ip=_optional(obj, "ip", str, "", where),
        category=_optional(obj, "category", str, "", where),
        product_id=_optional(obj, "product_id", str, "", where),
        product_name=_optional(obj, "product_name", str, "", where),
        online=_optional(obj, "online", bool, False, where),
        sub=_optional(obj, "sub", bool, False, where),
        node_id=_optional(obj, "node_id", str, "", where),
        gateway_id=_optional(obj, "gateway_id", str, "", where),
    )


def parse_devices(result: object) -> list[CloudDevice]:
    """The list of `GET /v1.0/users/{uid}/devices`."""
    items = _list(result, "the device list")
    return [parse_device(item, f"device {index} of the list") for index, item in enumerate(items)]


@dataclass(frozen=True)
class UpgradeInfo:
    """Firmware state of one module (0 Wi-Fi, 9 MCU, ...) of a device."""

    module_type: int
    upgrade_status: int
    current_version: str
    upgrade_version: str
    module_desc: str
    upgrade_desc: str

    @property
    def available(self) -> bool:
        """An upgrade is ready to be confirmed (upgrade_status 1)."""
        return self.upgrade_status == 1

    @property
    def upgrading(self) -> bool:
        """The module is being upgraded now (upgrade_status 2)."""
        return self.upgrade_status == 2


def parse_upgrade_infos(result: object) -> list[UpgradeInfo]:
    """The list of `GET /v1.0/iot-03/devices/{id}/upgrade-infos`."""
    infos = []
    for index, item in enumerate(_list(result, "the upgrade information")):
        where = f"upgrade module {index}"
        obj = _object(item, where)
        infos.append(
            UpgradeInfo(
                module_type=_required(obj, "module_type", int, where),
                upgrade_status=_required(obj, "upgrade_status", int, where),
                current_version=_optional(obj, "current_version", str, "", where),
                upgrade_version=_optional(obj, "upgrade_version", str, "", where),
                module_desc=_optional(obj, "module_desc", str, "", where),
                upgrade_desc=_optional(obj, "upgrade_desc", str, "", where),
            )
        )
    return infos


#: The OpenAPI calls a month of the free "trial" plan allows (about).
MONTHLY_CALL_LIMIT = 50_000


@dataclass(frozen=True)
class CallBudget:
    """OpenAPI calls made this (UTC) month against the plan's monthly allowance."""

    month: str
    calls: int
    limit: int
    warn_at: int

    @property
    def remaining(self) -> int:
        """Calls left this month (never negative)."""
        return max(0, self.limit - self.calls)

    @property
    def warning(self) -> bool:
        """The warning threshold is reached."""
        return self.calls >= self.warn_at
