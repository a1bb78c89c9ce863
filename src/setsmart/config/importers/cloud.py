"""The devices of a Tuya cloud project's app account, as setsmart configuration.

:func:`import_cloud` converts what the cloud answered (pure); asking the cloud for it is
`setsmart.daemon.cloud_commands`.

Which account: as ``tinytuya wizard`` does, the app account (uid) is found from the id
of any device in it (``GET /v1.0/devices/{id}`` gives ``uid``); then
``GET /v1.0/users/{uid}/devices`` lists every device with its local key, and each
product's specification gives the DP mapping (one call per product, not per device).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from setsmart.config.importers.build import build_devices
from setsmart.config.importers.model import DpInfo, ImportResult, SourceDevice
from setsmart.config.model import DeviceConfig

ORIGIN = "the Tuya cloud"


class CloudDeviceLike(Protocol):
    """What the importer reads of a device (`setsmart.cloud.CloudDevice`)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def local_key(self) -> str: ...
    @property
    def uid(self) -> str: ...
    @property
    def ip(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def product_id(self) -> str: ...
    @property
    def product_name(self) -> str: ...
    @property
    def sub(self) -> bool: ...
    @property
    def node_id(self) -> str: ...
    @property
    def gateway_id(self) -> str: ...


class DpSpecLike(Protocol):
    """One DP of a specification (`setsmart.cloud.DpSpec`)."""

    @property
    def code(self) -> str: ...
    @property
    def dp_id(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def values(self) -> Mapping[str, Any]: ...


class SpecificationLike(Protocol):
    """A device's specification (`setsmart.cloud.Specification`)."""

    @property
    def functions(self) -> Sequence[DpSpecLike]: ...
    @property
    def status(self) -> Sequence[DpSpecLike]: ...


class CloudApi(Protocol):
    """The calls the import makes (`setsmart.cloud.CloudClient`)."""

    async def device(self, device_id: str) -> CloudDeviceLike: ...
    async def user_devices(self, uid: str) -> Sequence[CloudDeviceLike]: ...
    async def specifications(self, device_id: str) -> SpecificationLike: ...


@dataclass(frozen=True, slots=True)
class CloudInventory:
    """What the cloud answered: the devices, each one's specification (``None`` when the
    cloud had none), and remarks about what could not be fetched."""

    devices: tuple[CloudDeviceLike, ...]
    specifications: Mapping[str, SpecificationLike | None]
    notes: tuple[str, ...] = ()


# -- pure -----------------------------------------------------------------------------


def mapping_of(spec: SpecificationLike) -> dict[int, DpInfo]:
    """DP id -> DpInfo from a specification (``status`` and ``functions`` merged)."""
    mapping: dict[int, DpInfo] = {}
    for dp in (*spec.status, *spec.functions):
        mapping.setdefault(dp.dp_id, DpInfo(dp.code, dp.type, dict(dp.values)))
    return mapping


def cloud_source(device: CloudDeviceLike, spec: SpecificationLike | None) -> SourceDevice:
    """One cloud device as an import source."""
    return SourceDevice(
        id=device.id,
        name=device.name.strip(),
        local_key=device.local_key or None,
        hosts=(device.ip,) if device.ip else (),
        category=device.category,
        product_name=device.product_name.strip(),
        product_id=device.product_id.strip(),
        mapping=None if spec is None else mapping_of(spec),
        sub=device.sub or bool(device.node_id),
        gateway=device.gateway_id.strip() or None,
        node_id=device.node_id.strip() or None,
    )


def import_cloud(
    inventory: CloudInventory, *, existing: Sequence[DeviceConfig] = ()
) -> ImportResult:
    """The configuration entries for what the cloud answered."""
    sources = [
        cloud_source(device, inventory.specifications.get(device.id))
        for device in inventory.devices
    ]
    result = build_devices(sources, origin=ORIGIN, existing=existing)
    return ImportResult(
        result.devices, result.imported, result.skipped, (*inventory.notes, *result.notes)
    )
