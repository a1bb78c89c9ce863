"""Running the daemon in-process against a real broker and simulated devices."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from setsmart.config import load_config
from setsmart.daemon.store import StateStore
from setsmart.daemon.supervisor import Supervisor
from setsmart.sim import SimDevice
from tests.support.broker import Broker

KEY = "0123456789abcdef"
BASE = "st"
PREFIX = "ha"


@dataclass(frozen=True)
class Dev:
    name: str
    sim: SimDevice
    type: str = "auto"
    key: str = KEY
    dps: str = ""  # a YAML flow mapping for the device's `dps:`, e.g. "{fan_direction: 8}"
    sleep: float | None = None  # the device's `sleep:`


def config_text(
    broker: Broker,
    devices: Sequence[Dev],
    *,
    extra_lan: str = "",
    discovery_port: int | None = None,
) -> str:
    """The daemon's YAML; `discovery_port`: listen for beacons there on 127.0.0.1 only."""
    discovery = (
        "  discovery: false\n"
        if discovery_port is None
        else f"  discovery: true\n  bind: 127.0.0.1\n  discovery_ports: [{discovery_port}]\n"
        "  probe: null\n"
    )
    lines = [
        f"mqtt:\n  host: {broker.host}\n  port: {broker.port}\n  base_topic: {BASE}\n",
        f"homeassistant:\n  prefix: {PREFIX}\n",
        "lan:\n"
        + discovery
        + "  heartbeat: 1\n  timeout: 1\n  poll: 0\n  energy_poll: 1\n"
        + extra_lan,
        "devices:\n",
    ]
    for dev in devices:
        sim = dev.sim
        lines.append(
            f"  - id: {sim.device_id}\n    name: {dev.name}\n    type: {dev.type}\n"
            f"    local_key: '{dev.key}'\n    host: {sim.host}\n    port: {sim.port}\n"
            f"    version: '{sim.version}'\n"
            + (f"    dps: {dev.dps}\n" if dev.dps else "")
            + (f"    sleep: {dev.sleep}\n" if dev.sleep is not None else "")
        )
    return "".join(lines)


@contextlib.asynccontextmanager
async def daemon(tmp: Path, text: str) -> AsyncIterator[Supervisor]:
    path = tmp / "config.yaml"
    path.write_text(text)
    supervisor = Supervisor(load_config(path), StateStore(tmp / "state"))
    task = asyncio.create_task(supervisor.run())
    try:
        async with asyncio.timeout(10):
            await supervisor.ready.wait()
        yield supervisor
    finally:
        supervisor.stop()
        async with asyncio.timeout(10):
            await task
