"""One connection to a simulated device over real TCP, for every protocol version."""

from __future__ import annotations

import asyncio

import pytest

from setsmart.lan.connection import Connection, Target
from setsmart.lan.errors import (
    ConnectFailed,
    ConnectionLost,
    LanError,
    ReplyTimeout,
    VersionMismatch,
    WrongLocalKey,
)
from setsmart.protocol import VERSIONS, Command, DeviceSession, Dps, Request, Version
from setsmart.sim import SimDevice
from setsmart.sim.device import REPLY_SHAPES, ReplyShape
from tests.lan.helpers import KEY, WRONG_KEY, new_id, target_for, wait_until

pytestmark = pytest.mark.timeout(30)


async def heartbeat(conn: Connection) -> None:
    """A heartbeat, answered by the device."""
    answered: asyncio.Future[LanError | None] = asyncio.get_running_loop().create_future()
    conn.start_heartbeat(answered.set_result)
    assert await answered is None


@pytest.mark.parametrize("version", VERSIONS)
async def test_query_control_and_push(version: Version) -> None:
    pushed: list[Dps] = []
    async with SimDevice(new_id(), KEY, version, "plug", host="127.0.0.2") as device:
        conn = await Connection.open(target_for(device), time_limit=2.0, on_dps=pushed.append)
        try:
            dps = await conn.query()
            assert dps["1"] == device.dps["1"]
            assert "19" in dps  # the plug meters power

            await conn.control({"1": not dps["1"]})
            assert device.dps["1"] is (not dps["1"])
            # Real devices ack the control, then push the change as STATUS.
            await wait_until(lambda: any(p.get("1") is (not dps["1"]) for p in pushed))

            await heartbeat(conn)

            await device.set_dps({"1": bool(dps["1"])})  # a button press
            await wait_until(lambda: pushed[-1].get("1") is bool(dps["1"]))
        finally:
            conn.close()


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("shape", REPLY_SHAPES)
async def test_dps_in_a_control_reply_are_reported(version: Version, shape: ReplyShape) -> None:
    reported: list[Dps] = []
    async with SimDevice(
        new_id(), KEY, version, "strip", host="127.0.0.2", reply_shape=shape
    ) as device:
        conn = await Connection.open(target_for(device), time_limit=2.0, on_dps=reported.append)
        try:
            await conn.query()
            assert reported == []  # a query's answer goes to its caller only
            await conn.control({"1": True, "2": False})
            await wait_until(
                lambda: (
                    {k: v for p in reported for k, v in p.items()}
                    == {
                        "1": True,
                        "2": False,
                    }
                )
            )
            await heartbeat(conn)
        finally:
            conn.close()
    # Each DP reported once: by the reply, the push, or each its share of them.
    assert sorted(k for p in reported for k in p) == ["1", "2"]


@pytest.mark.parametrize("version", ["3.2", "3.3", "3.4"])
async def test_device22_switches_query_by_itself(version: Version) -> None:
    async with SimDevice(new_id(), KEY, version, "plug", device22=True) as device:
        conn = await Connection.open(target_for(device), time_limit=2.0, dps_to_query=("1", "19"))
        try:
            dps = await conn.query()
        finally:
            conn.close()
    assert conn.session.device22
    assert dps["1"] == device.dps["1"]


@pytest.mark.parametrize("version", ["3.4", "3.5"])
async def test_wrong_key_fails_the_handshake_readably(version: Version) -> None:
    async with SimDevice(new_id(), KEY, version) as device:
        with pytest.raises(WrongLocalKey) as caught:
            await Connection.open(target_for(device, key=WRONG_KEY), time_limit=2.0)
    message = str(caught.value)
    assert message.startswith("test_plug: ")
    assert "wrong local key" in message
    assert WRONG_KEY not in message
    assert KEY not in message


@pytest.mark.parametrize("version", ["3.2", "3.3"])
async def test_wrong_key_on_old_versions_times_out_with_a_hint(version: Version) -> None:
    async with SimDevice(new_id(), KEY, version) as device:
        conn = await Connection.open(target_for(device, key=WRONG_KEY), time_limit=0.5)
        try:
            with pytest.raises(ReplyTimeout) as caught:
                await conn.query()
        finally:
            conn.close()
    assert "probable wrong local key" in str(caught.value)
    assert WRONG_KEY not in str(caught.value)


async def test_wrong_key_on_31_shows_on_controls() -> None:
    async with SimDevice(new_id(), KEY, "3.1") as device:
        conn = await Connection.open(target_for(device, key=WRONG_KEY), time_limit=0.5)
        try:
            assert "1" in await conn.query()  # 3.1 queries travel in clear
            with pytest.raises(ReplyTimeout, match="signed with a wrong local key"):
                await conn.control({"1": False})
        finally:
            conn.close()


async def test_a_device_that_goes_silent_mid_handshake() -> None:
    async with SimDevice(new_id(), KEY, "3.4") as device:
        device.dark = True
        with pytest.raises(ConnectFailed, match=r"test_plug: handshake .* timed out after 0.3 s"):
            await Connection.open(target_for(device), time_limit=0.3)


async def test_a_device_that_refuses_connections() -> None:
    async with SimDevice(new_id(), KEY, "3.3") as device:
        device.refuse = True
        with pytest.raises(
            ConnectFailed, match=r"test_plug: cannot connect to 127\.0\.0\.1:[0-9]+: "
        ):
            await Connection.open(target_for(device), time_limit=1.0)


