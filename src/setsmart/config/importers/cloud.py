"""The devices of a Tuya cloud project's app account, as setsmart configuration.

Two halves: :func:`import_cloud` converts what the cloud answered (pure), and
:func:`find_uid` / :func:`fetch_cloud_devices` ask a client for it (the only network I/O
of this package, through the client they are given; asyncio only bounds the concurrency).

Which account: as ``tinytuya wizard`` does, the app account (uid) is found from the id
of any device in it (``GET /v1.0/devices/{id}`` gives ``uid``); then
``GET /v1.0/users/{uid}/devices`` lists every device with its local key, and each
product's specification gives the DP mapping (one call per product, not per device).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from setsmart.cloud.errors import (
    CloudError,
    CloudPermissionError,
    CloudProtocolError,
    CloudRequestError,
)
from setsmart.config.importers.build import build_devices
from setsmart.config.importers.errors import ImportSourceError
from setsmart.config.importers.model import DpInfo, ImportResult, SourceDevice
from setsmart.config.model import DeviceConfig

ORIGIN = "the Tuya cloud"
SPEC_CONCURRENCY = 4
UID_TRIES = 3


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
    # `sub` and `node_id` are in the cloud's reply; read them when the model keeps them.
    sub = getattr(device, "sub", False) is True or bool(getattr(device, "node_id", ""))
    gateway = getattr(device, "gateway_id", None)
    return SourceDevice(
        id=device.id,
        name=device.name.strip(),
        local_key=device.local_key or None,
        hosts=(device.ip,) if device.ip else (),
        category=device.category,
        product_name=device.product_name.strip(),
        mapping=None if spec is None else mapping_of(spec),
        sub=sub,
        gateway=gateway if isinstance(gateway, str) and gateway else None,
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


# -- network, through the given client ------------------------------------------------


async def find_uid(client: CloudApi, device_ids: Sequence[str], *, tries: int = UID_TRIES) -> str:
    """The app account of the first of ``device_ids`` the project knows (at most ``tries``)."""
    if not device_ids:
        raise ImportSourceError(
            "which app account? give --device ID (any device of the Smart Life/Tuya app "
            "account linked to the cloud project; `setsmart scan` lists ids on this network) "
            "or --uid UID"
        )
    last: CloudPermissionError | None = None
    for device_id in device_ids[:tries]:
        try:
            device = await client.device(device_id)
        except CloudPermissionError as error:  # not in this project: try the next one
            last = error
            continue
        if device.uid:
            return device.uid
    tried = ", ".join(device_ids[:tries])
    why = f" ({last.message})" if last else ""
    raise ImportSourceError(
        f"the cloud project gave no app account for device {tried}{why}: check that the app "
        "account is linked to the project (Devices > Link App Account) or give --uid UID"
    )


async def fetch_cloud_devices(
    client: CloudApi, uids: Sequence[str], *, concurrency: int = SPEC_CONCURRENCY
) -> CloudInventory:
    """Every device of the accounts ``uids`` and their specifications, one call per product.

    A specification the cloud refuses (2009 "not supported", a malformed reply) leaves that
    product without a mapping and says so; any other cloud error ends the fetch.
    """
    devices: dict[str, CloudDeviceLike] = {}
    for uid in dict.fromkeys(uids):
        for device in await client.user_devices(uid):
            devices.setdefault(device.id, device)
    by_product: dict[str, list[str]] = {}
    for device in devices.values():
        if cloud_source(device, None).sub:
            continue  # skipped by the import anyway: save the call
        by_product.setdefault(device.product_id or device.id, []).append(device.id)
    specs: dict[str, SpecificationLike | None] = {}
    failures: dict[str, CloudError] = {}
    limit = asyncio.Semaphore(max(1, concurrency))

    async def fetch(product: str, device_id: str) -> None:
        async with limit:
            try:
                specs[product] = await client.specifications(device_id)
            except CloudError as error:
                failures[product] = error

    async with asyncio.TaskGroup() as group:
        for product, ids in by_product.items():
            group.create_task(fetch(product, ids[0]))
    notes: list[str] = []
    for product, error in failures.items():
        if not isinstance(error, CloudRequestError | CloudProtocolError):
            raise error
        names = ", ".join(devices[d].name or d for d in by_product[product])
        notes.append(f"{names}: no DP specification from the cloud ({error.message}): type auto")
    spec_of = {d: specs.get(p) for p, ids in by_product.items() for d in ids}
    return CloudInventory(tuple(devices.values()), spec_of, tuple(notes))


async def import_from_cloud(
    client: CloudApi,
    *,
    existing: Sequence[DeviceConfig] = (),
    device_ids: Sequence[str] = (),
    uid: str | None = None,
) -> ImportResult:
    """Everything `setsmart cloud import` asks the cloud, converted.

    The account: ``uid`` when given, else the account of each of ``device_ids``, else
    that of the first configured device (of ``existing``) the project knows.
    """
    if uid:
        uids = [uid]
    elif device_ids:
        uids = [await find_uid(client, [device_id]) for device_id in device_ids]
    else:
        uids = [await find_uid(client, [device.id for device in existing])]
    inventory = await fetch_cloud_devices(client, uids)
    result = import_cloud(inventory, existing=existing)
    if inventory.devices:
        return result
    empty = f"the cloud lists no devices for app account {', '.join(dict.fromkeys(uids))}"
    return dataclasses.replace(result, notes=(empty, *result.notes))
