"""One configured device while the daemon runs: its link, its state, its commands.

The runtime drives the device's `machine.DeviceMachine` (where the rules are: routing
between the LAN and the cloud, availability, local keys, the order of commands): it
turns what its link, the cloud and its callers do into the machine's events, and carries
out the machine's actions (start and restart the link, poll the cloud, send a command,
tell the outbox). Its own job is the data: merging what the device reports, publishing
the state document when it changes, and the energy count.

Commands come in through `submit` (a callback answers) or `request` (an awaitable that
raises a `commands.CommandError`): one at a time, in arrival order, and a command for a
device whose session is reconnecting waits for it up to `lan.timeout`.

The link is a `DeviceLink` of the device's own unless the owner gives a `link_factory`:
a gateway's (`GatewayLink`) or a sub-device's share of its gateway's session
(`gateways.ChildLink`, which needs no key); the machine's rules are the same for all.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from setsmart._structlog import structlog
from setsmart.config import DeviceConfig, LanConfig
from setsmart.config.secret import Secret
from setsmart.daemon import machine as m
from setsmart.daemon.clock import LOOP_CLOCK, Clock, Timer
from setsmart.daemon.commands import (
    Command,
    CommandError,
    CommandFailed,
    CommandKind,
    DeviceOffline,
    InvalidCommand,
    NoAnswer,
)
from setsmart.daemon.logs import device_context
from setsmart.daemon.machine import Connection
from setsmart.daemon.profiles import ProfileSource
from setsmart.devices import (
    DeviceProfile,
    DpMapError,
    EnergyMeter,
    SetCommand,
    SetError,
    device_state,
    parse_set,
)
from setsmart.devices.spec import DeviceSpec
from setsmart.devices.state import iso_utc
from setsmart.errors import SetsmartError
from setsmart.lan.connection import Answered, dps_to_query
from setsmart.lan.errors import (
    ConnectionLost,
    LanError,
    NotConnected,
    ReplyTimeout,
    WrongLocalKey,
)
from setsmart.lan.gateway import SubdeviceDown, child_label
from setsmart.lan.link import (
    DeviceLink,
    DpsReport,
    LinkConnected,
    LinkDown,
    LinkEvent,
    LinkProblem,
    LinkSettings,
    LinkUp,
)
from setsmart.mqtt.payloads import LogLevel
from setsmart.protocol import Dps, DpValue, Version
from setsmart.protocol.constants import as_version

__all__ = [
    "Command",
    "DeviceRuntime",
    "Fallback",
    "KeySource",
    "Link",
    "LinkFactory",
    "Outbox",
    "RouteError",
    "Spawn",
]

log = structlog.get_logger("setsmart.device")

_SILENT_KEY_VERSIONS = frozenset({"3.1", "3.2", "3.3"})
#: Seconds between attempts when `cloud_poll` is 0 and the first cloud read failed.
RETRY_WITHOUT_POLL: Final = 60.0


class Outbox(Protocol):
    """Where a runtime sends what the world should learn (the MQTT side)."""

    def state(self, device: DeviceRuntime, document: dict[str, object]) -> None: ...
    def availability(self, device: DeviceRuntime, online: bool) -> None: ...
    def connection(self, device: DeviceRuntime) -> None: ...
    def problem(
        self, device: DeviceRuntime, level: LogLevel, message: str, topic: str | None = None
    ) -> None: ...
    def energy(self, device: DeviceRuntime) -> None: ...
    def learnt_key(self, device: DeviceRuntime, key: Secret | None) -> None:
        """Keep `key` for the device across restarts (None: forget the one kept)."""


class RouteError(SetsmartError):
    """The fallback could not do what was asked; one readable line naming the device.

    `device_offline`: the fallback reached its service, which says the device is offline.
    """

    def __init__(self, message: str, *, device_offline: bool = False) -> None:
        super().__init__(message)
        self.device_offline = device_offline


class Fallback(Protocol):
    """Another way to reach a device when it has no LAN session (the cloud).

    Every method raises RouteError when it fails.
    """

    async def read(self) -> Dps: ...
    async def write(self, dps: Mapping[str, DpValue]) -> None: ...
    async def online(self) -> bool: ...


class Link(Protocol):
    """What the runtime drives: a device's session (`DeviceLink`, `GatewayLink`) or a
    sub-device's share of its gateway's (`gateways.ChildLink`)."""

    energy_dps: tuple[int, ...]

    @property
    def host(self) -> str | None: ...
    @property
    def version(self) -> Version | None: ...
    @property
    def connected(self) -> bool: ...
    async def run(self) -> None: ...
    async def query(self) -> Dps: ...
    def set_dps(self, dps: Mapping[str, DpValue], answered: Answered) -> None: ...
    def update_address(self, host: str, version: Version | None = None) -> None: ...


class LinkFactory(Protocol):
    """Makes a runtime's link, with `DeviceLink`'s arguments (`DeviceLink` is one)."""

    def __call__(
        self,
        *,
        name: str,
        device_id: str,
        local_key: bytes,
        host: str | None,
        port: int,
        version: Version | None,
        on_event: Callable[[LinkEvent], None],
        settings: LinkSettings,
        dps_to_query: tuple[str, ...],
    ) -> Link: ...


#: How the owner starts the runtime's tasks: `(coroutine, name, context) -> task`; the
#: owner's task group sees a task that fails, as it sees its own.
Spawn = Callable[[Coroutine[Any, Any, None], str, contextvars.Context], "asyncio.Task[None]"]


class KeySource(Protocol):
    """Where a device's current local key can be fetched (the cloud); RouteError if not."""

    async def local_key(self) -> str: ...


