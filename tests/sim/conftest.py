"""Shared fixtures: a clock tests drive, and a UDP socket to catch discovery datagrams."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

DEVICE_ID = "bf0123456789abcdef01"
LOCAL_KEY = "0123456789abc;>f"  # real keys hold punctuation too
OTHER_KEY = "fedcba9876543210"


class FakeClock:
    """Seconds that only move when a test says so (drives the energy meter)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class UdpCatcher:
    """A non-blocking UDP socket on loopback that tests read datagrams from."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sock.bind((host, 0))

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.sock.getsockname()
        return str(host), int(port)

    async def receive(self, within: float = 2.0) -> tuple[bytes, tuple[str, int]]:
        # Not loop.sock_recvfrom: uvloop, the daemon's loop, does not have it.
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(within):
            while True:
                try:
                    data, (host, port) = self.sock.recvfrom(4096)
                except BlockingIOError:
                    readable: asyncio.Future[None] = loop.create_future()
                    loop.add_reader(self.sock, _settle, readable)
                    try:
                        await readable
                    finally:
                        loop.remove_reader(self.sock)
                else:
                    return data, (str(host), int(port))

    async def receive_all(self, seconds: float) -> list[tuple[bytes, tuple[str, int]]]:
        """Every datagram arriving within `seconds`."""
        got: list[tuple[bytes, tuple[str, int]]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (left := deadline - loop.time()) > 0:
            try:
                got.append(await self.receive(left))
            except TimeoutError:
                break
        return got


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


@pytest.fixture
def udp() -> Iterator[UdpCatcher]:
    catcher = UdpCatcher()
    yield catcher
    catcher.sock.close()
