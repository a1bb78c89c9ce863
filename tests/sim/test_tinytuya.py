"""tinytuya, the reference client, drives the simulator over real TCP for every version."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
import tinytuya

from setsmart.protocol import VERSIONS, Command, Version
from setsmart.sim import SimDevice
from tests.sim.conftest import DEVICE_ID, LOCAL_KEY, FakeClock

T = TypeVar("T")
HOST = "127.0.0.21"
QUERY_CMD = {
    "3.1": Command.DP_QUERY,
    "3.2": Command.CONTROL_NEW,  # tinytuya treats every 3.2 device as device22
    "3.3": Command.DP_QUERY,
    "3.4": Command.DP_QUERY_NEW,
    "3.5": Command.DP_QUERY_NEW,
}
CONTROL_CMD = {"3.1": 7, "3.2": 7, "3.3": 7, "3.4": 13, "3.5": 13}


def tuya_device(dev: SimDevice, *, persist: bool = False, timeout: float = 2.0) -> Any:
    """A tinytuya.Device aimed at the simulator (the port must be given to the constructor:
    for 3.2 it already talks to the device while being built)."""
    return tinytuya.Device(
        dev.device_id,
        dev.host,
        dev.local_key,
        version=float(dev.version),
        port=dev.port,
        persist=persist,
        connection_timeout=timeout,
        connection_retry_limit=1,
        connection_retry_delay=0.1,
    )


async def blocking(call: Callable[[], T], within: float = 15.0) -> T:
    """Run a blocking tinytuya call in a thread, bounded in time."""
    async with asyncio.timeout(within):
        return await asyncio.to_thread(call)


@pytest.mark.parametrize("persist", [False, True], ids=["per-call", "persistent"])
@pytest.mark.parametrize("version", VERSIONS)
async def test_status_and_control(version: Version, persist: bool, clock: FakeClock) -> None:
    async with SimDevice(DEVICE_ID, LOCAL_KEY, version, "plug", host=HOST, clock=clock) as dev:
        before = dev.dps

        def session() -> tuple[Any, Any, Any, Any]:
            d = tuya_device(dev, persist=persist)
            try:
                return d.status(), d.set_value(1, True), d.set_value(9, 3600), d.status()
            finally:
                d.close()

        first, switched, countdown, after = await blocking(session)

    assert first["dps"] == before
    assert before["1"] is False
    assert before["19"] == 0
    assert switched["dps"] == {"1": True}  # the STATUS push that follows the empty ack
    assert countdown["dps"] == {"9": 3600}
    assert after["dps"] == dev.dps
    assert after["dps"]["1"] is True
    assert after["dps"]["19"] > 0  # the relay is on: the meter sees the load
    assert dev.stats.requests[QUERY_CMD[version]] >= 2
    assert dev.stats.requests[CONTROL_CMD[version]] == 2


@pytest.mark.parametrize("version", VERSIONS)
async def test_heartbeat_gets_an_empty_reply(version: Version) -> None:
    async with SimDevice(DEVICE_ID, LOCAL_KEY, version, "bulb", host=HOST) as dev:

        def beat() -> tuple[Any, Any, list[Any]]:
            d = tuya_device(dev)
            d.set_retry(False)  # return at the first (empty) frame instead of waiting for more
            return d.heartbeat(nowait=False), d.cmd_retcode, d.raw_recv

        result, retcode, frames = await blocking(beat)

    assert result is None
    assert retcode == 0  # tinytuya paired the reply with its request (cmd, and seqno < 3.5)
    assert [(m.cmd, m.payload) for m in frames] == [(Command.HEART_BEAT, b"")]
    assert dev.stats.requests[Command.HEART_BEAT] == 1


@pytest.mark.parametrize("version", VERSIONS)
async def test_updatedps_pushes_the_readings_that_changed(
    version: Version, clock: FakeClock
) -> None:
    async with SimDevice(
        DEVICE_ID, LOCAL_KEY, version, "plug", host=HOST, clock=clock, load_watts=100.0
    ) as dev:
        await dev.set_dps({"1": True})

        def refresh() -> Any:
            d = tuya_device(dev, persist=True)
            try:
                d.status()
                clock.advance(3600.0)  # an hour at 100 W
                return d.updatedps([17, 18, 19, 20])
            finally:
                d.close()

        pushed = await blocking(refresh)

    dps = pushed["dps"]
    assert set(dps) <= {"17", "18", "19", "20"}
    assert "19" in dps or "20" in dps  # power and voltage wander between samples
    assert 95 <= dps["17"] <= 105  # add_ele: Wh added since the last report
    power = dev.dps["19"]
    assert isinstance(power, int)
    assert 980 <= power <= 1020  # 100 W +- 2 %, in W x10
    assert dev.stats.requests[Command.UPDATEDPS] == 1


async def test_device22_on_protocol_32(clock: FakeClock) -> None:
    async with SimDevice(DEVICE_ID, LOCAL_KEY, "3.2", "plug", host=HOST, clock=clock) as dev:

        def query() -> tuple[Any, str]:
            d = tuya_device(dev)  # finds the DPs by querying ranges of them with cmd 13
            return d.status(), d.dev_type

        status, dev_type = await blocking(query)

    assert dev_type == "device22"
    assert status["dps"] == dev.dps
    assert dev.stats.requests[Command.DP_QUERY] == 0
    assert dev.stats.requests[Command.CONTROL_NEW] >= 2


async def test_device22_on_protocol_33_is_detected_by_tinytuya() -> None:
    async with SimDevice(DEVICE_ID, LOCAL_KEY, "3.3", "strip", host=HOST, device22=True) as dev:

        def query() -> tuple[Any, str, Any]:
            d = tuya_device(dev)
            first = d.status()  # "json obj data unvalid", then the retry with cmd 13
            return first, d.dev_type, d.set_value(3, True)

        status, dev_type, switched = await blocking(query)

    assert dev_type == "device22"
    assert status["dps"] == {"1": False}  # tinytuya asks for DP 1 only
    assert switched["dps"] == {"3": True}
    assert dev.stats.requests[Command.DP_QUERY] == 1
    assert dev.stats.requests[Command.CONTROL_NEW] == 1


async def test_a_pushed_change_reaches_a_persistent_tinytuya_client() -> None:
    async with SimDevice(DEVICE_ID, LOCAL_KEY, "3.4", "bulb", host=HOST) as dev:
        d = tuya_device(dev, persist=True)
        try:
            await blocking(d.status)
            await dev.set_dps({"22": 500})  # someone turns the dimmer knob
            pushed = await blocking(d.receive)
        finally:
            d.close()
    assert pushed["dps"] == {"22": 500}


@pytest.mark.parametrize(("version", "error"), [("3.3", "902"), ("3.4", "914"), ("3.5", "914")])
async def test_a_wrong_key_fails_tinytuya_as_real_devices_do(version: Version, error: str) -> None:
    async with SimDevice(DEVICE_ID, LOCAL_KEY, version, "plug", host=HOST) as dev:
        d = tinytuya.Device(
            dev.device_id,
            dev.host,
            "fedcba9876543210",
            version=float(version),
            port=dev.port,
            connection_timeout=0.3,
            connection_retry_limit=1,
            connection_retry_delay=0.1,
        )
        result = await blocking(d.status)
    # 3.3: the device ignores what does not decrypt, so the client times out (902);
    # 3.4/3.5: the handshake fails and the device hangs up (914, "check key or version").
    assert result["Err"] == error
    assert dev.stats.requests.total() == 0
