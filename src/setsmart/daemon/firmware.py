"""Firmware over MQTT: topics, the upgrade request and the retained firmware document.

Pure (no I/O). B is `mqtt.base_topic`:

| topic | direction | retained | payload |
|---|---|---|---|
| `B/<name>/firmware/get` | in | - | anything: ask the cloud, publish `B/<name>/firmware` |
| `B/<name>/firmware/set` | in | - | `upgrade`, or `{"upgrade": true, "module"?: N}` |
| `B/<name>/firmware` | out | yes | the document of `firmware_document` |

Requests are answered like `/set`: errors on `B/bridge/log`, and `{"status": ...}` on the
MQTT 5 response topic when the request has one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from setsmart.cloud.models import UpgradeInfo
from setsmart.devices.state import iso_utc
from setsmart.mqtt.topics import is_device_name

__all__ = [
    "FirmwareOrder",
    "FirmwareRequestError",
    "UpgradeInfo",  # what the firmware operations return, for the CLI (a layer above cloud)
    "decode_request",
    "filters",
    "firmware_document",
    "module_document",
    "module_name",
    "parse_topic",
    "state_topic",
]

FIRMWARE: Final = "firmware"
_MAX_REQUEST = 1024
_MODULES: Final = {0: "wifi", 1: "bluetooth", 3: "zigbee", 9: "mcu"}
_STATUS: Final = {0: "none", 1: "available", 2: "upgrading", 3: "done", 4: "failed"}

FirmwareKind = Literal["get", "set"]


class FirmwareRequestError(ValueError):
    """A `firmware/set` payload that is not an upgrade request; the message says why."""


@dataclass(frozen=True, slots=True)
class FirmwareOrder:
    """Start an upgrade: of one module (Tuya's module_type), or of every one that has one."""

    module: int | None = None


def state_topic(base: str, name: str) -> str:
    """`B/<name>/firmware`: the retained firmware document."""
    return f"{base}/{name}/{FIRMWARE}"


def filters(base: str) -> tuple[str, str]:
    """The subscriptions: `B/+/firmware/get` and `B/+/firmware/set`."""
    return (f"{base}/+/{FIRMWARE}/get", f"{base}/+/{FIRMWARE}/set")


def parse_topic(base: str, topic: str) -> tuple[str, FirmwareKind] | None:
    """`(name, "get"|"set")` for `B/<name>/firmware/get|set`, else None."""
    prefix = f"{base}/"
    if not topic.startswith(prefix):
        return None
    parts = topic[len(prefix) :].split("/")
    if len(parts) != 3 or parts[1] != FIRMWARE or not is_device_name(parts[0]):
        return None
    if parts[2] == "get":
        return parts[0], "get"
    if parts[2] == "set":
        return parts[0], "set"
    return None


def decode_request(raw: bytes) -> FirmwareOrder:
    """The order in a `firmware/set` payload."""
    hint = 'send upgrade, or {"upgrade": true} (optionally with "module": N)'
    if len(raw) > _MAX_REQUEST:
        raise FirmwareRequestError(
            f"the firmware request is longer than {_MAX_REQUEST} bytes; {hint}"
        )
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise FirmwareRequestError(f"the firmware request is not UTF-8 text; {hint}") from None
    if text.lower() == "upgrade":
        return FirmwareOrder()
    try:
        request = json.loads(text)
    except ValueError:
        raise FirmwareRequestError(f"unknown firmware request {text[:40]!r}; {hint}") from None
    if not isinstance(request, dict) or request.get("upgrade") is not True:
        raise FirmwareRequestError(f"the firmware request asks for no upgrade; {hint}")
    unknown = sorted(set(request) - {"upgrade", "module"})
    if unknown:
        raise FirmwareRequestError(f"unknown key {unknown[0]!r} in the firmware request; {hint}")
    module = request.get("module")
    if module is not None and (not isinstance(module, int) or isinstance(module, bool)):
        raise FirmwareRequestError(f"'module' must be a whole number (0 Wi-Fi, 9 MCU); {hint}")
    return FirmwareOrder(module)


def module_name(module_type: int) -> str:
    """`wifi`, `mcu`... for Tuya's module types."""
    return _MODULES.get(module_type, f"module_{module_type}")


def module_document(info: UpgradeInfo) -> dict[str, object]:
    """One module of a firmware document."""
    return {
        "module": module_name(info.module_type),
        "type": info.module_type,
        "current": info.current_version or None,
        "available": (info.upgrade_version or None) if info.available else None,
        "status": _STATUS.get(info.upgrade_status, f"status_{info.upgrade_status}"),
        "description": info.module_desc or None,
    }


def firmware_document(infos: Sequence[UpgradeInfo], checked: datetime) -> dict[str, object]:
    """What `B/<name>/firmware` says: the main module's versions (Wi-Fi, else the first),
    whether any module has an upgrade available or running, each module, and when the
    cloud was asked."""
    main = next((i for i in infos if i.module_type == 0), infos[0] if infos else None)
    return {
        "current": (main.current_version or None) if main else None,
        "available": (main.upgrade_version or None) if main and main.available else None,
        "update_available": any(info.available for info in infos),
        "upgrading": any(info.upgrading for info in infos),
        "modules": [module_document(info) for info in infos],
        "checked": iso_utc(checked),
    }
