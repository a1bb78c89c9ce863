"""Source devices to :class:`DeviceConfig` entries, merged with devices already configured.

A device already configured (same id) keeps its entry as the user wrote it (name, type,
overrides...), and only takes the source's local key when the entry holds its key inline
and the source's differs (re-pairing changes the key). Devices the source does not list
are kept. New devices get a topic-safe, unique name and what the mapping tells. A new
sub-device is written behind its gateway (``gateway:``, ``node_id:``, no key or host of
its own) right after it, or left out with the reason when its gateway cannot be told.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Sequence

from setsmart.config import checks
from setsmart.config.importers.children import gateway_of, insert_child, node_id_problem
from setsmart.config.importers.infer import infer_device
from setsmart.config.importers.model import ImportResult, SkippedDevice, SourceDevice
from setsmart.config.importers.names import NameAllocator
from setsmart.config.model import PROTOCOL_VERSIONS, DeviceConfig
from setsmart.config.secret import Secret
from setsmart.devices import AUTO


def build_devices(
    sources: Sequence[SourceDevice],
    *,
    origin: str,
    existing: Sequence[DeviceConfig] = (),
) -> ImportResult:
    """The configuration entries for ``sources`` (from ``origin``, e.g. ``"devices.json"``)."""
    names = NameAllocator(device.name for device in existing)
    configured = {device.id: device for device in existing}
    updated: dict[str, DeviceConfig] = {}
    new: list[DeviceConfig] = []
    skipped: list[SkippedDevice] = []
    notes: list[str] = []
    public: list[str] = []
    unmapped = 0
    seen: set[str] = set()
    children: list[SourceDevice] = []
    for source in sources:
        reason = _skip_reason(source, seen)
        if reason:
            skipped.append(SkippedDevice(source.name, source.id, reason))
            continue
        seen.add(source.id)
        old = configured.get(source.id)
        if source.sub:
            if old is None:
                children.append(source)  # once every gateway is known
            else:
                updated[old.id] = old  # its key is its gateway's: nothing to refresh
            continue
        key = _local_key(source, notes)
        if old is not None:
            updated[old.id] = _refreshed(old, key, origin, notes)
            continue
        name = names.allocate(source.name, source.product_name, device_id=source.id)
        host, public_host = _host(source.hosts)
        if public_host:
            public.append(name)
        inference = infer_device(source.category, source.mapping, source.product_id)
        unmapped += inference.type == AUTO and not source.mapping
        notes.extend(f"{name}: {note}" for note in inference.notes)
        new.append(
            DeviceConfig(
                id=source.id,
                name=name,
                type=inference.type,
                local_key=None if key is None else Secret(key),
                host=host,
                version=_version(name, source.version, notes),
                dps=inference.dps,
            )
        )
    devices = [*(updated.get(d.id, d) for d in existing), *new]
    added, unmapped_children = _attach_children(
        children, devices, names, origin=origin, skipped=skipped, notes=notes
    )
    unmapped += unmapped_children
    kept = [device.name for device in existing if device.id not in seen]
    if kept:
        notes.append(f"kept {len(kept)} configured device(s) {origin} does not list: {_list(kept)}")
    if public:
        notes.append(
            f"{_list(public)}: the address {origin} gives is public (where the device reaches "
            "the cloud from, not its LAN address): left out, setsmart learns it from broadcasts"
        )
    if unmapped:
        notes.append(
            f"{unmapped} device(s) came without a DP mapping: type auto (detected from the "
            "DPs they report)"
        )
    imported = len(new) + added + len(updated)
    return ImportResult(tuple(devices), imported, tuple(skipped), tuple(notes))


def _attach_children(
    children: Sequence[SourceDevice],
    devices: list[DeviceConfig],
    names: NameAllocator,
    *,
    origin: str,
    skipped: list[SkippedDevice],
    notes: list[str],
) -> tuple[int, int]:
    """Write each new sub-device behind its gateway in ``devices``, or skip it with the
    reason; the numbers added and added without a DP mapping."""
    added = unmapped = 0
    for source in children:
        gateway = gateway_of(source, devices, origin)
        reason = gateway if isinstance(gateway, str) else node_id_problem(source, gateway, devices)
        if reason or isinstance(gateway, str):
            skipped.append(
                SkippedDevice(source.name, source.id, f"a Zigbee/Bluetooth sub-device: {reason}")
            )
            continue
        name = names.allocate(source.name, source.product_name, device_id=source.id)
        inference = infer_device(source.category, source.mapping, source.product_id)
        unmapped += inference.type == AUTO and not source.mapping
        notes.extend(f"{name}: {note}" for note in inference.notes)
        child = DeviceConfig(
            id=source.id,
            name=name,
            type=inference.type,
            dps=inference.dps,
            gateway=gateway.name,
            node_id=source.node_id,
        )
        insert_child(devices, child)
        added += 1
    return added, unmapped


def _skip_reason(source: SourceDevice, seen: set[str]) -> str | None:
    problem = checks.device_id(source.id)
    if problem:
        return f"its id {problem}"
    if source.id in seen:
        return "listed twice: the first entry is used"
    return None


def _local_key(source: SourceDevice, notes: list[str]) -> str | None:
    key = source.local_key
    if not key:
        return None
    problem = checks.local_key(key)
    if problem:
        label = source.name or source.id
        notes.append(f"{label}: the local key {problem}: left out (cloud only until set)")
        return None
    return key


def _refreshed(old: DeviceConfig, key: str | None, origin: str, notes: list[str]) -> DeviceConfig:
    if key is None or old.local_key == Secret(key):
        return old
    if old.local_key is not None and old.local_key.file is not None:
        notes.append(
            f"{old.name}: {origin} has another local key than {old.local_key.file} "
            "(local_key_file): the file is left as it is"
        )
        return old
    notes.append(f"{old.name}: local key {'updated' if old.local_key else 'added'} from {origin}")
    return dataclasses.replace(old, local_key=Secret(key))


def _host(candidates: Sequence[str]) -> tuple[str | None, bool]:
    """The first usable LAN address, and whether a public one was passed over."""
    public = False
    for text in candidates:
        try:
            address = ipaddress.ip_address(text.strip())
        except ValueError:
            continue
        if address.is_unspecified or address.is_multicast:
            continue
        if address.is_global:
            public = True
            continue
        return str(address), False
    return None, public


def _version(name: str, raw: object, notes: list[str]) -> str | None:
    """``"3.3"`` from ``"3.3"``, ``3.3`` or ``"3.30"``; ``None`` when unknown (0, "", null)."""
    if raw is None or (raw in ("", 0) and not isinstance(raw, bool)):
        return None
    if isinstance(raw, int | float | str) and not isinstance(raw, bool):
        try:
            text = f"{float(raw):.1f}"
        except ValueError:
            text = ""
        if text in PROTOCOL_VERSIONS:
            return text
    notes.append(f"{name}: protocol version {raw!r} is not one setsmart knows: left out (probed)")
    return None


def _list(names: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