async def test_wrong_version_is_named() -> None:
    async with SimDevice(new_id(), KEY, "3.5") as device:
        with pytest.raises((VersionMismatch, WrongLocalKey, ConnectFailed)) as caught:
            await Connection.open(target_for(device, version="3.4"), time_limit=1.0)
    assert "protocol version" in str(caught.value)


@pytest.mark.parametrize("version", VERSIONS)
async def test_corrupt_and_garbage_frames_are_survived(version: Version) -> None:
    faults: list[str] = []
    async with SimDevice(new_id(), KEY, version) as device:
        conn = await Connection.open(
            target_for(device), time_limit=1.0, on_fault=lambda e: faults.append(str(e))
        )
        try:
            await conn.query()
            device.garbage_next()
            assert (await conn.query())["1"] == device.dps["1"]
            device.corrupt_next(1)
            with pytest.raises(ReplyTimeout):
                await conn.query()  # its reply was the corrupted frame
            assert (await conn.query())["1"] == device.dps["1"]  # and the session lives on
        finally:
            conn.close()
    assert faults, "the corrupt frame is reported"
    assert all(f.startswith("test_plug: ") for f in faults)


async def test_another_client_taking_the_connection_is_named() -> None:
    async with SimDevice(new_id(), KEY, "3.3") as device:
        first = await Connection.open(target_for(device), time_limit=1.0)
        second = await Connection.open(target_for(device), time_limit=1.0)
        try:
            async with asyncio.timeout(2):
                lost = await first.closed
        finally:
            first.close()
            second.close()
    assert isinstance(lost, ConnectionLost)
    assert "another client" in str(lost)


class _Wire:
    """A transport that keeps what the connection writes."""

    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def close(self) -> None:
        pass


async def test_a_control_started_by_an_answer_waits_for_its_own() -> None:
    # The device's answer to a control and its push of the new state arrive in one read.
    # A control the answer's callback starts at once must not be completed by that push,
    # which carries its predecessor's DP.
    device = DeviceSession("bf0123456789abcdef00", KEY.encode(), "3.3")
    conn = Connection(Target("plug", device.device_id, KEY.encode(), "3.3", "127.0.0.1"))
    wire = _Wire()
    conn.connection_made(wire)  # type: ignore[arg-type]
    answers: list[LanError | None] = []

    def first_answered(error: LanError | None) -> None:
        answers.append(error)
        conn.start_control({"1": False}, answers.append)

    conn.start_control({"1": True}, first_answered)
    (request,) = device.receive_data(wire.written[0])
    assert isinstance(request, Request)
    ack = device.reply(request.seqno, request.cmd, None)
    push = device.status(device.next_seqno(), Command.STATUS, {"1": True})
    conn.data_received(ack + push)
    assert answers == [None]  # the first is answered; the second was sent, and waits
    assert len(wire.written) == 2
    (second,) = device.receive_data(wire.written[1])
    assert isinstance(second, Request)
    conn.data_received(device.reply(second.seqno, second.cmd, None))
    assert answers == [None, None]
    conn.close()


async def test_a_status_answer_is_reported_before_the_push_read_after_it() -> None:
    # The device answers a status query, then a button is pressed: both arrive in one
    # read. The answer (older) must be reported first, so the push (newer) is what stays.
    device = DeviceSession("bf0123456789abcdef02", KEY.encode(), "3.3")
    reported: list[tuple[str, Dps]] = []
    conn = Connection(
        Target("plug", device.device_id, KEY.encode(), "3.3", "127.0.0.1"),
        on_dps=lambda dps: reported.append(("push", dps)),
        on_status=lambda dps: reported.append(("status", dps)),
    )
    wire = _Wire()
    conn.connection_made(wire)  # type: ignore[arg-type]
    query = asyncio.ensure_future(conn.query())
    await asyncio.sleep(0)
    (request,) = device.receive_data(wire.written[0])
    assert isinstance(request, Request)
    answer = device.status(request.seqno, request.cmd, {"1": True, "20": 2300})
    push = device.status(device.next_seqno(), Command.STATUS, {"1": False})
    conn.data_received(answer + push)
    assert reported == [("status", {"1": True, "20": 2300}), ("push", {"1": False})]
    assert await query == {"1": True, "20": 2300}  # its caller gets the answer too
    conn.close()


async def test_a_heartbeat_started_with_a_callback_is_answered_through_it() -> None:
    device = DeviceSession("bf0123456789abcdef01", KEY.encode(), "3.3")
    conn = Connection(
        Target("plug", device.device_id, KEY.encode(), "3.3", "127.0.0.1"), time_limit=0.05
    )
    wire = _Wire()
    conn.connection_made(wire)  # type: ignore[arg-type]
    answers: list[LanError | None] = []

    conn.start_heartbeat(answers.append)
    assert conn.last_sent > 0
    (request,) = device.receive_data(wire.written[0])
    assert isinstance(request, Request)
    assert request.cmd == Command.HEART_BEAT
    conn.data_received(device.reply(request.seqno, request.cmd, None))
    assert answers == [None]

    conn.start_heartbeat(answers.append)  # unanswered: its time limit tells
    await asyncio.sleep(0.1)
    assert isinstance(answers[1], ReplyTimeout)
    assert "HEART_BEAT" in str(answers[1])

    conn.start_heartbeat(answers.append)
    conn.close()  # one in flight when the connection closes
    assert isinstance(answers[2], ConnectionLost)
    assert len(answers) == 3
