"""A real mosquitto broker for tests, on a free loopback port, with no persistence."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from setsmart.mqtt.bridge import MqttBridge

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_tcp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class Broker:
    """`await start()`, `await stop()` (a broker restart keeps the port)."""

    workdir: Path
    host: str = "127.0.0.1"
    port: int = field(default_factory=free_tcp_port)
    process: asyncio.subprocess.Process | None = None
    access: str = "allow_anonymous true\n"  # the listener's authentication lines

    async def start(self) -> None:
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} {self.host}\n{self.access}persistence false\nlog_dest none\n"
        )
        self.process = await asyncio.create_subprocess_exec(
            MOSQUITTO,
            "-c",
            str(conf),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        async with asyncio.timeout(10):
            while True:
                with contextlib.suppress(OSError):
                    _, writer = await asyncio.open_connection(self.host, self.port)
                    writer.close()
                    await writer.wait_closed()
                    return
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            async with asyncio.timeout(5):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()


@contextlib.asynccontextmanager
async def running_broker(workdir: Path) -> AsyncIterator[Broker]:
    broker = Broker(workdir)
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


async def restart_and_reconnect(broker: Broker, bridge: MqttBridge, within: float = 30.0) -> None:
    """Restart the broker (no persistence: every retained message is gone) and wait until
    `bridge` is connected to it again."""
    connections = bridge.connections
    await broker.stop()
    await broker.start()
    async with asyncio.timeout(within):
        while bridge.connections == connections or not bridge.connected.is_set():  # noqa: ASYNC110 (a reconnect the test cannot hook)
            await asyncio.sleep(0.05)
