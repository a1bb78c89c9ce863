"""Watchdogs while the daemon runs: each one's rule driven by the loop's clock.

`Watchdogs` is all the supervisor sees: it starts one task per configured watchdog,
applies a reload (a removed watchdog that was cycling switches its socket back on and
has its retained topics cleared; a changed one restarts with its day's count), sends
Home Assistant discovery, and keeps each watchdog's record in the state directory so
that a restart never resets the day's count. A watchdog found in the state directory
but no longer configured has its retained topics cleared at start.

A watchdog task runs its `WatchdogRule` one step at a time: a check is awaited in the
task itself (so never two at once), a power cycle is submitted to the device's runtime
exactly as an MQTT `/set` `{"power_cycle": N}` would be, and the state document is
published (retained) whenever it changes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Protocol

from setsmart._structlog import structlog
from setsmart.config import WatchdogConfig
from setsmart.config.watchdogs import parse_target
from setsmart.daemon.commands import Command, CommandError
from setsmart.daemon.runtime import DeviceRuntime
from setsmart.daemon.store import (
    StateError,
    StateStore,
    WatchdogRecord,
    load_watchdogs,
    save_watchdogs,
)
from setsmart.daemon.watchdog_check import TargetChecker
from setsmart.daemon.watchdog_rule import (
    Action,
    Memory,
    Now,
    PowerCycle,
    Report,
    Socket,
    StartCheck,
    WatchdogRule,
)
from setsmart.devices.types import DpValue
from setsmart.mqtt.payloads import LogLevel, encode_json
from setsmart.mqtt.topics import Topics
from setsmart.mqtt.watchdog import watchdog_discovery, watchdog_topic

log = structlog.get_logger("setsmart.watchdog")

#: Seconds to wait for the device to answer a power cycle (it is queued behind the
#: device's other commands, each bounded by `lan.timeout`).
COMMAND_TIMEOUT: Final = 60.0


class Host(Protocol):
    """What the watchdogs need of the daemon (the supervisor)."""

    def watchdog_spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Start a task the daemon owns."""

    def watchdog_device(self, name: str) -> DeviceRuntime | None:
        """The running device of that name."""

    def watchdog_publish(self, topic: str, payload: str) -> None:
        """Publish retained (an empty payload clears the topic)."""

    def watchdog_log(self, level: LogLevel, message: str, device: str, topic: str) -> None:
        """A line on `B/bridge/log`."""

    def watchdog_save(self, save: Callable[[StateStore, Any], None], data: object) -> None:
        """Write a state file soon (off the event loop, one write at a time)."""


def socket_of(name: str, runtime: DeviceRuntime | None) -> Socket:
    """What a watchdog sees of its device: online, every switch on, or why it cannot
    be power-cycled at all."""
    if runtime is None:
        return Socket(online=False, on=None)
    profile = runtime.profile
    if profile is None:
        return Socket(online=runtime.online, on=None)
    switches = profile.switch_dps
    if not switches:
        return Socket(runtime.online, None, f"{name} has no switch")
    if any(profile.countdown_dp(gang) is None for gang in range(1, len(switches) + 1)):
        return Socket(
            runtime.online,
            None,
            f"{name} has no countdown DP, so it would not switch itself back on "
            "if the daemon stopped during the cycle",
        )
    values = [runtime.dps.get(dp) for dp in switches]
    on = None if any(value is None for value in values) else all(v is True for v in values)
    return Socket(runtime.online, on)


def switch_on_payload(runtime: DeviceRuntime) -> dict[str, object] | None:
    """`/set` payload that switches every gang on and stops its countdown."""
    profile = runtime.profile
    if profile is None or not profile.switch_dps:
        return None
    dps: dict[str, DpValue] = {}
    for gang, dp in enumerate(profile.switch_dps, start=1):
        dps[dp] = True
        countdown = profile.countdown_dp(gang)
        if countdown is not None:
            dps[countdown] = 0
    return {"dps": dps}


