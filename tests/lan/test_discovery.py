"""Discovery over real UDP sockets on loopback: beacons, garbage, app requests, 3.5 probe."""

from __future__ import annotations

import asyncio
import socket

import pytest

from setsmart.lan.discovery import DiscoveryListener, Sighting
from setsmart.lan.scan import scan
from setsmart.protocol import Version, encode_devinfo_request
from setsmart.sim import DevInfoResponder, SimDevice
from tests.lan.helpers import KEY, new_id, wait_until

pytestmark = pytest.mark.timeout(30)


def free_udp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("version", ["3.1", "3.3", "3.4"])
async def test_beacons_are_heard(version: Version) -> None:
    seen: list[Sighting] = []
    port = free_udp_port()
    listener = DiscoveryListener(bind="127.0.0.1", ports=[port], on_sighting=seen.append)
    await listener.start()
    try:
        async with SimDevice(
            new_id(),
            KEY,
            version,
            host="127.0.0.5",
            beacon_target=("127.0.0.1", port),
            beacon_interval=0.1,
        ) as device:
            await wait_until(lambda: bool(seen))
    finally:
        listener.close()
    assert seen[0].beacon.device_id == device.device_id
    assert seen[0].beacon.ip == device.beacon_info()["ip"]
    assert seen[0].beacon.version == version


async def test_garbage_is_reported_once_and_app_requests_ignored() -> None:
    seen: list[Sighting] = []
    errors: list[str] = []
    port = free_udp_port()
    listener = DiscoveryListener(
        bind="127.0.0.1", ports=[port], on_sighting=seen.append, on_error=errors.append
    )
    await listener.start()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for _ in range(5):
                sock.sendto(b"\x00garbage" * 10, ("127.0.0.1", port))
            sock.sendto(encode_devinfo_request("127.0.0.9"), ("127.0.0.1", port))
        await wait_until(lambda: bool(errors))
        await asyncio.sleep(0.1)
    finally:
        listener.close()
    assert len(errors) == 1
    assert "ignored a datagram from 127.0.0.1" in errors[0]
    assert seen == []


async def test_probe_finds_a_silent_35_device() -> None:
    # As on a LAN, we and the device each own the port on our own address: the probe goes
    # from our port P to the device's P, and the answer comes back to ours.
    device = SimDevice(new_id(), KEY, "3.5", host="127.0.0.6")
    responder = DevInfoResponder(lambda: [device])
    async with device:
        port = (await responder.start("127.0.0.7", 0))[1]
        try:
            found = await scan(
                bind="127.0.0.1",
                ports=[port],
                probe="127.0.0.7",
                duration=3.0,
                until=lambda s: s.beacon.device_id == device.device_id,
            )
        finally:
            responder.stop()
    assert [s.beacon.device_id for s in found] == [device.device_id]
    assert found[0].beacon.version == "3.5"
