"""One-shot Tuya cloud operations for the CLI: import the devices, read or start firmware.

The cloud twin of `direct.py`: each command opens its own client and closes it.

Which account to import: as ``tinytuya wizard`` does, the app account (uid) is found from
the id of any device in it (``GET /v1.0/devices/{id}`` gives ``uid``); then
``GET /v1.0/users/{uid}/devices`` lists every device with its local key, and each
product's specification gives the DP mapping (one call per product, not per device).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from setsmart.cloud.errors import (
    CloudError,
    CloudPermissionError,
    CloudProtocolError,
    CloudRequestError,
)
from setsmart.cloud.models import UpgradeInfo
from setsmart.config import Config, ConfigError, DeviceConfig
from setsmart.config.importers.cloud import (
    CloudApi,
    CloudDeviceLike,
    CloudInventory,
    SpecificationLike,
    import_cloud,
)
from setsmart.config.importers.errors import ImportSourceError
from setsmart.config.importers.model import ImportResult
from setsmart.daemon.cloud_route import CloudTuning, make_client

if TYPE_CHECKING:
    from setsmart.cloud import CloudClient

SPEC_CONCURRENCY = 4
UID_TRIES = 3


def cloud_client(config: Config, command: str) -> CloudClient:
    """The client of the configuration's cloud project; a ConfigError when there is none."""
    if config.cloud is None:
        where = str(config.source or "the configuration")
        raise ConfigError(
            where,
            None,
            "cloud",
            f"missing: `{command}` asks the Tuya cloud project "
            "(add cloud: with region, api_key and api_secret)",
        )
    return make_client(config.cloud, CloudTuning())


async def firmware(
    config: Config, device: DeviceConfig, *, upgrade: bool
) -> tuple[list[UpgradeInfo], list[UpgradeInfo]]:
    """The device's firmware modules, and those whose upgrade this call started."""
    async with cloud_client(config, "setsmart firmware") as client:
        infos = await client.upgrade_infos(device.id)
        ready = [info for info in infos if info.available]
        if not upgrade or not ready or any(info.upgrading for info in infos):
            return infos, []
        if not await client.confirm_upgrade(device.id):
            raise CloudRequestError(f"the Tuya cloud did not start the upgrade of {device.name}")
        return infos, ready


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
