"""The CLI's path to a device: through the running daemon when one answers, else direct.

A device often accepts one local connection and the daemon holds it: never fight the
daemon for it.
"""

from __future__ import annotations

from setsmart.config import Config, DeviceConfig
from setsmart.daemon.direct import apply_set, read_state
from setsmart.mqtt.remote import find_daemon
from setsmart.mqtt.topics import Topics


def _time_limit(config: Config) -> float:
    """How long the daemon may take over a command: up to `lan.timeout` waiting for a
    session that is reconnecting, then as long again for the device's answer."""
    return 2 * config.lan.timeout


async def device_status(config: Config, device: DeviceConfig) -> dict[str, object]:
    async with find_daemon(config.mqtt, Topics.from_config(config), _time_limit(config)) as remote:
        if remote is not None:
            return await remote.state(device.name)
    return await read_state(config, device)


async def device_set(config: Config, device: DeviceConfig, payload: object) -> dict[str, object]:
    async with find_daemon(config.mqtt, Topics.from_config(config), _time_limit(config)) as remote:
        if remote is not None:
            return await remote.set(device.name, payload)
    return await apply_set(config, device, payload)
