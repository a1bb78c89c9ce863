"""Cloud specifications of `type: auto` devices: fetched once, then kept in the state
directory (`specifications.json`), so that later starts know every layout without the
cloud.

The supervisor owns one `SpecCache`; a device's runtime is given the cached specification
at start, or, when there is none and a cloud is configured, `fetch` asks the cloud once
(the v1.1 specification, else the thing model) and saves what it got. A specification the
cloud returns malformed is not saved; the error says why, and the device carries on with
the product library and recognition.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol

from setsmart.cloud.errors import CloudError, CloudProtocolError, CloudRequestError
from setsmart.daemon.store import Loaded, StateError, StateStore, load_devices, save_devices
from setsmart.devices.spec import DeviceSpec, SpecError, parse_spec

SPECIFICATIONS = "specifications"


class SpecClient(Protocol):
    """The calls `fetch` makes (`setsmart.cloud.CloudClient`)."""

    async def specifications(self, device_id: str) -> Any: ...
    async def thing_model(self, device_id: str) -> dict[str, Any]: ...
    async def device(self, device_id: str) -> Any: ...


def load_specs(store: StateStore) -> Loaded[dict[str, DeviceSpec]]:
    """The cached specifications by device id; an unreadable entry is dropped and named."""
    entries, problems = load_devices(store, SPECIFICATIONS)
    specs: dict[str, DeviceSpec] = {}
    for device_id, entry in entries.items():
        try:
            specs[device_id] = parse_spec(entry)
        except SpecError as error:
            path = store.path(SPECIFICATIONS)
            problems.append(
                StateError(path, f"state file {path}: entry {device_id!r} ignored ({error})")
            )
    return Loaded(specs, tuple(problems))


def save_specs(store: StateStore, specs: Mapping[str, DeviceSpec]) -> None:
    """Save the specifications by device id."""
    save_devices(store, SPECIFICATIONS, {key: spec.to_json() for key, spec in specs.items()})


def specification_json(spec: Any) -> dict[str, Any]:
    """A `setsmart.cloud.Specification` in the v1.1 shape `parse_spec` reads."""

    def items(dps: Any) -> list[dict[str, Any]]:
        return [
            {"code": dp.code, "dp_id": dp.dp_id, "type": dp.type, "values": dict(dp.values)}
            for dp in dps
        ]

    return {
        "category": spec.category,
        "functions": items(spec.functions),
        "status": items(spec.status),
    }


class SpecCache:
    """Specifications by device id: the state directory's, and those fetched since."""

    def __init__(self, store: StateStore, specs: Mapping[str, DeviceSpec]) -> None:
        self._store = store
        self._specs = dict(specs)
        self._lock = asyncio.Lock()

    def get(self, device_id: str) -> DeviceSpec | None:
        """The cached specification, if any."""
        return self._specs.get(device_id)

    async def fetch(self, client: SpecClient, device_id: str, category: str = "") -> DeviceSpec:
        """The device's specification: cached, else from the cloud (then saved).

        Raises SpecError (malformed), CloudError (the cloud refused), StateError (saved
        nothing; the specification is still returned by `get` until the daemon stops).
        """
        cached = self._specs.get(device_id)
        if cached is not None:
            return cached
        try:
            spec = parse_spec(specification_json(await client.specifications(device_id)))
        except (CloudRequestError, CloudProtocolError, SpecError) as first:
            try:
                model = await client.thing_model(device_id)
                # The thing model names no category: the device's record does.
                category = category or (await client.device(device_id)).category
                spec = parse_spec(model, category=category)
            except (CloudError, SpecError):
                raise first from None
        async with self._lock:
            self._specs[device_id] = spec
            await asyncio.to_thread(save_specs, self._store, dict(self._specs))
        return spec
