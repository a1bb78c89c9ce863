"""The persistent link: it connects, stays up, reconnects, and follows a device."""

from __future__ import annotations

import asyncio
import contextlib
import types
from collections.abc import AsyncIterator, Coroutine, Generator
from typing import Any

import pytest

from setsmart.lan import link as link_module
from setsmart.lan.errors import ConnectFailed, ConnectionLost, LanError, NotConnected, ReplyTimeout
from setsmart.lan.heartbeat import Heartbeat
from setsmart.lan.link import (
    DeviceLink,
    DpsReport,
    LinkDown,
    LinkEvent,
    LinkProblem,
    LinkSettings,
    LinkUp,
)
from setsmart.protocol import Command, Version
from setsmart.sim import SimDevice
from tests.lan.helpers import KEY, STATUS_QUERIES, new_id, set_dps, wait_until

pytestmark = pytest.mark.timeout(30)

FAST = LinkSettings(
    heartbeat=0.2, timeout=0.5, poll=0, energy_poll=0, backoff_base=0.05, backoff_cap=0.2
)


@contextlib.asynccontextmanager
async def running(link: DeviceLink) -> AsyncIterator[None]:
    """Run the link as its owner would, and make sure it leaves no task behind."""
    task = asyncio.create_task(link.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert not link.connected


def link_for(
    device: SimDevice, events: list[LinkEvent], settings: LinkSettings = FAST
) -> DeviceLink:
    return DeviceLink(
        name="hall_plug",
        device_id=device.device_id,
        local_key=KEY.encode(),
        host=device.host,
        port=device.port,
        version=device.version,
        on_event=events.append,
        settings=settings,
    )


def ups(events: list[LinkEvent]) -> int:
    return sum(isinstance(e, LinkUp) for e in events)


@types.coroutine
def counting_steps(coro: Coroutine[Any, Any, None], steps: list[int]) -> Generator[Any, Any, None]:
    """Run `coro`, counting in `steps[0]` every time the loop resumes it."""
    message: Any = None
    error: BaseException | None = None
    while True:
        try:
            yielded = coro.send(message) if error is None else coro.throw(error)
        except StopIteration:
            return
        steps[0] += 1
        try:
            message, error = (yield yielded), None
        except BaseException as exc:  # noqa: BLE001 (cancellation included: passed on)
            message, error = None, exc


async def test_a_set_without_a_connection_is_answered_in_a_later_turn() -> None:
    events: list[LinkEvent] = []
    link = DeviceLink("plug", new_id(), KEY.encode(), None, None, events.append)
    answers: list[LanError | None] = []
    link.set_dps({"1": True}, answers.append)
    assert answers == []  # not from inside the call: the caller's state is not mid-change
    await asyncio.sleep(0)
    assert len(answers) == 1
    assert isinstance(answers[0], NotConnected)
    assert "not connected" in str(answers[0])


@pytest.mark.parametrize("version", ["3.1", "3.3", "3.4", "3.5"])
async def test_link_comes_up_with_the_full_state(version: Version) -> None:
    events: list[LinkEvent] = []
    async with SimDevice(new_id(), KEY, version, "plug") as device:
        link = link_for(device, events)
        async with running(link):
            await wait_until(lambda: ups(events) == 1)
            full = [e for e in events if isinstance(e, DpsReport) and e.full]
            assert full[0].dps["1"] == device.dps["1"]
            assert await set_dps(link, {"1": not device.dps["1"]}) is None
            changed = not full[0].dps["1"]
            await wait_until(lambda: device.dps["1"] is changed)
            await wait_until(
                lambda: any(isinstance(e, DpsReport) and e.dps.get("1") is changed for e in events)
            )


async def test_heartbeats_keep_an_idle_connection_open() -> None:
    events: list[LinkEvent] = []
    async with SimDevice(new_id(), KEY, "3.3", idle_timeout=0.5) as device:
        link = link_for(device, events)
        async with running(link):
            await wait_until(lambda: ups(events) == 1)
            await asyncio.sleep(1.5)  # three idle timeouts
            assert link.connected
            assert not any(isinstance(e, LinkDown) for e in events)
            assert device.stats.connections == 1


async def test_no_heartbeat_while_commands_keep_the_connection_busy() -> None:
    events: list[LinkEvent] = []
    async with SimDevice(new_id(), KEY, "3.3", "plug") as device:
        link = link_for(device, events)  # a heartbeat after 0.2 s without a frame sent
        async with running(link):
            await wait_until(lambda: ups(events) == 1)
            for n in range(12):  # a command every 0.1 s for 1.2 s
                assert await set_dps(link, {"1": n % 2 == 0}) is None
                await asyncio.sleep(0.1)
            assert device.stats.requests.get(Command.HEART_BEAT, 0) == 0
            await asyncio.sleep(0.5)  # idle: heartbeats again
            assert device.stats.requests.get(Command.HEART_BEAT, 0) >= 1


async def test_reconnects_after_the_device_drops_the_connection() -> None:
    events: list[LinkEvent] = []
    async with SimDevice(new_id(), KEY, "3.4") as device:
        link = link_for(device, events)
        async with running(link):
            await wait_until(lambda: ups(events) == 1)
            device.drop_clients()
            await wait_until(lambda: ups(events) == 2)
    downs = [e for e in events if isinstance(e, LinkDown)]
    assert isinstance(downs[0].error, ConnectionLost)


async def test_backs_off_while_the_device_refuses_then_recovers() -> None:
    events: list[LinkEvent] = []
    async with SimDevice(new_id(), KEY, "3.3") as device:
        device.refuse = True
        link = link_for(device, events)
        async with running(link):
            await wait_until(lambda: sum(isinstance(e, LinkDown) for e in events) >= 3)
            assert all(
                isinstance(e.error, ConnectFailed) for e in events if isinstance(e, LinkDown)
            )
            device.refuse = False
            await wait_until(lambda: ups(events) == 1)


async def test_a_silent_device_is_declared_down_after_missed_heartbeats() -> None:
    events: list[LinkEvent] = []
    async with SimDevice(new_id(), KEY, "3.3") as device:
        link = link_for(device, events)
        async with running(link):
            await wait_until(lambda: ups(events) == 1)
            device.dark = True
            await wait_until(lambda: any(isinstance(e, LinkDown) for e in events))
    down = next(e for e in events if isinstance(e, LinkDown))
    assert isinstance(down.error, ReplyTimeout)
    assert "HEART_BEAT" in str(down.error)
    # heartbeat_misses=2: the first miss is a problem, the second ends the session.
    after_up = events[events.index(next(e for e in events if isinstance(e, LinkUp))) :]
    problems = [e for e in after_up[: after_up.index(down)] if isinstance(e, LinkProblem)]
    assert len(problems) == 1
    assert isinstance(problems[0].error, ReplyTimeout)


async def test_a_metering_plug_that_goes_silent_is_declared_down_despite_energy_refreshes() -> None:
    """Energy refreshes are written more often than heartbeats and get no answer of their
    own: they must neither stand in for the beats nor count as answers."""
    events: list[LinkEvent] = []
    settings = LinkSettings(
        heartbeat=0.4, timeout=0.3, poll=0, energy_poll=0.1, backoff_base=0.05, backoff_cap=0.2
    )
    async with SimDevice(new_id(), KEY, "3.3", "plug", dps={"1": True}) as device:
        link = link_for(device, events, settings)
        link.energy_dps = (18, 19, 20)
        async with running(link):
            await wait_until(lambda: ups(events) == 1)
            await asyncio.sleep(0.5)  # refreshes answered by pushes, or by nothing
            assert not any(isinstance(e, LinkDown) for e in events)
            device.dark = True  # its power is cut: the connection stays, nothing answers
            await wait_until(lambda: any(isinstance(e, LinkDown) for e in events), within=3.0)
    down = next(e for e in events if isinstance(e, LinkDown))
    assert isinstance(down.error, ReplyTimeout)
    assert "HEART_BEAT" in str(down.error)


async def test_an_idle_session_beats_without_waking_its_coroutine() -> None:
    events: list[LinkEvent] = []
    steps = [0]
    async with SimDevice(new_id(), KEY, "3.4") as device:
        link = link_for(device, events)  # no polls, no energy refreshes
        task = asyncio.create_task(counting_steps(link.run(), steps))
        try:
            await wait_until(lambda: ups(events) == 1)
            await asyncio.sleep(0.1)
            before = (steps[0], device.stats.requests.get(Command.HEART_BEAT, 0))
            await asyncio.sleep(1.0)  # about five heartbeats
            beats = device.stats.requests.get(Command.HEART_BEAT, 0) - before[1]
            assert beats >= 3
            assert steps[0] == before[0]
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_every_session_stops_its_heartbeat_when_it_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[Heartbeat] = []

    class Recorded(Heartbeat):
        def start(self) -> None:
            made.append(self)
            super().start()

    monkeypatch.setattr(link_module, "Heartbeat", Recorded)
    events: list[LinkEvent] = []
    # No beat within the test: armed all along while the session lasts.
    slow = LinkSettings(heartbeat=30, timeout=0.5, poll=0, energy_poll=0, backoff_base=0.05)
    async with SimDevice(new_id(), KEY, "3.3") as device:
        link = link_for(device, events, slow)
        async with running(link):
            await wait_until(lambda: ups(events) == 1)
            assert [h.armed for h in made] == [True]
            device.drop_clients()  # the session ends: a second one starts
            await wait_until(lambda: ups(events) == 2)
            assert [h.armed for h in made] == [False, True]
    assert [h.armed for h in made] == [False, False]  # the owner stopped the link


async def test_energy_refresh_brings_fresh_power_readings() -> None:
    events: list[LinkEvent] = []
    settings = LinkSettings(heartbeat=5, timeout=0.5, poll=0, energy_poll=0.2)
    async with SimDevice(new_id(), KEY, "3.3", "plug", dps={"1": True}) as device:
        link = link_for(device, events, settings)
        link.energy_dps = (18, 19, 20)
        async with running(link):
            await wait_until(
                lambda: any(
                    isinstance(e, DpsReport) and not e.full and "19" in e.dps for e in events
                )
            )
    assert device.stats.requests.get(18, 0) >= 1


async def test_follows_a_device_that_moves_address() -> None:
    events: list[LinkEvent] = []
    device_id = new_id()
    async with SimDevice(device_id, KEY, "3.5", host="127.0.0.3") as old:
        link = link_for(old, events)
        async with running(link):
            await wait_until(lambda: ups(events) == 1)
            await old.stop()
            await wait_until(lambda: any(isinstance(e, LinkDown) for e in events))
            async with SimDevice(device_id, KEY, "3.5", host="127.0.0.4", port=old.port) as moved:
                link.update_address(moved.host)  # as its beacon would tell
                await wait_until(lambda: ups(events) == 2)
                up = [e for e in events if isinstance(e, LinkUp)][-1]
                assert up.host == "127.0.0.4"


async def test_a_link_without_an_address_waits_until_it_is_told_one() -> None:
    events: list[LinkEvent] = []
    async with SimDevice(new_id(), KEY, "3.4", host="127.0.0.5") as device:
        link = link_for(device, events)
        link.host = None  # not heard yet
        async with running(link):
            await asyncio.sleep(0.3)
            assert events == []
            link.update_address(device.host)
            await wait_until(lambda: ups(events) == 1)


async def test_a_new_address_cuts_a_long_backoff_short() -> None:
    events: list[LinkEvent] = []
    slow = LinkSettings(heartbeat=0.2, timeout=0.5, poll=0, energy_poll=0, backoff_base=60)
    device_id = new_id()
    async with SimDevice(device_id, KEY, "3.3", host="127.0.0.6") as elsewhere:
        link = link_for(elsewhere, events, slow)
        link.host = "127.0.0.7"  # where nothing listens: a failed connect, then 30-60 s
        async with running(link):
            await wait_until(lambda: any(isinstance(e, LinkDown) for e in events))
            link.update_address(elsewhere.host)
            await wait_until(lambda: ups(events) == 1, within=3.0)


async def test_a_dozing_link_waits_for_its_wake_then_connects_at_once() -> None:
    """A sleeping device: no attempt while it dozes, whatever the backoff would allow."""
    events: list[LinkEvent] = []
    downs = 0

    def on_event(event: LinkEvent) -> None:
        nonlocal downs
        events.append(event)
        if isinstance(event, LinkDown):
            downs += 1
            link.doze()  # as the runtime does for a sleeper, before the link pauses

    async with SimDevice(new_id(), KEY, "3.3", host="127.0.0.8") as device:
        device.refuse = True  # asleep
        link = link_for(device, events)
        link.on_event = on_event
        async with running(link):
            await wait_until(lambda: downs == 1)
            await asyncio.sleep(0.5)  # FAST would have retried about five times
            assert (downs, device.stats.connections) == (1, 0)
            device.refuse = False  # it wakes, and says so
            link.wake()
            await wait_until(lambda: ups(events) == 1, within=1.0)
            assert device.stats.connections == 1


class _PressedAsItAnswers(SimDevice):
    """A plug whose button is pressed just after it answers a status query, once armed:
    the answer and the push leave back to back."""

    armed = False

    async def _answer(self, client: Any, request: Any) -> None:
        await super()._answer(client, request)
        if self.armed and request.cmd in STATUS_QUERIES:
            self.armed = False
            await self.set_dps({"1": not self.dps["1"]})


@pytest.mark.parametrize("version", ["3.3", "3.5"])
async def test_a_press_just_after_a_status_answer_is_what_the_link_reports_last(
    version: Version,
) -> None:
    events: list[LinkEvent] = []
    async with _PressedAsItAnswers(new_id(), KEY, version, "plug", host="127.0.0.2") as device:
        link = link_for(device, events)
        async with running(link):
            await wait_until(lambda: ups(events) == 1)
            device.armed = True
            await link.query()
            pressed = device.dps["1"]
            await wait_until(
                lambda: any(isinstance(e, DpsReport) and e.dps.get("1") is pressed for e in events)
            )
            await asyncio.sleep(0.05)
            reports = [e for e in events if isinstance(e, DpsReport) and "1" in e.dps]
            assert reports[-1].dps["1"] is pressed  # the newer state, not the answer's