@dataclass(eq=False)
class WatchdogTask:
    """One watchdog: its rule, its checker, and what it last published."""

    config: WatchdogConfig
    host: Host
    topic: str
    memory: Memory | None
    on_memory: Callable[[str, Memory], None]
    rule: WatchdogRule = field(init=False)
    _checker: TargetChecker = field(init=False)
    _published: dict[str, object] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.rule = WatchdogRule(self.config, self._now(), self.memory)
        self._checker = TargetChecker(parse_target(self.config.target), self.config.every)

    @staticmethod
    def _now() -> Now:
        return Now(asyncio.get_running_loop().time(), datetime.now().astimezone())

    def _socket(self) -> Socket:
        name = self.config.device
        return socket_of(name, self.host.watchdog_device(name))

    async def run(self) -> None:
        try:
            while True:
                await self._do(self.rule.tick(self._now(), self._socket()))
                now = asyncio.get_running_loop().time()
                wake = self.rule.wake_at()
                await asyncio.sleep(
                    max(0.0, (now + self.config.every if wake is None else wake) - now)
                )
        finally:
            await self._checker.close()

    async def _do(self, actions: Iterable[Action]) -> None:
        for action in actions:
            if isinstance(action, StartCheck):
                error = await self._checker.check()
                await self._do(self.rule.checked(self._now(), self._socket(), error))
            elif isinstance(action, PowerCycle):
                error = await self._send({"power_cycle": action.seconds})
                if error is None:
                    outcome = self.rule.cycle_sent(self._now())
                    self.on_memory(self.config.name, self.rule.memory)
                else:
                    outcome = self.rule.cycle_failed(self._now(), error)
                await self._do(outcome)
            elif isinstance(action, Report):
                self._report(action.level, action.message)
        self._publish()

    def _report(self, level: LogLevel, message: str) -> None:
        self.host.watchdog_log(level, message, self.config.device, self.topic)

    async def _send(self, payload: dict[str, object]) -> str | None:
        """Submit a `/set` payload to the device's runtime; None once it is carried out."""
        runtime = self.host.watchdog_device(self.config.device)
        if runtime is None:
            return f"{self.config.device} is not running"
        answer: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

        def done(error: CommandError | None) -> None:
            if not answer.done():
                answer.set_result(None if error is None else str(error))

        runtime.submit(Command("set", payload, self.topic, done))
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT):
                return await answer
        except TimeoutError:
            return f"{self.config.device} did not answer within {COMMAND_TIMEOUT:g} s"

    def republish(self) -> None:
        """Publish the state document again, changed or not."""
        self._published = None
        self._publish()

    def _publish(self) -> None:
        document = self.rule.document()
        if document != self._published:
            self._published = document
            self.host.watchdog_publish(self.topic, encode_json(document))

    def switch_back_on(self) -> None:
        """Removed while cycling: switch the socket on now (its countdown would, later)."""
        runtime = self.host.watchdog_device(self.config.device)
        payload = None if runtime is None else switch_on_payload(runtime)
        if runtime is None or payload is None:
            return
        name = self.config.name

        def done(error: CommandError | None) -> None:
            if error is not None:
                self._report("error", f"watchdog {name}: could not switch it back on: {error}")

        self._report(
            "warning",
            f"watchdog {name} was removed while power-cycling {self.config.device}: "
            "switching it back on",
        )
        runtime.submit(Command("set", payload, self.topic, done))


@dataclass(eq=False)
class _Running:
    watchdog: WatchdogTask
    task: asyncio.Task[None]


