"""The simulator seen from `setsmart.protocol.ClientSession` over real sockets on 127.0.0.x."""

from __future__ import annotations

import asyncio

import pytest

from setsmart.protocol import VERSIONS, Command, DeviceError, Push, Version
from setsmart.sim import SimDevice
from tests.sim.conftest import DEVICE_ID, LOCAL_KEY, OTHER_KEY, FakeClock
from tests.sim.wire import ConnectionClosedError, WireClient

HOST = "127.0.0.31"
OLD_STYLE = ("3.1", "3.2", "3.3")


def plug(
    version: Version,
    clock: FakeClock,
    *,
    idle_timeout: float = 30.0,
    device22: bool = False,
    load_watts: float | None = None,
) -> SimDevice:
    return SimDevice(
        DEVICE_ID,
        LOCAL_KEY,
        version,
        "plug",
        host=HOST,
        clock=clock,
        idle_timeout=idle_timeout,
        device22=device22,
        load_watts=load_watts,
    )


@pytest.mark.parametrize("version", ["3.1", "3.3", "3.4", "3.5"])
async def test_query_control_and_seqnos(version: Version, clock: FakeClock) -> None:
    async with plug(version, clock) as dev, await WireClient.connect(dev) as client:
        seqno = client.send(client.session.query())
        reply = await client.reply()
        assert reply.dps == dev.dps
        if version == "3.5":
            assert reply.seqno != seqno  # 3.5 devices count on their own
        else:
            assert reply.seqno == seqno

        seqno = client.send(client.session.control({"1": True}))
        ack = await client.reply()
        push = await client.next_event()
        assert (ack.cmd, ack.retcode, ack.data) == (int(client.session.control({}).cmd), 0, None)
        assert isinstance(push, Push)
        assert push.dps == {"1": True}
        if version in OLD_STYLE:
            assert push.seqno == 0  # as captured from real 3.1-3.3 devices
        else:
            assert push.seqno > 0
        assert dev.dps["1"] is True


async def test_reply_seqnos_of_35_follow_the_device_counter(clock: FakeClock) -> None:
    async with plug("3.5", clock) as dev, await WireClient.connect(dev) as client:
        seqnos = []
        for _ in range(3):
            client.send(client.session.heartbeat())
            seqnos.append((await client.reply()).seqno)
    assert seqnos == [seqnos[0], seqnos[0] + 1, seqnos[0] + 2]


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_local_change_is_pushed(version: Version, clock: FakeClock) -> None:
    async with plug(version, clock) as dev, await WireClient.connect(dev) as client:
        client.send(client.session.heartbeat())  # the device has seen the whole handshake
        await client.reply()
        taken = await dev.set_dps({"1": True, "99": 5})
        push = await client.next_event()
    assert taken == {"1": True}  # the device has no DP 99
    assert isinstance(push, Push)
    assert push.dps == {"1": True}


async def test_writes_the_firmware_would_refuse_are_acked_but_not_applied() -> None:
    async with SimDevice(DEVICE_ID, LOCAL_KEY, "3.4", "bulb", host=HOST) as dev:
        async with await WireClient.connect(dev) as client:
            client.send(client.session.control({"22": 5, "21": "disco", "20": "yes"}))
            ack = await client.reply()
            await client.silence(0.2)
        assert ack.data is None
        assert dev.dps["22"] == 1000
        assert dev.dps["21"] == "white"


async def test_updatedps_answers_only_what_changed(clock: FakeClock) -> None:
    async with plug("3.3", clock, load_watts=60.0) as dev:
        await dev.set_dps({"1": True})
        async with await WireClient.connect(dev) as client:
            client.send(client.session.query())
            await client.reply()

            client.send(client.session.update_dps([17, 18, 19, 20]))
            ack = await client.reply()
            assert (ack.cmd, ack.data) == (Command.UPDATEDPS, None)
            await client.silence(0.2)  # nothing changed since the query

            clock.advance(600.0)  # ten minutes at 60 W: 10 Wh
            client.send(client.session.update_dps([17, 19]))
            await client.reply()
            push = await client.next_event()
            assert isinstance(push, Push)
            assert push.dps is not None
            assert set(push.dps) <= {"17", "19"}
            assert push.dps["17"] in (
                9,
                10,
            )  # add_ele: Wh added since the last report (60 W +- 2 %)

            client.send(client.session.update_dps([17]))
            await client.reply()
            await client.silence(0.2)  # reported energy is not reported twice


