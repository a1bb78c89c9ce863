"""Beacons and the 3.5 REQ_DEVINFO answer, decoded by setsmart.protocol on a UDP socket."""

from __future__ import annotations

import struct

import pytest

from setsmart.protocol import (
    VERSIONS,
    Beacon,
    Command,
    Version,
    decode_datagram,
    encode_beacon,
    encode_devinfo_request,
)
from setsmart.sim import LoopbackOnlyError, SimDevice, SimFleet, beacon_info
from tests.sim.conftest import DEVICE_ID, LOCAL_KEY, UdpCatcher

BEACON_CMD = {"3.1": Command.UDP, "3.2": Command.UDP_NEW, "3.3": Command.UDP_NEW}


@pytest.mark.parametrize("version", ["3.1", "3.2", "3.3", "3.4"])
async def test_beacons_in_the_format_of_each_version(version: Version, udp: UdpCatcher) -> None:
    host = "127.0.0.51"
    async with SimDevice(
        DEVICE_ID,
        LOCAL_KEY,
        version,
        "plug",
        host=host,
        beacon_target=udp.address,
        beacon_interval=0.1,
    ):
        data, source = await udp.receive()
        again, _ = await udp.receive()  # it keeps beaconing
    beacon = decode_datagram(data)
    assert isinstance(beacon, Beacon)
    assert (beacon.device_id, beacon.ip, beacon.version) == (DEVICE_ID, host, version)
    assert beacon.product_key == "simplugmeter0017"
    assert source[0] == host  # sent from the device's own address
    cmd = struct.unpack_from(">I", data, 8)[0]
    assert cmd == BEACON_CMD.get(version, Command.UDP_NEW)
    assert (b'"gwId"' in data) == (version == "3.1")  # only 3.1 beacons are plain JSON
    assert beacon.raw == beacon_info(DEVICE_ID, host, version, "simplugmeter0017")
    assert decode_datagram(again) == beacon


async def test_a_35_device_stays_silent_until_asked(udp: UdpCatcher) -> None:
    async with SimDevice(
        DEVICE_ID, LOCAL_KEY, "3.5", host="127.0.0.52", beacon_target=udp.address,
        beacon_interval=0.05,
    ):  # fmt: skip
        assert await udp.receive_all(0.3) == []


async def test_beaconing_can_be_turned_on_and_off_at_run_time(udp: UdpCatcher) -> None:
    async with SimDevice(DEVICE_ID, LOCAL_KEY, "3.3", host="127.0.0.53") as dev:
        assert await udp.receive_all(0.2) == []
        dev.beacon_target = udp.address
        dev.beacon_interval = 0.05
        assert len(await udp.receive_all(0.3)) >= 2
        dev.beacon_interval = None
        await udp.receive_all(0.06)  # one may have been in flight
        assert await udp.receive_all(0.2) == []


@pytest.mark.parametrize(
    "target",
    [
        ("255.255.255.255", 6667),
        ("192.168.1.255", 6667),
        ("10.0.0.7", 6667),
        ("127.0.0.255", 6667),
        ("::1", 6667),
        ("localhost", 6667),
        ("127.0.0.1", 0),
    ],
)
def test_beacon_targets_outside_loopback_are_refused(target: tuple[str, int]) -> None:
    with pytest.raises(LoopbackOnlyError):
        SimDevice(DEVICE_ID, LOCAL_KEY, "3.3", beacon_target=target, beacon_interval=1)
    dev = SimDevice(DEVICE_ID, LOCAL_KEY, "3.3")
    with pytest.raises(ValueError, match=r"loopback|IPv4|port"):
        dev.beacon_target = target
    with pytest.raises(ValueError, match=r"loopback|IPv4|port"):
        dev.send_discovery(target)


def test_devices_only_live_on_loopback() -> None:
    with pytest.raises(LoopbackOnlyError, match=r"10\.1\.2\.3"):
        SimDevice(DEVICE_ID, LOCAL_KEY, "3.3", host="10.1.2.3")
    with pytest.raises(LoopbackOnlyError):
        SimFleet(devinfo_address=("0.0.0.0", 7000))


@pytest.mark.parametrize("version", VERSIONS)
def test_beacon_json_has_the_fields_of_the_captures(version: Version) -> None:
    info = beacon_info(DEVICE_ID, "127.0.0.9", version, "simplugmeter0017")
    common = {
        "ip": "127.0.0.9",
        "gwId": DEVICE_ID,
        "active": 2,
        "mode": 0,
        "encrypt": True,
        "productKey": "simplugmeter0017",
        "version": version,
    }
    spelling = {"ability": 0} if version == "3.1" else {"ablilty": 0}  # as the firmware has it
    newer = {"token": True, "wf_cfg": True} if version in ("3.4", "3.5") else {}
    assert info == common | spelling | newer


async def fleet_with_35_devices() -> SimFleet:
    fleet = SimFleet(devinfo_address=("127.0.0.1", 0))
    fleet.add("bf35aaaaaaaaaaaaaaa1", LOCAL_KEY, "3.5", "plug")
    fleet.add("bf35aaaaaaaaaaaaaaa2", LOCAL_KEY, "3.5", "bulb")
    fleet.add("bf33aaaaaaaaaaaaaaa3", LOCAL_KEY, "3.3", "plug")
    await fleet.start()
    return fleet


async def test_the_responder_answers_req_devinfo_for_35_devices(udp: UdpCatcher) -> None:
    fleet = await fleet_with_35_devices()
    try:
        assert fleet.devinfo_address is not None
        udp.sock.sendto(encode_devinfo_request("127.0.0.1"), fleet.devinfo_address)
        got = await udp.receive_all(0.4)
    finally:
        await fleet.stop()
    beacons = {}
    for data, source in got:
        beacon = decode_datagram(data)
        assert isinstance(beacon, Beacon)
        assert beacon.ip == source[0]  # unicast from the device's own address
        beacons[beacon.device_id] = beacon
    assert set(beacons) == {"bf35aaaaaaaaaaaaaaa1", "bf35aaaaaaaaaaaaaaa2"}
    assert {b.version for b in beacons.values()} == {"3.5"}
    assert beacons["bf35aaaaaaaaaaaaaaa1"].ip == fleet["bf35aaaaaaaaaaaaaaa1"].host
    assert all(data.startswith(b"\x00\x00\x66\x99") for data, _ in got)


async def test_the_responder_ignores_everything_else(udp: UdpCatcher) -> None:
    fleet = await fleet_with_35_devices()
    try:
        address = fleet.devinfo_address
        assert address is not None
        other = fleet["bf33aaaaaaaaaaaaaaa3"]
        for junk in (
            b"hello",
            encode_beacon(other.beacon_info(), "3.5"),  # another device's answer
            encode_beacon({"from": "app", "ip": "127.0.0.1"}, "3.3"),  # not a 6699 0x25 frame
            encode_devinfo_request("192.168.1.20"),  # answering would leave loopback
        ):
            udp.sock.sendto(junk, address)
        assert await udp.receive_all(0.3) == []
        assert fleet.responder is not None
        assert (fleet.responder.requests, fleet.responder.ignored) == (0, 4)
    finally:
        await fleet.stop()