@dataclass(eq=False)
class Watchdogs:
    """Every watchdog of the configuration; the supervisor's one handle on them."""

    host: Host
    store: StateStore
    topics: Topics
    discovery: bool
    _running: dict[str, _Running] = field(init=False, default_factory=dict)
    _records: dict[str, WatchdogRecord] = field(init=False, default_factory=dict)
    _changed: bool = field(init=False, default=False)

    def start(self, configs: Iterable[WatchdogConfig]) -> list[str]:
        """Load the records, clear what removed watchdogs left, start every watchdog;
        returns the problems met reading the state directory (for the log)."""
        loaded = load_watchdogs(self.store)
        self._records = loaded.value
        wanted = {config.name: config for config in configs}
        for name in [name for name in self._records if name not in wanted]:
            self._forget(name)
        for config in wanted.values():
            self._start(config)
        return [str(problem) for problem in loaded.problems]

    async def apply(
        self, configs: Iterable[WatchdogConfig], topics: Topics, discovery: bool
    ) -> None:
        """A reload: stop what was removed or changed, then start what is new."""
        moved = (topics, discovery) != (self.topics, self.discovery)
        wanted = {config.name: config for config in configs}
        for name, running in list(self._running.items()):
            if name not in wanted:
                await self._stop(name, removed=True)
            elif moved or wanted[name] != running.watchdog.config:
                await self._stop(name, removed=False)
        self.topics, self.discovery = topics, discovery
        for config in wanted.values():
            kept = self._running.get(config.name)
            if kept is None:
                self._start(config)
            else:  # the MQTT connection may be a new one: its retained topics again
                self._discover(config)
                kept.watchdog.republish()

    def publish_discovery(self) -> None:
        """Send the discovery documents again (Home Assistant said it is online)."""
        for running in self._running.values():
            self._discover(running.watchdog.config)

    def close(self) -> list[asyncio.Task[None]]:
        """Cancel every watchdog task (at stop: a cycle under way ends on its countdown),
        and write the records one last time if they changed (a save still queued in the
        loop may have been cancelled with it)."""
        tasks = [running.task for running in self._running.values()]
        for task in tasks:
            task.cancel()
        self._running.clear()
        if self._changed:
            self._changed = False
            try:
                save_watchdogs(self.store, dict(self._records))
            except StateError as exc:
                log.error("could not save the watchdogs' records", error=str(exc))  # noqa: TRY400 (one line)
        return tasks

    # Inside -----------------------------------------------------------------------------

    def _start(self, config: WatchdogConfig) -> None:
        record = self._records.get(config.name)
        topic = watchdog_topic(self.topics, config.name)
        watchdog = WatchdogTask(
            config,
            self.host,
            topic,
            None if record is None else record.memory,
            self._remember,
        )
        published = self._discover(config)
        old = () if record is None else record.topics
        for stale in set(old) - published:
            self.host.watchdog_publish(stale, "")
        self._records[config.name] = WatchdogRecord(watchdog.rule.memory, tuple(sorted(published)))
        if record is None or set(old) != published:
            self._save()
        task = self.host.watchdog_spawn(watchdog.run(), f"watchdog:{config.name}")
        self._running[config.name] = _Running(watchdog, task)

    def _discover(self, config: WatchdogConfig) -> set[str]:
        """Publish the discovery documents (when on); every retained topic it now has."""
        topics = {watchdog_topic(self.topics, config.name)}
        if not self.discovery:
            return topics
        runtime = self.host.watchdog_device(config.device)
        plug_id = None if runtime is None else runtime.config.id
        for topic, document in watchdog_discovery(config, plug_id, self.topics).items():
            self.host.watchdog_publish(topic, encode_json(document))
            topics.add(topic)
        return topics

    async def _stop(self, name: str, *, removed: bool) -> None:
        running = self._running.pop(name)
        running.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running.task
        if removed:
            if running.watchdog.rule.cycling:
                running.watchdog.switch_back_on()
            self._forget(name)

    def _forget(self, name: str) -> None:
        record = self._records.pop(name)
        for topic in record.topics:
            self.host.watchdog_publish(topic, "")
        self._save()

    def _remember(self, name: str, memory: Memory) -> None:
        record = self._records.get(name)
        if record is not None:
            self._records[name] = WatchdogRecord(memory, record.topics)
            self._save()

    def _save(self) -> None:
        self._changed = True
        self.host.watchdog_save(save_watchdogs, dict(self._records))