@functools.lru_cache(maxsize=8)
def _link_settings(
    heartbeat: float, timeout: float, poll: float, energy_poll: float
) -> LinkSettings:
    """The `lan:` timings as link settings: one object for all the devices."""
    return LinkSettings(heartbeat=heartbeat, timeout=timeout, poll=poll, energy_poll=energy_poll)


@dataclass(eq=False, slots=True)
class DeviceRuntime:
    config: DeviceConfig
    lan: LanConfig
    outbox: Outbox
    energy_meter: EnergyMeter = field(default_factory=EnergyMeter)
    fallback: Fallback | None = None
    keys: KeySource | None = None
    learnt_key: Secret | None = None
    cloud_poll: float = 60.0
    clock: Clock = LOOP_CLOCK
    link_factory: LinkFactory | None = None
    """Makes the device's link (a gateway's, a sub-device's); None: a `DeviceLink` of its
    own when it has a local key."""
    machine: m.DeviceMachine = field(init=False)
    link: Link | None = field(init=False, default=None)
    profile: DeviceProfile | None = field(init=False, default=None)
    profile_source: ProfileSource = field(init=False)
    dps: Mapping[str, DpValue] = field(init=False, default_factory=dict)
    """What the device reported last of each DP. Replaced, never changed: the published
    state document holds it as its `dps`."""
    _published: dict[str, object] | None = field(init=False, default=None)
    _timer: Timer | None = field(init=False, default=None)
    _wake_at: float | None = field(init=False, default=None)
    _tasks: set[asyncio.Task[None]] = field(init=False, default_factory=set)
    _spawner: Spawn | None = field(init=False, default=None)
    _closed: bool = field(init=False, default=False)
    _context: contextvars.Context | None = field(init=False, default=None)
    _link_task: asyncio.Task[None] | None = field(init=False, default=None)
    _link_generation: int = field(init=False, default=0)
    _cloud_task: asyncio.Task[None] | None = field(init=False, default=None)
    _cloud_lock: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        lan, config = self.lan, self.config
        self.profile_source = ProfileSource(config)
        configured = config.local_key.reveal() if config.local_key is not None else None
        if configured is not None or self.link_factory is not None:
            self.link = self._make_link(configured, config.host, as_version(config.version))
        self.machine = m.DeviceMachine(
            self.label,
            timeout=lan.timeout,
            grace=max(2 * lan.heartbeat, 2 * lan.timeout, 5.0),
            has_link=self.link is not None,
            fallback=self.fallback is not None,
            key_source=self.keys is not None,
            configured_key=configured,
            learnt_key=self.learnt_key.reveal() if self.learnt_key is not None else None,
            sleep=m.sleep_window(config.sleep, config.type),
            # A sub-device broadcasts nothing: its gateway's session is what reaches it.
            hears_broadcasts=lan.discovery and config.gateway is None,
        )

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def label(self) -> str:
        """How errors name the device: a sub-device with its gateway."""
        gateway = self.config.gateway
        return self.name if gateway is None else child_label(self.name, gateway)

    @property
    def online(self) -> bool:
        """Reachable now: a live LAN session (within its grace), or through the cloud."""
        return self.machine.online

    @property
    def connection(self) -> Connection:
        return self.machine.connection

    @property
    def source(self) -> m.Source:
        return self.machine.source

    def start(self, spawn: Spawn) -> None:
        """Serve the device, in tasks started through `spawn`, until `stop()`."""
        self._spawner = spawn
        # One context for all of the device's tasks: every line they log names it.
        self._context = device_context(self.name)
        self._feed(m.Start(self.clock.now()))

    async def stop(self) -> None:
        """Cancel the device's timers and tasks, and wait until they are over."""
        for task in self.close():
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def close(self) -> list[asyncio.Task[None]]:
        """Cancel the device's timers and tasks (without waiting); the tasks cancelled.
        Commands not answered yet are refused."""
        self._feed(m.Stop())
        self._spawner, self._closed = None, True
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._wake_at = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        return tasks

    @property
    def running(self) -> bool:
        return self._spawner is not None

    def heard(self) -> None:
        """The device's broadcast was heard: a sleeper is awake (its session starts now)."""
        if self.machine.sleep is not None:
            self._feed(m.Heard(self.clock.now()))

    def submit(self, command: Command) -> None:
        """Carry out `command` in its turn; `command.done` gets the outcome."""
        self._feed(m.CommandArrived(self.clock.now(), command))

    async def request(self, kind: CommandKind, payload: object = None, topic: str = "") -> None:
        """Carry out a `/set` (`payload`: the decoded document) or a `/get` in its turn;
        returns once the device (or the cloud) did, else raises a `CommandError`."""
        answer: asyncio.Future[CommandError | None] = asyncio.get_running_loop().create_future()

        def done(error: CommandError | None) -> None:
            if not answer.done():
                answer.set_result(error)

        self.submit(Command(kind, payload, topic, done))
        error = await answer
        if error is not None:
            raise error

    # The machine ------------------------------------------------------------------------

    def _feed(self, event: m.Event) -> None:
        if self._closed:
            return
        for action in self.machine.handle(event):
            self._do(action)
        wake = self.machine.wake_at
        if wake != self._wake_at and not self._closed:
            if self._timer is not None:
                self._timer.cancel()
            self._wake_at = wake
            self._timer = None if wake is None else self.clock.call_at(wake, self._on_timer)

    def _on_timer(self) -> None:
        when, self._timer, self._wake_at = self._wake_at, None, None
        # A loop may run a timer a clock tick early: it fired for `when`.
        now = self.clock.now()
        self._feed(m.Tick(now if when is None else max(now, when)))

    def _do(self, action: m.Action) -> None:  # noqa: PLR0912 (one branch per action)
        match action:
            case m.ApplyDps(dps, full, count_energy):
                self._on_dps(dps, full=full, count_energy=count_energy)
            case m.Publish():
                self._publish_state()
            case m.Announce(online, online_changed):
                if online_changed:
                    self.outbox.availability(self, online)
                self.outbox.connection(self)
            case m.Report(level, message):
                self.outbox.problem(self, level, message)
            case m.SendLan(command) if command.kind == "set" and self.link is not None:
                self._send_set(self.link, command)
            case m.SendLan(command):
                self._spawn(self._carry_out(command, lan=True), "command")
            case m.SendCloud(command):
                self._spawn(self._carry_out(command, lan=False), "command")
            case m.Refuse(command, error):
                command.done(error)
            case m.StartLink():
                self._start_link()
            case m.Doze():
                if isinstance(self.link, DeviceLink):  # a session of the device's own
                    self.link.doze()
            case m.Wake():
                if isinstance(self.link, DeviceLink):
                    self.link.wake()
            case m.UseKey(key):
                self._use_key(key)
            case m.FetchKey(refused):
                if self.keys is not None:
                    self._spawn(self._refresh_key(self.keys, refused), "key")
            case m.SaveKey(key):
                self.learnt_key = None if key is None else Secret(key)
                self.outbox.learnt_key(self, self.learnt_key)
            case m.StartPoll(wait):
                if self._cloud_task is None or self._cloud_task.done():
                    self._cloud_task = self._spawn(self._poll_cloud(wait=wait), "cloud")
            case m.StopPoll():
                if self._cloud_task is not None:
                    self._cloud_task.cancel()
                    self._cloud_task = None

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        spawn, context = self._spawner, self._context
        assert spawn is not None  # noqa: S101 (only called while running)
        assert context is not None  # noqa: S101 (set with the spawner)
        task = spawn(coro, f"{self.name}:{name}", context)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # The LAN link -----------------------------------------------------------------------

    def _make_link(self, key: str | None, host: str | None, version: Version | None) -> Link:
        """A link whose events count only while it is the current one (`key`: None for a
        sub-device, which has none of its own)."""
        self._link_generation += 1
        generation = self._link_generation

        def on_event(event: LinkEvent) -> None:
            if generation == self._link_generation:
                self._on_link_event(event)

        lan, config = self.lan, self.config
        factory: LinkFactory = self.link_factory or DeviceLink
        return factory(
            name=config.name,
            device_id=config.id,
            local_key=(key or "").encode(),
            host=host,
            port=config.port,
            version=version,
            on_event=on_event,
            settings=_link_settings(lan.heartbeat, lan.timeout, lan.poll, lan.energy_poll),
            dps_to_query=dps_to_query(config.dp_ids),
        )

    def _start_link(self) -> None:
        assert self.link is not None  # noqa: S101 (LAN devices only)
        if self._link_task is not None:
            self._link_task.cancel()
        self._link_task = self._spawn(self.link.run(), "link")

    def _use_key(self, key: str) -> None:
        """Restart the link with another key, keeping what it learnt of the device."""
        old = self.link
        assert old is not None  # noqa: S101 (LAN devices only)
        self.link = self._make_link(key, old.host, old.version)
        self.link.energy_dps = old.energy_dps
        self._start_link()

    def _on_link_event(self, event: LinkEvent) -> None:
        if isinstance(event, DpsReport):
            self._feed(m.LanReport(event.dps, event.full))
        elif isinstance(event, LinkUp):
            self._feed(m.LinkUp(self.clock.now()))
        elif isinstance(event, LinkDown):
            error = event.error
            version = self.link.version if self.link is not None else None
            child = event if isinstance(event, SubdeviceDown) else None
            self._feed(
                m.LinkDown(
                    self.clock.now(),
                    str(error),
                    wrong_key=isinstance(error, WrongLocalKey),
                    reply_timeout=isinstance(error, ReplyTimeout),
                    silent_version=version in _SILENT_KEY_VERSIONS,
                    quiet=child is not None and child.gateway_down,
                    out_of_reach=child is not None and child.out_of_reach,
                )
            )
        elif isinstance(event, LinkProblem):
            self.outbox.problem(self, "warning", str(event.error))
        elif isinstance(event, LinkConnected):
            self._feed(m.LinkConnected())

    async def _refresh_key(self, keys: KeySource, refused: str) -> None:
        try:
            key = await keys.local_key()
        except RouteError as exc:
            self._feed(m.KeyFetchFailed(str(exc)))
        else:
            self._feed(m.KeyFetched(key, refused))

    # The state --------------------------------------------------------------------------

    def _on_dps(self, dps: Dps, *, full: bool, count_energy: bool) -> None:
        if dps:
            self.dps = {**self.dps, **dps}
        if self.profile is None or full:
            try:
                self.profile, note = self.profile_source.profile(self.dps)
            except DpMapError as exc:
                self.outbox.problem(self, "error", f"{self.name}: {exc}")
                return
            self.machine.sleep = m.sleep_window(self.config.sleep, self.profile.type)
            if note is not None:
                self.outbox.problem(self, "warning", f"{self.name}: {note}")
            if self.link is not None:
                self.link.energy_dps = self.profile.energy_dps
        if count_energy and self.energy_meter.add_from(self.profile, dps):
            self.outbox.energy(self)
        self._publish_state()

    def learn_profile_source(
        self, *, spec: DeviceSpec | None = None, product_key: str | None = None
    ) -> None:
        """A specification or product key learnt meanwhile: the profile is built again."""
        if self.profile_source.learn(spec=spec, product_key=product_key) and self.dps:
            self._on_dps({}, full=True, count_energy=False)

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
            source=self.machine.source,
            last_seen=None,
            share_dps=True,
        )
        # Unchanged but for `last_seen`: not published again. The document published is
        # the one kept (the outbox keeps it too): with the last one's `last_seen` for the
        # comparison, then its own.
        published = self._published
        if published is not None:
            document["last_seen"] = published["last_seen"]
            if document == published:
                return
        document["last_seen"] = _last_seen_text(int(time.time()))
        self._published = document
        self.outbox.state(self, document)

    # The cloud --------------------------------------------------------------------------

    async def _poll_cloud(self, *, wait: bool = False) -> None:
        if wait and self.cloud_poll > 0:
            await asyncio.sleep(self.cloud_poll)
        while True:
            ok = True
            try:
                await self._cloud_read(presence=self.machine.presence_due, polled=True)
            except RouteError as exc:
                ok = False
                self._feed(m.CloudFailed(str(exc), exc.device_offline, polled=True))
            if self.cloud_poll > 0:
                await asyncio.sleep(self.cloud_poll)
            elif ok:
                return
            else:
                await asyncio.sleep(RETRY_WITHOUT_POLL)

    async def _cloud_read(self, *, presence: bool, polled: bool) -> None:
        fallback = self.fallback
        assert fallback is not None  # noqa: S101 (the machine polls only with one)
        async with self._cloud_lock:
            if presence and not await fallback.online():
                raise RouteError(
                    f"{self.name}: the Tuya cloud says the device is offline",
                    device_offline=True,
                )
            dps = await fallback.read()
        if self.link is not None and self.link.connected:
            # A LAN session came up during the read: its own status query, answered
            # before the machine hears LinkUp, is fresher than what the cloud last heard.
            return
        self._feed(m.CloudRead(dps, polled=polled, presence=presence, now=self.clock.now()))

    # Commands ---------------------------------------------------------------------------

    def _send_set(self, link: Link, command: Command) -> None:
        """A `/set` over the LAN, answered on a callback (creating and finishing a task per
        command cost a tenth of the daemon's CPU per `/set`)."""
        try:
            order = self._order(command)
        except (LanError, SetError) as exc:  # answered in its turn too, not from inside _do
            refused = functools.partial(self._finish, command, exc, lan=True)
            asyncio.get_running_loop().call_soon(refused)
            return
        link.set_dps(order.dps, functools.partial(self._set_sent, command, order))

    def _set_sent(self, command: Command, order: SetCommand, failure: LanError | None) -> None:
        self._finish(command, failure, lan=True)
        if failure is None and order.restore_after is not None:
            self._restore_later(order.restore_after)

    async def _carry_out(self, command: Command, *, lan: bool) -> None:
        """Send one command the machine let out, answer it, and tell the machine."""
        try:
            await self._execute(command, lan=lan)
        except (LanError, RouteError, SetError) as exc:
            self._finish(command, exc, lan=lan)
        else:
            self._finish(command, None, lan=lan)

    def _finish(
        self, command: Command, failure: LanError | RouteError | SetError | None, *, lan: bool
    ) -> None:
        if lan and isinstance(failure, NotConnected | ConnectionLost):
            # The session dropped under it: the machine holds it for the next.
            self._feed(m.CommandLost(self.clock.now(), str(failure)))
            return
        command.done(None if failure is None else self._command_error(failure))
        self._feed(m.CommandDone(self.clock.now()))

    def _command_error(self, failure: LanError | RouteError | SetError) -> CommandError:
        if isinstance(failure, NotConnected | ConnectionLost):
            return DeviceOffline(str(failure))
        if isinstance(failure, ReplyTimeout):
            return NoAnswer(str(failure))
        if isinstance(failure, LanError):
            return CommandFailed(str(failure))
        if isinstance(failure, RouteError) and failure.device_offline:
            return DeviceOffline(str(failure))
        if isinstance(failure, RouteError):
            return CommandFailed(str(failure))
        return InvalidCommand(f"{self.name}: {failure}")

    def _order(self, command: Command) -> SetCommand:
        if self.profile is None:
            raise LanError(self.name, "the device's state has not been read yet; try again shortly")
        return parse_set(self.profile, command.payload, self.dps)

    async def _execute(self, command: Command, *, lan: bool) -> None:
        link = self.link
        if command.kind == "get":
            self._published = None  # a /get publishes the state even when unchanged
            if lan and link is not None:
                await link.query()
            else:
                await self._read_through_fallback()
            return
        order = self._order(command)
        await self._write_to_cloud(order.dps)
        if order.restore_after is not None:
            self._restore_later(order.restore_after)

    def _restore_later(self, restore_after: tuple[float, Mapping[str, DpValue]]) -> None:
        delay, restore = restore_after
        self._spawn(self._restore(delay, restore), "power-cycle")

    async def _write_to_cloud(self, dps: Mapping[str, DpValue]) -> None:
        assert self.fallback is not None  # noqa: S101 (the machine sends to the cloud only then)
        try:
            async with self._cloud_lock:
                await self.fallback.write(dps)
        except RouteError as exc:
            self._feed(m.CloudFailed(str(exc), exc.device_offline))
            raise
        self._feed(m.CloudWritten(dict(dps)))

    async def _read_through_fallback(self) -> None:
        try:
            await self._cloud_read(presence=self.machine.presence_for_get, polled=False)
        except RouteError as exc:
            self._feed(m.CloudFailed(str(exc), exc.device_offline))
            raise

    async def _restore(self, delay: float, dps: Mapping[str, DpValue]) -> None:
        """The second half of a power cycle on a device without a countdown DP: a command
        of its own, in its turn (and held through a reconnect like any other)."""
        await asyncio.sleep(delay)

        def done(error: CommandError | None) -> None:
            if error is not None:
                message = f"power_cycle could not turn it back on: {error}"
                self.outbox.problem(self, "error", message)

        self.submit(Command("set", {"dps": dict(dps)}, "", done))


@functools.lru_cache(maxsize=2)
def _last_seen_text(second: int) -> str:
    # Every state document published within one second carries the same text.
    return iso_utc(datetime.fromtimestamp(second, UTC))