async def test_device22_on_32_answers_the_query_in_clear(clock: FakeClock) -> None:
    async with plug("3.2", clock) as dev:
        async with await WireClient.connect(dev, device22=False) as client:
            client.send(client.session.query())
            error = await client.next_event()
        assert isinstance(error, DeviceError)
        assert (error.cmd, error.retcode, error.data_unvalid) == (Command.DP_QUERY, 1, True)
        assert b"json obj data unvalid" in client.received  # in clear, as captured

        async with await WireClient.connect(dev) as client:  # 3.2 clients use device22
            client.session.dps_to_query = ("1", "20", "77")
            client.send(client.session.query())
            reply = await client.reply()
        assert reply.cmd == Command.CONTROL_NEW
        assert reply.dps == {"1": False, "20": dev.dps["20"]}  # the listed DPs it has


@pytest.mark.parametrize("version", ["3.3", "3.4", "3.5"])
async def test_device22_on_newer_versions_sends_the_error_encrypted(
    version: Version, clock: FakeClock
) -> None:
    async with plug(version, clock, device22=True) as dev:
        async with await WireClient.connect(dev, device22=False) as client:
            client.send(client.session.query())
            error = await client.next_event()
            assert isinstance(error, DeviceError)
            assert error.data_unvalid
            assert error.retcode == 1
            assert b"data unvalid" not in client.received
            assert client.session.device22  # the client switched, as tinytuya does
            client.send(client.session.query())
            reply = await client.reply()
        assert reply.dps == {"1": False}


async def test_unknown_commands_are_ignored(clock: FakeClock) -> None:
    async with plug("3.3", clock) as dev, await WireClient.connect(dev) as client:
        client.send_bytes(client.frame(Command.LAN_EXT_STREAM, b"{}"))
        await client.silence(0.2)
        client.send(client.session.heartbeat())
        assert (await client.reply()).cmd == Command.HEART_BEAT
    assert dev.stats.requests[Command.LAN_EXT_STREAM] == 1


async def test_the_newest_client_replaces_the_older(clock: FakeClock) -> None:
    async with plug("3.4", clock) as dev:
        async with await WireClient.connect(dev) as first, await WireClient.connect(dev) as second:
            assert await first.closed_by_device()
            second.send(second.session.query())
            assert (await second.reply()).dps == dev.dps
        assert dev.stats.connections == 2
        assert dev.stats.replaced == 1


async def test_an_idle_connection_is_dropped(clock: FakeClock) -> None:
    async with plug("3.3", clock, idle_timeout=0.3) as dev:
        async with await WireClient.connect(dev) as idle:
            assert await idle.closed_by_device(within=2.0)
        async with await WireClient.connect(dev) as busy:
            for _ in range(6):  # 0.6 s, kept alive by heartbeats every 0.1 s
                await asyncio.sleep(0.1)
                busy.send(busy.session.heartbeat())
                await busy.reply()
        assert dev.stats.idle_drops == 1


@pytest.mark.parametrize("version", ["3.2", "3.3"])
async def test_wrong_key_requests_are_ignored(version: Version, clock: FakeClock) -> None:
    async with plug(version, clock) as dev:
        async with await WireClient.connect(dev, key=OTHER_KEY) as client:
            client.send(client.session.query())
            await client.silence(0.3)  # the client times out, as with real devices
            assert not await client.closed_by_device(within=0.1)
        assert dev.stats.ignored == 1
        assert dev.stats.requests.total() == 0


async def test_wrong_key_on_31_fails_controls_but_not_plain_queries(clock: FakeClock) -> None:
    async with plug("3.1", clock) as dev, await WireClient.connect(dev, key=OTHER_KEY) as client:
        client.send(client.session.control({"1": True}))
        await client.silence(0.3)
        client.send(client.session.query())  # 3.1 queries are plain JSON: no key involved
        assert (await client.reply()).dps == dev.dps
    assert dev.dps["1"] is False
    assert dev.stats.ignored == 1


@pytest.mark.parametrize("version", ["3.4", "3.5"])
async def test_wrong_key_fails_the_handshake(version: Version, clock: FakeClock) -> None:
    async with plug(version, clock) as dev:
        client = await WireClient.connect(dev, key=OTHER_KEY, handshake=False)
        async with client:
            with pytest.raises(ConnectionClosedError):
                await client.next_event()
        assert dev.stats.handshake_failures == 1
        assert not dev.connected


async def test_a_countdown_flips_the_switch_when_it_ends(clock: FakeClock) -> None:
    async with plug("3.3", clock) as dev, await WireClient.connect(dev) as client:
        client.send(client.session.control({"9": 1}))
        await client.reply()
        assert isinstance(await client.next_event(), Push)  # {"9": 1}
        push = await client.next_event(within=2.5)
    assert isinstance(push, Push)
    assert push.dps == {"1": True, "9": 0}
    assert dev.dps["1"] is True


async def test_a_client_that_half_closes_still_gets_its_reply(clock: FakeClock) -> None:
    async with plug("3.3", clock) as dev, await WireClient.connect(dev) as client:
        client.send(client.session.query())
        client.writer.write_eof()  # "I have said all I will say"
        assert (await client.reply()).dps == dev.dps
        assert await client.closed_by_device()
