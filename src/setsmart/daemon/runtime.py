"""One configured device while the daemon runs: its link, its state, its commands.

The runtime merges what the device reports, publishes the state document when it changes,
decides availability without flapping, and carries out `/set` and `/get` one at a time in
arrival order (a burst is queued, not lost). A device without a LAN session can be
routed through a `Fallback` (the cloud), which the daemon plugs in when configured.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

import structlog

from setsmart.config import DeviceConfig, LanConfig
from setsmart.daemon.availability import Availability
from setsmart.daemon.logs import bind_device
from setsmart.devices import (
    DeviceProfile,
    DpMapError,
    EnergyMeter,
    SetError,
    device_state,
    parse_set,
    profile_for,
)
from setsmart.lan.connection import dps_to_query
from setsmart.lan.errors import LanError
from setsmart.lan.link import (
    DeviceLink,
    DpsReport,
    LinkDown,
    LinkEvent,
    LinkProblem,
    LinkSettings,
    LinkUp,
)
from setsmart.mqtt.payloads import LogLevel
from setsmart.protocol import Dps, DpValue
from setsmart.protocol.constants import as_version

log = structlog.get_logger("setsmart.device")

Connection = Literal["lan", "cloud", "offline"]
_QUEUE_LIMIT = 64


class Outbox(Protocol):
    """Where a runtime sends what the world should learn (the MQTT side)."""

    def state(self, device: DeviceRuntime, document: dict[str, object]) -> None: ...
    def availability(self, device: DeviceRuntime, online: bool) -> None: ...
    def connection(self, device: DeviceRuntime) -> None: ...
    def problem(
        self, device: DeviceRuntime, level: LogLevel, message: str, topic: str | None = None
    ) -> None: ...
    def energy(self, device: DeviceRuntime) -> None: ...


class Fallback(Protocol):
    """Another way to reach a device when its LAN session is down (the cloud)."""

    async def read(self) -> Dps: ...
    async def write(self, dps: Mapping[str, DpValue]) -> None: ...


@dataclass(frozen=True, slots=True)
class Command:
    """A `/set` payload (decoded) or a `/get`; `done(None)` on success, `done(error)` else."""

    kind: Literal["set", "get"]
    payload: object
    topic: str
    done: Callable[[str | None], None]


@dataclass(eq=False)
class DeviceRuntime:
    config: DeviceConfig
    lan: LanConfig
    outbox: Outbox
    energy_meter: EnergyMeter = field(default_factory=EnergyMeter)
    fallback: Fallback | None = None
    link: DeviceLink | None = field(init=False, default=None)
    profile: DeviceProfile | None = field(init=False, default=None)
    dps: dict[str, DpValue] = field(init=False, default_factory=dict)
    source: Literal["lan", "cloud"] = field(init=False, default="lan")
    availability: Availability = field(init=False)
    _published: dict[str, object] | None = field(init=False, default=None)
    _last_error: str | None = field(init=False, default=None)
    _queue: asyncio.Queue[Command] = field(init=False)
    _timer: asyncio.TimerHandle | None = field(init=False, default=None)
    _tasks: set[asyncio.Task[None]] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        lan, config = self.lan, self.config
        self.availability = Availability(grace=max(2 * lan.heartbeat, 2 * lan.timeout, 5.0))
        self._queue = asyncio.Queue(_QUEUE_LIMIT)
        if config.local_key is not None:
            self.link = DeviceLink(
                name=config.name,
                device_id=config.id,
                local_key=config.local_key.reveal().encode(),
                host=config.host,
                port=config.port,
                version=as_version(config.version),
                on_event=self._on_link_event,
                settings=LinkSettings(
                    heartbeat=lan.heartbeat,
                    timeout=lan.timeout,
                    poll=lan.poll,
                    energy_poll=lan.energy_poll,
                ),
                dps_to_query=dps_to_query(config.dps.values()),
            )

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def connection(self) -> Connection:
        if not self.availability.online:
            return "offline"
        return self.source

    async def run(self) -> None:
        """Serve the device until cancelled."""
        with bind_device(self.name):
            try:
                async with asyncio.TaskGroup() as group:
                    if self.link is not None:
                        group.create_task(self.link.run())
                    group.create_task(self._serve_commands())
            finally:
                if self._timer is not None:
                    self._timer.cancel()
                for task in self._tasks:
                    task.cancel()

    def submit(self, command: Command) -> None:
        try:
            self._queue.put_nowait(command)
        except asyncio.QueueFull:
            command.done(
                f"{self.name}: {_QUEUE_LIMIT} commands are already waiting; this one is dropped"
            )

    # Link events ------------------------------------------------------------------------

    def _on_link_event(self, event: LinkEvent) -> None:
        if isinstance(event, DpsReport):
            self._on_dps(event.dps, full=event.full)
        elif isinstance(event, LinkUp):
            self.source = "lan"
            self._last_error = None
            if self.availability.up():
                self.outbox.availability(self, True)
            self.outbox.connection(self)
        elif isinstance(event, LinkDown):
            self._on_down(event.error)
        elif isinstance(event, LinkProblem):
            self.outbox.problem(self, "warning", str(event.error))

    def _on_dps(self, dps: Dps, *, full: bool) -> None:
        self.dps.update(dps)
        if self.profile is None or full:
            try:
                self.profile = profile_for(self.config.type, self.config.dps, self.dps)
            except DpMapError as exc:
                self.outbox.problem(self, "error", f"{self.name}: {exc}")
                return
        if self.energy_meter.add_from(self.profile, dps):
            self.outbox.energy(self)
        if self.link is not None:
            self.link.energy_dps = tuple(int(dp) for dp in self.profile.sensor_dps)
        self._publish_state()

    def republish(self) -> None:
        """Publish the state again even if unchanged (a new broker connection)."""
        self._published = None
        self._publish_state()

    def _publish_state(self) -> None:
        if self.profile is None:
            return
        document = device_state(
            self.profile,
            self.dps,
            energy_kwh=self.energy_meter.kwh if "energy" in self.profile.sensors else None,
            source=self.source,
            last_seen=datetime.now(UTC),
        )
        comparable = {k: v for k, v in document.items() if k != "last_seen"}
        if comparable != self._published:
            self._published = comparable
            self.outbox.state(self, document)

    def _on_down(self, error: LanError) -> None:
        message = str(error)
        if message != self._last_error:
            self._last_error = message
            self.outbox.problem(self, "error", message)
        now = asyncio.get_running_loop().time()
        if self.availability.down(now):
            self._went_offline()
        else:
            self._arm_timer(now)

    def _arm_timer(self, now: float) -> None:
        left = self.availability.seconds_left(now)
        if left is None or self._timer is not None:
            return
        self._timer = asyncio.get_running_loop().call_later(left, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        now = asyncio.get_running_loop().time()
        if self.availability.check(now):
            self._went_offline()
        else:
            self._arm_timer(now)

    def _went_offline(self) -> None:
        self.outbox.availability(self, False)
        self.outbox.connection(self)

    # Commands ---------------------------------------------------------------------------

    async def _serve_commands(self) -> None:
        while True:
            command = await self._queue.get()
            try:
                await self._execute(command)
            except (LanError, SetError) as exc:
                command.done(str(exc) if isinstance(exc, LanError) else f"{self.name}: {exc}")
            else:
                command.done(None)

    async def _execute(self, command: Command) -> None:
        link = self.link
        use_lan = link is not None and link.connected
        if not use_lan and self.fallback is None:
            raise LanError(self.name, "device is offline (no LAN session and no cloud route)")
        if command.kind == "get":
            self._published = None  # a /get publishes the state even when unchanged
            if use_lan and link is not None:
                await link.query()
            else:
                await self._read_through_fallback()
            return
        if self.profile is None:
            raise LanError(self.name, "the device's state has not been read yet; try again shortly")
        order = parse_set(self.profile, command.payload, self.dps)
        await self._write(order.dps)
        if order.restore_after is not None:
            delay, restore = order.restore_after
            task = asyncio.create_task(self._restore(delay, restore))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _write(self, dps: Mapping[str, DpValue]) -> None:
        link = self.link
        if link is not None and link.connected:
            await link.set_dps(dps)
        elif self.fallback is not None:
            await self.fallback.write(dps)
            self.source = "cloud"
            self._on_dps(dict(dps), full=False)
        else:
            raise LanError(self.name, "device is offline (no LAN session and no cloud route)")

    async def _read_through_fallback(self) -> None:
        assert self.fallback is not None  # noqa: S101 (checked by the caller)
        dps = await self.fallback.read()
        self.source = "cloud"
        self._on_dps(dps, full=True)

    async def _restore(self, delay: float, dps: Mapping[str, DpValue]) -> None:
        """The second half of a power cycle on a device without a countdown DP."""
        await asyncio.sleep(delay)
        try:
            await self._write(dps)
        except LanError as exc:
            self.outbox.problem(self, "error", f"power_cycle could not turn it back on: {exc}")
