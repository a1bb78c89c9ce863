"""Faults set at run time, each observed by a ClientSession-based client over a real socket."""

from __future__ import annotations

import asyncio

import pytest

from setsmart.protocol import (
    ChecksumError,
    FrameError,
    Push,
    Version,
    WrongKeyError,
)
from setsmart.sim import SimDevice
from tests.sim.conftest import DEVICE_ID, LOCAL_KEY, OTHER_KEY
from tests.sim.wire import ConnectionClosedError, WireClient

HOST = "127.0.0.41"


def device(version: Version = "3.3") -> SimDevice:
    return SimDevice(DEVICE_ID, LOCAL_KEY, version, "strip", host=HOST)


async def test_delay_holds_every_reply() -> None:
    # A long delay, so that an undelayed reply on a loaded machine stays well inside it.
    delay = 1.0
    async with device("3.4") as dev, await WireClient.connect(dev) as client:
        dev.delay = delay
        loop = asyncio.get_running_loop()
        started = loop.time()
        client.send(client.session.query())
        await client.reply()
        assert loop.time() - started >= delay
        dev.delay = 0.0
        started = loop.time()
        client.send(client.session.query())
        await client.reply()
        assert loop.time() - started < delay


@pytest.mark.parametrize("version", ["3.3", "3.5"])
async def test_a_dark_device_accepts_but_never_answers(version: Version) -> None:
    async with device(version) as dev:
        dev.dark = True
        client = await WireClient.connect(dev, handshake=False)
        async with client:
            if version == "3.3":
                client.send(client.session.query())
            await client.silence(0.3)  # not even the handshake reply
            assert not await client.closed_by_device(within=0.1)
        dev.dark = False
        async with await WireClient.connect(dev) as client:
            client.send(client.session.query())
            assert (await client.reply()).dps == dev.dps


async def test_refuse_stops_listening_and_listens_again_on_the_same_port() -> None:
    async with device() as dev:
        port = dev.port
        dev.refuse = True
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection(dev.host, port)
        dev.refuse = False
        assert dev.port == port
        async with await WireClient.connect(dev) as client:
            client.send(client.session.query())
            assert (await client.reply()).dps == dev.dps


async def test_a_device_started_refusing_listens_once_refuse_is_lifted() -> None:
    dev = device()
    dev.refuse = True
    async with dev:
        assert dev.port == 0  # nothing bound, not even a free port
        dev.refuse = False
        assert dev.port != 0
        async with await WireClient.connect(dev) as client:
            client.send(client.session.heartbeat())
            await client.reply()


async def test_drop_clients_closes_the_connection_now() -> None:
    async with device("3.5") as dev, await WireClient.connect(dev) as client:
        client.send(client.session.heartbeat())
        await client.reply()
        assert dev.connected
        dropped = dev.drop_clients()
        assert await client.closed_by_device()
        assert (dropped, dev.connected, dev.drop_clients()) == (1, False, 0)


@pytest.mark.parametrize(
    ("version", "error"),
    [
        ("3.1", ChecksumError),
        ("3.3", ChecksumError),
        ("3.4", WrongKeyError),
        ("3.5", WrongKeyError),
    ],
)
async def test_corrupt_next_breaks_the_integrity_check_of_n_frames(
    version: Version, error: type[Exception]
) -> None:
    async with device(version) as dev, await WireClient.connect(dev) as client:
        dev.corrupt_next(2)
        client.send(client.session.query())
        assert isinstance((await client.fault()).error, error)
        client.send(client.session.control({"2": True}))
        assert isinstance((await client.fault()).error, error)  # the ack
        push = await client.next_event()  # the third frame is whole again
        assert isinstance(push, Push)
        assert push.dps == {"2": True}


@pytest.mark.parametrize("version", ["3.3", "3.5"])
async def test_garbage_next_sends_junk_before_the_next_frame(version: Version) -> None:
    async with device(version) as dev, await WireClient.connect(dev) as client:
        dev.garbage_next()
        client.send(client.session.query())
        junk = await client.fault()
        reply = await client.reply()  # the frame itself still arrives intact
    assert isinstance(junk.error, FrameError)
    assert reply.dps == dev.dps


async def test_change_key_drops_the_client_and_only_the_new_key_works() -> None:
    async with device("3.3") as dev:
        async with await WireClient.connect(dev) as client:
            client.send(client.session.heartbeat())
            await client.reply()
            dev.change_key(OTHER_KEY)
            assert await client.closed_by_device()
        assert dev.local_key == OTHER_KEY

        async with await WireClient.connect(dev, key=LOCAL_KEY) as stale:
            stale.send(stale.session.query())
            await stale.silence(0.3)  # a 3.3 device ignores what does not decrypt
        async with await WireClient.connect(dev, key=OTHER_KEY) as client:
            client.send(client.session.query())
            assert (await client.reply()).dps == dev.dps


async def test_change_key_on_34_fails_the_old_keys_handshake() -> None:
    async with device("3.4") as dev:
        dev.change_key(OTHER_KEY)
        stale = await WireClient.connect(dev, key=LOCAL_KEY, handshake=False)
        async with stale:
            with pytest.raises(ConnectionClosedError):
                await stale.next_event()
        async with await WireClient.connect(dev, key=OTHER_KEY) as client:
            client.send(client.session.heartbeat())
            await client.reply()
    assert dev.stats.handshake_failures == 1


def test_bad_keys_are_refused_without_showing_them() -> None:
    with pytest.raises(ValueError, match="16") as caught:
        SimDevice(DEVICE_ID, "short-key", "3.3")
    assert "short-key" not in str(caught.value)
    dev = SimDevice(DEVICE_ID, LOCAL_KEY, "3.3")
    assert LOCAL_KEY not in repr(dev)
    with pytest.raises(ValueError, match="16"):
        dev.change_key("x" * 17)
