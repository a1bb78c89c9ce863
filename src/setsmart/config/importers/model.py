"""The data an import passes around: devices as a source describes them, and the result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from setsmart.config.model import DeviceConfig


@dataclass(frozen=True, slots=True)
class DpInfo:
    """One data point as the cloud specifies it: its code, Tuya type and ``values``."""

    code: str
    type: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SourceDevice:
    """One device as an import source lists it, before it becomes a :class:`DeviceConfig`.

    ``local_key`` is ``None`` when the source has none; ``hosts`` are candidate addresses
    in order of preference; ``version`` is as the source wrote it (a string, a float or
    nothing); ``mapping`` is DP id -> :class:`DpInfo`, ``None`` when the source has none.
    A sub-device (Zigbee or BLE behind a gateway) has ``sub`` set, ``node_id`` its address
    on the gateway (``cid``) and ``gateway`` the gateway's id when the source names it.
    """

    id: str
    name: str
    local_key: str | None = field(default=None, repr=False)
    hosts: tuple[str, ...] = ()
    version: object = None
    category: str = ""
    product_name: str = ""
    product_id: str = ""
    mapping: Mapping[int, DpInfo] | None = None
    sub: bool = False
    gateway: str | None = None
    node_id: str | None = None


@dataclass(frozen=True, slots=True)
class SkippedDevice:
    """A device the import left out, and why."""

    name: str
    id: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The devices of an import, in the order to write them, with what was left out.

    ``imported`` counts the devices that came from the source (the others were already
    configured and are kept); ``notes`` are one-line remarks worth showing the user.
    """

    devices: tuple[DeviceConfig, ...]
    imported: int
    skipped: tuple[SkippedDevice, ...] = ()
    notes: tuple[str, ...] = ()
