"""A device's commands through the runtime: answered in arrival order, typed errors for
awaiting callers, and no queue or task kept for them while there is none (the rules
themselves, such as the limit of 64 waiting, are tested on the machine alone)."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine
from typing import Any

import pytest

from setsmart.config import DeviceConfig, LanConfig
from setsmart.config.secret import Secret
from setsmart.daemon.commands import Command, CommandError, DeviceOffline
from setsmart.daemon.machine import Route
from setsmart.daemon.runtime import DeviceRuntime
from setsmart.mqtt.payloads import LogLevel
from setsmart.sim import SimDevice
from tests.lan.helpers import wait_until
from tests.support.clock import ManualClock


class Outbox:
    def state(self, device: DeviceRuntime, document: dict[str, object]) -> None: ...
    def availability(self, device: DeviceRuntime, online: bool) -> None: ...
    def connection(self, device: DeviceRuntime) -> None: ...
    def problem(
        self, device: DeviceRuntime, level: LogLevel, message: str, topic: str | None = None
    ) -> None: ...
    def energy(self, device: DeviceRuntime) -> None: ...
    def learnt_key(self, device: DeviceRuntime, key: Secret | None) -> None: ...


def spawn(
    coro: Coroutine[Any, Any, None], name: str, context: contextvars.Context
) -> asyncio.Task[None]:
    return asyncio.get_running_loop().create_task(coro, name=name, context=context)


def offline_runtime() -> DeviceRuntime:
    """A LAN device that is never reached (no address): every command fails at once."""
    config = DeviceConfig(
        id="bfcommands0000000001", name="desk", local_key=Secret("0123456789abcdef")
    )
    return DeviceRuntime(config, LanConfig(), Outbox())


class Answers(list[tuple[int, str | None]]):
    """(command number, error) in the order the commands were answered."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    def command(self, n: int) -> Command:
        def done(error: CommandError | None) -> None:
            self.append((n, None if error is None else str(error)))
            self.changed.set()

        return Command("get", None, f"st/desk/get#{n}", done)

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(5):
            while len(self) < count:
                self.changed.clear()
                await self.changed.wait()


async def test_commands_are_answered_in_order_then_nothing_is_kept() -> None:
    runtime = offline_runtime()
    runtime.start(spawn)
    try:
        answers = Answers()
        for n in range(5):
            runtime.submit(answers.command(n))
        await answers.wait_for(5)
        assert [n for n, _ in answers] == [0, 1, 2, 3, 4]
        assert all(error and "device is offline" in error for _, error in answers)
        await asyncio.sleep(0)
        assert runtime.machine.idle  # what an idle device keeps
        assert not [t for t in asyncio.all_tasks() if t.get_name() == "desk:command"]
    finally:
        await runtime.stop()


async def test_an_awaited_command_raises_a_typed_error_naming_the_device() -> None:
    runtime = offline_runtime()
    runtime.start(spawn)
    try:
        with pytest.raises(DeviceOffline, match=r"^desk: device is offline"):
            await runtime.request("set", {"state": "ON"})
    finally:
        await runtime.stop()


async def test_commands_submitted_before_start_are_carried_out_once_started() -> None:
    runtime = offline_runtime()
    answers = Answers()
    runtime.submit(answers.command(0))
    await asyncio.sleep(0.01)
    assert answers == []
    runtime.start(spawn)
    try:
        await answers.wait_for(1)
        assert answers[0][0] == 0
    finally:
        await runtime.stop()


async def test_a_command_waiting_when_the_device_stops_is_answered() -> None:
    runtime = offline_runtime()
    answers = Answers()
    runtime.submit(answers.command(0))  # not started: it waits
    await runtime.stop()
    assert [n for n, _ in answers] == [0]
    assert "stopped being served" in str(answers[0][1])


async def test_stop_ends_every_task_of_the_device() -> None:
    runtime = offline_runtime()
    runtime.start(spawn)
    runtime.submit(Answers().command(0))
    await runtime.stop()
    assert not runtime.running
    assert all(task.done() for task in asyncio.all_tasks() if task.get_name().startswith("desk:"))


async def test_a_command_held_for_a_reconnect_is_refused_when_the_runtime_clock_says_so() -> None:
    """The machine's deadlines run on the runtime's clock: here a test's, moved by hand."""
    clock = ManualClock()
    async with SimDevice(
        "bfcommands0000000002", "0123456789abcdef", "3.4", "plug", host="127.0.0.99"
    ) as plug:
        config = DeviceConfig(
            id=plug.device_id,
            name="desk",
            local_key=Secret(plug.local_key),
            host=plug.host,
            port=plug.port,
            version="3.4",
        )
        runtime = DeviceRuntime(config, LanConfig(timeout=2.0), Outbox(), clock=clock)
        runtime.start(spawn)
        try:
            await wait_until(lambda: runtime.connection == "lan")
            await plug.stop()
            await wait_until(lambda: runtime.machine.route is Route.RECONNECTING)
            answers = Answers()
            runtime.submit(answers.command(0))
            await asyncio.sleep(0.05)
            assert answers == []  # held: no time has passed for the runtime
            clock.advance(1.9)
            assert answers == []
            clock.advance(0.1)
            assert [n for n, _ in answers] == [0]
            assert "did not come back within 2 s" in str(answers[0][1])
            assert runtime.online  # still within the availability grace
        finally:
            await runtime.stop()
