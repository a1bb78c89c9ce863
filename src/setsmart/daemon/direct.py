"""One-shot operations straight over the LAN, for the CLI when no daemon answers.

Each call opens its own connection and closes it: a device often takes one connection
only, so the CLI uses this path only when no daemon holds the session. A sub-device is
reached through a connection to its gateway, by its node_id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from setsmart.config import Config, DeviceConfig
from setsmart.devices import DeviceProfile, device_state, parse_set, profile_for
from setsmart.errors import EXIT_USAGE
from setsmart.lan.connection import Connection, Target, dps_to_query
from setsmart.lan.errors import ConnectFailed, DeviceRefused, LanError
from setsmart.lan.gateway import child_label
from setsmart.lan.probe import probe_version
from setsmart.lan.scan import scan
from setsmart.protocol import Dps, DpValue
from setsmart.protocol.constants import as_version


class DeviceNotFound(LanError):
    """The named device is not in the configuration."""

    exit_code = EXIT_USAGE


def find_device(config: Config, name_or_id: str) -> DeviceConfig:
    for device in config.devices:
        if name_or_id in (device.name, device.id):
            return device
    known = ", ".join(d.name for d in config.devices) or "none configured"
    raise DeviceNotFound(name_or_id, f"no such device in the configuration (known: {known})")


async def locate(config: Config, device: DeviceConfig) -> Target:
    """The device's address and version: from the config, else its beacon, else a probe."""
    if device.local_key is None:
        raise ConnectFailed(device.name, "no local_key configured: this device is cloud-only")
    host, version = device.host, as_version(device.version)
    if host is None or version is None:
        lan = config.lan
        sightings = await scan(
            bind=lan.bind,
            ports=lan.discovery_ports,
            probe=lan.probe,
            duration=max(lan.timeout, 6.0),
            until=lambda s: s.beacon.device_id == device.id,
        )
        for sighting in sightings:
            if sighting.beacon.device_id == device.id:
                host = host or sighting.beacon.ip
                version = version or as_version(sighting.beacon.version)
    if host is None:
        raise ConnectFailed(
            device.name, "no host configured and no broadcast heard from the device"
        )
    target = Target(
        device.name,
        device.id,
        device.local_key.reveal().encode(),
        version or "3.3",
        host,
        device.port,
    )
    if version is None:
        version = await probe_version(target, time_limit=config.lan.timeout)
        target = Target(target.name, target.device_id, target.local_key, version, host, device.port)
    return target


@dataclass(frozen=True, slots=True)
class _Reach:
    """An open connection to the device, or to its gateway for a sub-device (`cid`)."""

    conn: Connection
    cid: str | None

    async def query(self) -> Dps:
        if self.cid is None:
            return await self.conn.query()
        return await self.conn.child_query(self.cid)

    async def control(self, dps: Mapping[str, DpValue]) -> None:
        if self.cid is None:
            await self.conn.control(dps)
        else:
            await self.conn.child_control(self.cid, dps)


async def _reach(config: Config, device: DeviceConfig) -> _Reach:
    if device.gateway is None:
        target = await locate(config, device)
        conn = await Connection.open(
            target, time_limit=config.lan.timeout, dps_to_query=dps_to_query(device.dp_ids)
        )
        return _Reach(conn, None)
    # The loader has checked that the gateway is configured and node_id given with it.
    gateway = next(d for d in config.devices if d.name == device.gateway)
    assert device.node_id is not None  # noqa: S101 (config/gateways.py pairs the two)
    target = await locate(config, gateway)
    conn = await Connection.open(target, time_limit=config.lan.timeout, on_child=_ignore)
    return _Reach(conn, device.node_id)


def _ignore(cid: str, dps: Dps) -> None:
    """Another sub-device's push, on the gateway's connection: not asked for."""


async def read_state(config: Config, device: DeviceConfig) -> dict[str, object]:
    """The device's state document, as the daemon would publish it."""
    reach = await _reach(config, device)
    try:
        dps = await reach.query()
    except LanError as exc:
        raise _named(device, exc) from None
    finally:
        reach.conn.close()
    return _state(device, dps)


async def apply_set(config: Config, device: DeviceConfig, payload: object) -> dict[str, object]:
    """Carry out a `/set` payload and return the state afterwards."""
    reach = await _reach(config, device)
    try:
        current = await reach.query()
        command = parse_set(_profile(device, current), payload, current)
        await reach.control(command.dps)
        if command.restore_after is not None:
            delay, restore = command.restore_after
            await asyncio.sleep(delay)
            await reach.control(restore)
        after = await reach.query()
    except LanError as exc:
        raise _named(device, exc) from None
    finally:
        reach.conn.close()
    return _state(device, {**current, **after})


def _named(device: DeviceConfig, error: LanError) -> LanError:
    """A sub-device's error names it and its gateway (the connection names the gateway)."""
    if device.gateway is None:
        return error
    cause = error.cause
    if isinstance(error, DeviceRefused) and "data unvalid" in cause:
        cause = f"{cause}: the gateway does not know node_id {device.node_id!r}"
    return type(error)(child_label(device.name, device.gateway), cause)


def _profile(device: DeviceConfig, dps: Mapping[str, object]) -> DeviceProfile:
    return profile_for(device.type, device.dps, dps)


def _state(device: DeviceConfig, dps: Dps) -> dict[str, object]:
    return device_state(
        _profile(device, dps), dps, energy_kwh=None, source="lan", last_seen=datetime.now(UTC)
    )
