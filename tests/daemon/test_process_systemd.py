"""`setsmart run` under a stand-in for systemd: READY only once MQTT is up, then STATUS,
WATCHDOG and STOPPING, with the broker down at start-up."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from setsmart.sim import SimDevice
from tests.daemon.harness import KEY, Dev, config_text
from tests.support.broker import Broker

pytestmark = pytest.mark.timeout(60)


class NotifySocket:
    """The datagram socket systemd would listen on; collects what the service says."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.setblocking(False)
        self.messages: list[str] = []

    def drain(self) -> list[str]:
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return self.messages

    async def wait_for(self, field: str, within: float = 15.0) -> str:
        async with asyncio.timeout(within):
            while True:
                for message in self.drain():
                    if field in message.split("\n"):
                        return message
                await asyncio.sleep(0.05)

    def said(self, field: str) -> bool:
        return any(field in message.split("\n") for message in self.drain())


async def test_ready_waits_for_the_broker_then_status_watchdog_and_stopping(tmp_path: Path) -> None:
    notify = NotifySocket(tmp_path / "notify")
    broker = Broker(tmp_path)  # not started yet: the broker is down at start-up
    async with SimDevice("bfsysd00000000000001", KEY, "3.3", "plug", host="127.0.0.71") as plug:
        config = tmp_path / "config.yaml"
        config.write_text(config_text(broker, [Dev("plug", plug)]))
        env = {
            **os.environ,
            "SETSMART_STATE_DIR": str(tmp_path / "state"),
            "NOTIFY_SOCKET": str(notify.path),
            "WATCHDOG_USEC": "1000000",
        }
        daemon = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "setsmart",
            "run",
            "-c",
            str(config),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        try:
            await notify.wait_for("WATCHDOG=1")  # the loop is alive...
            await asyncio.sleep(1.5)
            assert not notify.said("READY=1"), "...but not ready while the broker is down"
            await broker.start()
            ready = await notify.wait_for("READY=1", within=40)
            assert any(line.startswith("STATUS=") for line in ready.split("\n"))
            status = await notify.wait_for("STATUS=1/1 devices online")
            assert status
            daemon.send_signal(signal.SIGTERM)
            await notify.wait_for("STOPPING=1")
            async with asyncio.timeout(15):
                assert await daemon.wait() == 0
        finally:
            if daemon.returncode is None:
                daemon.kill()
                await daemon.wait()
            await broker.stop()
            notify.sock.close()
