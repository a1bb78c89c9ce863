"""A sleeping sensor: asleep (connection refused), then awake a moment every few seconds,
announcing itself, measuring and pushing its readings, then asleep again."""

from __future__ import annotations

import asyncio
import random

import pytest

from setsmart.protocol import Beacon, Dps, Push, decode_datagram
from setsmart.sim import SimConfigError, SimDevice
from setsmart.sim.motion import wake_readings
from tests.sim.conftest import DEVICE_ID, LOCAL_KEY, UdpCatcher
from tests.sim.wire import WireClient

pytestmark = pytest.mark.timeout(20)


def test_every_wake_reports_a_new_temperature_within_range_and_a_draining_battery() -> None:
    rng = random.Random(7)
    dps: Dps = {"1": 299, "2": 48, "3": "high", "4": 52}
    for wake in range(1, 41):
        readings = wake_readings(dps, wake, rng)
        temperature, humidity = readings["1"], readings["2"]
        assert isinstance(temperature, int)
        assert isinstance(humidity, int)
        assert temperature != dps["1"]
        assert 150 <= temperature <= 300
        assert 20 <= humidity <= 80
        dps.update(readings)
    assert (dps["4"], dps["3"]) == (48, "middle")  # a point every tenth wake


async def test_a_sleeper_listens_and_announces_itself_only_while_awake(udp: UdpCatcher) -> None:
    also = UdpCatcher()
    sleeper = SimDevice(
        DEVICE_ID,
        LOCAL_KEY,
        "3.3",
        "sensor",
        host="127.0.0.61",
        beacon_target=udp.address,
        wake_every=0.8,
        awake_for=0.5,
        wake_targets=[also.address],
    )
    try:
        async with sleeper:
            assert sleeper.port != 0  # known before its first wake
            with pytest.raises(ConnectionRefusedError):
                await asyncio.open_connection(sleeper.host, sleeper.port)
            before = sleeper.dps
            data, _ = await udp.receive()  # it wakes and says so, to both
            beacon = decode_datagram(data)
            assert isinstance(beacon, Beacon)
            assert beacon.device_id == DEVICE_ID
            assert decode_datagram((await also.receive())[0]) == beacon
            async with await WireClient.connect(sleeper) as client:
                client.send(client.session.query())
                assert (await client.reply()).dps == before
                push = await client.next_event()  # what it measured, halfway
                assert isinstance(push, Push)
                assert push.dps is not None
                assert set(push.dps) == {"1", "2", "3", "4"}
                assert push.dps["1"] != before["1"]
                assert await client.closed_by_device()  # asleep again
            assert sleeper.asleep
            with pytest.raises(ConnectionRefusedError):
                await asyncio.open_connection(sleeper.host, sleeper.port)
            await udp.receive()  # the next wake
            assert sleeper.stats.wakes == 2
    finally:
        also.sock.close()


def test_a_sleeper_must_sleep_longer_than_it_is_awake() -> None:
    with pytest.raises(SimConfigError, match="cannot stay awake 2"):
        SimDevice(DEVICE_ID, LOCAL_KEY, "3.3", "sensor", wake_every=1.0, awake_for=2.0)
