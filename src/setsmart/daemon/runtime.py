"""One configured device while the daemon runs: its link, its state, its commands.

The runtime merges what the device reports, publishes the state document when it changes,
decides availability without flapping, and carries out `/set` and `/get` one at a time in
arrival order (a burst is queued, not lost).

Routing, when the daemon gives the runtime a `Fallback` (the cloud):
- A device without a local key has no LAN link: it is read through the fallback every
  `cloud_poll` seconds, and is online while the fallback answers and says it is online.
- A LAN device whose session is down has its commands and `/get` sent through the
  fallback at once. Once the LAN has been unavailable for the availability grace (or
  never came up within it after start), the runtime polls the fallback like a cloud-only
  device, so the device stays online with `source: cloud`. The moment the session is
  back, polling stops and the state says `source: lan` again. Nothing is ever sent to
  the fallback while the LAN session is up.
- Presence (is the device connected to the cloud?) costs a call of its own, so it is
  asked on the first poll, every `PRESENCE_EVERY` polls after, and whenever the last
  answer was not "online"; a command the cloud refuses as "device offline" counts too.

Local keys: the configured key is used first. When the device refuses it (a wrong-key
error; for 3.1-3.3 devices, which ignore a wrong key, `SILENT_SESSIONS` sessions in a row
that never got an answer),
a key learnt from the cloud earlier (`learnt_key`, from the state directory) is tried;
when that is refused too, or there is none, the current key is fetched from the
`KeySource` (the cloud), announced through the outbox (which keeps it, never in the
user's YAML) and the link restarts with it. A fetch for the same refused key is not
repeated for `KEY_RETRY` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal, Protocol

from setsmart._structlog import structlog
from setsmart.config import DeviceConfig, LanConfig
from setsmart.config.secret import Secret
from setsmart.daemon.availability import Availability
from setsmart.daemon.logs import device_context
from setsmart.daemon.profiles import ProfileSource
from setsmart.devices import (
    DeviceProfile,
    DpMapError,
    EnergyMeter,
    SetError,
    device_state,
    parse_set,
)
from setsmart.devices.spec import DeviceSpec
from setsmart.lan.connection import dps_to_query
from setsmart.lan.errors import LanError, NotConnected, ReplyTimeout, WrongLocalKey
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
from setsmart.protocol import Dps, DpValue, Version
from setsmart.protocol.constants import as_version

log = structlog.get_logger("setsmart.device")

Connection = Literal["lan", "cloud", "offline"]
_QUEUE_LIMIT = 64
#: Polls between two presence checks of a device read through the cloud.
PRESENCE_EVERY: Final = 10
#: Seconds before the cloud is asked again for the key of a device that refuses it.
KEY_RETRY: Final = 300.0
#: Sessions in a row a 3.1-3.3 device left unanswered before its key is suspected.
SILENT_SESSIONS: Final = 2
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


class RouteError(Exception):
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


@dataclass(frozen=True, slots=True)
class Command:
    """A `/set` payload (decoded) or a `/get`; `done(None)` on success, `done(error)` else."""

    kind: Literal["set", "get"]
    payload: object
    topic: str
    done: Callable[[str | None], None]


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
    link: DeviceLink | None = field(init=False, default=None)
    profile: DeviceProfile | None = field(init=False, default=None)
    profile_source: ProfileSource = field(init=False)
    dps: dict[str, DpValue] = field(init=False, default_factory=dict)
    source: Literal["lan", "cloud"] = field(init=False, default="lan")
    availability: Availability = field(init=False)
    _published: dict[str, object] | None = field(init=False, default=None)
    _last_error: str | None = field(init=False, default=None)
    # Waiting commands, and the task carrying them out: both exist only while there are
    # some (an idle device holds no queue and no task for commands).
    _commands: deque[Command] | None = field(init=False, default=None)
    _command_task: asyncio.Task[None] | None = field(init=False, default=None)
    _timer: asyncio.TimerHandle | None = field(init=False, default=None)
    _start_timer: asyncio.TimerHandle | None = field(init=False, default=None)
    _tasks: set[asyncio.Task[None]] = field(init=False, default_factory=set)
    _spawner: Spawn | None = field(init=False, default=None)
    _context: contextvars.Context | None = field(init=False, default=None)
    _link_task: asyncio.Task[None] | None = field(init=False, default=None)
    _link_generation: int = field(init=False, default=0)
    _key: str = field(init=False, default="", repr=False)
    _tried_learnt: bool = field(init=False, default=False)
    _session_up: bool = field(init=False, default=False)
    _silent_sessions: int = field(init=False, default=0)
    _key_task: asyncio.Task[None] | None = field(init=False, default=None)
    _fetched_for: str | None = field(init=False, default=None, repr=False)
    _key_retry_at: float = field(init=False, default=0.0)
    _cloud_task: asyncio.Task[None] | None = field(init=False, default=None)
    _cloud_mode: bool = field(init=False, default=False)
    _cloud_online: bool = field(init=False, default=False)
    _presence: bool | None = field(init=False, default=None)
    _cloud_error: str | None = field(init=False, default=None)
    _cloud_lock: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)
    _announced: tuple[bool, Connection] = field(init=False, default=(False, "offline"))

    def __post_init__(self) -> None:
        lan, config = self.lan, self.config
        self.availability = Availability(grace=max(2 * lan.heartbeat, 2 * lan.timeout, 5.0))
        self.profile_source = ProfileSource(config)
        if config.local_key is not None:
            self._key = config.local_key.reveal()
            self.link = self._make_link(self._key, config.host, as_version(config.version))
        else:
            self.source = "cloud"

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def online(self) -> bool:
        """Reachable now: a live LAN session (within its grace), or through the cloud."""
        return self.availability.online or self._cloud_online

    @property
    def connection(self) -> Connection:
        if not self.online:
            return "offline"
        return self.source

    def start(self, spawn: Spawn) -> None:
        """Serve the device, in tasks started through `spawn`, until `stop()`."""
        self._spawner = spawn
        # One context for all of the device's tasks: every line they log names it.
        self._context = device_context(self.name)
        if self.link is not None:
            self._start_link()
            if self.fallback is not None:
                self._arm_start_check()
        elif self.fallback is not None:
            self._start_cloud_mode()
        if self._commands:
            self._command_task = self._spawn(self._serve_commands(), "commands")

    async def stop(self) -> None:
        """Cancel the device's timers and tasks, and wait until they are over."""
        for task in self.close():
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def close(self) -> list[asyncio.Task[None]]:
        """Cancel the device's timers and tasks (without waiting); the tasks cancelled."""
        self._spawner = None
        for timer in (self._timer, self._start_timer):
            if timer is not None:
                timer.cancel()
        self._timer = self._start_timer = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        return tasks

    @property
    def running(self) -> bool:
        return self._spawner is not None

    def submit(self, command: Command) -> None:
        commands = self._commands
        if commands is None:
            commands = self._commands = deque()
        if len(commands) >= _QUEUE_LIMIT:
            command.done(
                f"{self.name}: {_QUEUE_LIMIT} commands are already waiting; this one is dropped"
            )
            return
        commands.append(command)
        if self._command_task is None and self._spawner is not None:
            self._command_task = self._spawn(self._serve_commands(), "commands")

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        spawn, context = self._spawner, self._context
        assert spawn is not None  # noqa: S101 (only called while running)
        assert context is not None  # noqa: S101 (set with the spawner)
        task = spawn(coro, f"{self.name}:{name}", context)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # The LAN link -----------------------------------------------------------------------

    def _make_link(self, key: str, host: str | None, version: Version | None) -> DeviceLink:
        """A link whose events count only while it is the current one."""
        self._link_generation += 1
        generation = self._link_generation

        def on_event(event: LinkEvent) -> None:
            if generation == self._link_generation:
                self._on_link_event(event)

        lan, config = self.lan, self.config
        return DeviceLink(
            name=config.name,
            device_id=config.id,
            local_key=key.encode(),
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

    def _lan_connected(self) -> bool:
        return self.link is not None and self.link.connected

    def _on_link_event(self, event: LinkEvent) -> None:
        if isinstance(event, DpsReport):
            self.source = "lan"
            self._on_dps(event.dps, full=event.full)
        elif isinstance(event, LinkUp):
            self.source = "lan"
            self._last_error = None
            self._session_up, self._silent_sessions = True, 0
            self.availability.up()
            self._stop_cloud_mode()
            self._key_works()
            self._publish_state()
            self._announce()
        elif isinstance(event, LinkDown):
            self._on_down(event.error)
        elif isinstance(event, LinkProblem):
            self.outbox.problem(self, "warning", str(event.error))

    def _on_dps(self, dps: Dps, *, full: bool, count_energy: bool = True) -> None:
        self.dps.update(dps)
        if self.profile is None or full:
            try:
                self.profile, note = self.profile_source.profile(self.dps)
            except DpMapError as exc:
                self.outbox.problem(self, "error", f"{self.name}: {exc}")
                return
            if note is not None:
                self.outbox.problem(self, "warning", f"{self.name}: {note}")
        # The cloud repeats the last energy increment it heard: only the LAN's count.
        if count_energy and self.energy_meter.add_from(self.profile, dps):
            self.outbox.energy(self)
        if self.link is not None:
            self.link.energy_dps = tuple(int(dp) for dp in self.profile.sensor_dps)
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
            source=self.source,
            last_seen=datetime.now(UTC),
        )
        comparable = {k: v for k, v in document.items() if k != "last_seen"}
        if comparable != self._published:
            self._published = comparable
            self.outbox.state(self, document)

    def _announce(self) -> None:
        """Tell the outbox when availability or the connection kind changed."""
        now = (self.online, self.connection)
        if now == self._announced:
            return
        was_online = self._announced[0]
        self._announced = now
        if now[0] != was_online:
            self.outbox.availability(self, now[0])
        self.outbox.connection(self)

    def _on_down(self, error: LanError) -> None:
        message = str(error)
        if message != self._last_error:
            self._last_error = message
            self.outbox.problem(self, "error", message)
        silent = self._silent_session(error)
        if isinstance(error, WrongLocalKey) or silent:
            self._wrong_key()
        now = asyncio.get_running_loop().time()
        if self.availability.down(now):
            self._lan_lost()
        else:
            self._arm_timer(now)

    def _silent_session(self, error: LanError) -> bool:
        """Whether this is one more 3.1-3.3 session in a row that the device never
        answered: such devices ignore requests sealed with a wrong key."""
        was_up, self._session_up = self._session_up, False
        link = self.link
        if was_up or link is None or link.version not in _SILENT_KEY_VERSIONS:
            self._silent_sessions = 0
            return False
        if not isinstance(error, ReplyTimeout):
            self._silent_sessions = 0
            return False
        self._silent_sessions += 1
        return self._silent_sessions >= SILENT_SESSIONS

    def _arm_timer(self, now: float) -> None:
        left = self.availability.seconds_left(now)
        if left is None or self._timer is not None:
            return
        self._timer = asyncio.get_running_loop().call_later(left, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        now = asyncio.get_running_loop().time()
        if self.availability.check(now):
            self._lan_lost()
        else:
            self._arm_timer(now)

    def _arm_start_check(self) -> None:
        """A LAN device that is not up within the grace after start goes to the cloud."""
        loop = asyncio.get_running_loop()
        self._start_timer = loop.call_later(self.availability.grace, self._start_check)

    def _start_check(self) -> None:
        self._start_timer = None
        if not self.availability.online and not self._lan_connected():
            self._lan_lost()

    def _lan_lost(self) -> None:
        """The LAN is judged unavailable: the cloud if allowed (announced after its first
        read, so the device does not blink offline), else offline now."""
        if not self._start_cloud_mode():
            self._announce()

    # Keys -------------------------------------------------------------------------------

    def _wrong_key(self) -> None:
        configured = self.config.local_key
        learnt = self.learnt_key.reveal() if self.learnt_key is not None else None
        if (
            configured is not None
            and self._key == configured.reveal()
            and learnt
            and learnt != self._key
            and not self._tried_learnt
        ):
            self._tried_learnt = True
            self.outbox.problem(
                self,
                "info",
                f"{self.name}: the configured local key is refused; "
                "using the key learnt from the Tuya cloud earlier",
            )
            self._use_key(learnt)
            return
        self._fetch_key()

    def _fetch_key(self) -> None:
        if self.keys is None or not self.running:
            return
        if self._key_task is not None and not self._key_task.done():
            return
        now = asyncio.get_running_loop().time()
        if self._fetched_for == self._key and now < self._key_retry_at:
            return
        self._fetched_for, self._key_retry_at = self._key, now + KEY_RETRY
        self._key_task = self._spawn(self._refresh_key(self.keys, self._key), "key")

    async def _refresh_key(self, keys: KeySource, refused: str) -> None:
        try:
            key = await keys.local_key()
        except RouteError as exc:
            self.outbox.problem(
                self, "error", f"{exc} (while asking the Tuya cloud for the device's local key)"
            )
            return
        if key == refused:
            self.outbox.problem(
                self,
                "error",
                f"{self.name}: the Tuya cloud has the same local key as the one in use, so the "
                "key is not what fails: check the device's protocol version and address",
            )
            return
        if self._key != refused or self._lan_connected():
            return  # another key was tried meanwhile, or the LAN works again
        self.learnt_key = Secret(key)
        self.outbox.learnt_key(self, self.learnt_key)
        self.outbox.problem(
            self,
            "info",
            f"{self.name}: the device's local key has changed; now using its new key from "
            "the Tuya cloud (kept in the state directory; the configuration file is unchanged)",
        )
        self._use_key(key)

    def _use_key(self, key: str) -> None:
        """Restart the link with another key, keeping what it learnt of the device."""
        old = self.link
        assert old is not None  # noqa: S101 (LAN devices only)
        self._key = key
        self._silent_sessions = 0
        self.link = self._make_link(key, old.host, old.version)
        self.link.energy_dps = old.energy_dps
        self._start_link()

    def _key_works(self) -> None:
        """The session is up: a learnt key is obsolete once the configured one works."""
        configured = self.config.local_key
        if configured is not None and self._key == configured.reveal():
            self._tried_learnt = False
            if self.learnt_key is not None:
                self.learnt_key = None
                self.outbox.learnt_key(self, None)

    # The cloud --------------------------------------------------------------------------

    def _start_cloud_mode(self) -> bool:
        """Poll the fallback until the LAN is back; False when there is none to poll."""
        if self.fallback is None or not self.running:
            return False
        self._cloud_mode = True
        if self._cloud_task is None or self._cloud_task.done():
            self._cloud_task = self._spawn(self._poll_cloud(), "cloud")
        return True

    def _stop_cloud_mode(self) -> None:
        if self._cloud_task is not None:
            self._cloud_task.cancel()
            self._cloud_task = None
        self._cloud_mode = False
        self._cloud_online = False
        self._presence = None
        self._cloud_error = None

    async def _poll_cloud(self) -> None:
        polls = 0
        while True:
            presence = polls % PRESENCE_EVERY == 0 or self._presence is not True
            ok = True
            try:
                await self._cloud_read(presence=presence)
            except RouteError as exc:
                ok = False
                self._cloud_failed(exc, report=True)
            polls += 1
            if self.cloud_poll > 0:
                await asyncio.sleep(self.cloud_poll)
            elif ok:
                return
            else:
                await asyncio.sleep(RETRY_WITHOUT_POLL)

    async def _cloud_read(self, *, presence: bool) -> None:
        fallback = self.fallback
        assert fallback is not None  # noqa: S101 (checked by the callers)
        async with self._cloud_lock:
            if presence:
                self._presence = await fallback.online()
                if not self._presence:
                    raise RouteError(
                        f"{self.name}: the Tuya cloud says the device is offline",
                        device_offline=True,
                    )
            dps = await fallback.read()
        if self._lan_connected():
            return  # the session came back meanwhile: the LAN's data wins
        self.source = "cloud"
        self._cloud_ok()
        self._on_dps(dps, full=True, count_energy=False)
        self._announce()

    def _cloud_ok(self) -> None:
        self._cloud_error = None
        if self._cloud_mode and self._presence is not False:
            self._cloud_online = True

    def _cloud_failed(self, error: RouteError, *, report: bool) -> None:
        """A cloud failure: reported once (until the cloud answers again), and the device
        is offline while it is read through the cloud."""
        if error.device_offline:
            self._presence = False
        message = str(error)
        if report and message != self._cloud_error:
            level: LogLevel = "warning" if error.device_offline else "error"
            self.outbox.problem(self, level, message)
        self._cloud_error = message
        if self._cloud_mode:
            self._cloud_online = False
            self._announce()

    # Commands ---------------------------------------------------------------------------

    async def _serve_commands(self) -> None:
        """Carry out the waiting commands in order, then end (the next one starts again)."""
        try:
            while self._commands:
                command = self._commands.popleft()
                try:
                    await self._execute(command)
                except (LanError, RouteError) as exc:
                    command.done(str(exc))
                except SetError as exc:
                    command.done(f"{self.name}: {exc}")
                else:
                    command.done(None)
        finally:
            # No await between the last check and here: a command submitted from now on
            # starts a new task.
            self._command_task = None
            if not self._commands:
                self._commands = None

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
            self._spawn(self._restore(delay, restore), "power-cycle")

    async def _write(self, dps: Mapping[str, DpValue]) -> None:
        link = self.link
        if link is not None and link.connected:
            try:
                await link.set_dps(dps)
            except NotConnected:
                if self.fallback is None:
                    raise
            else:
                return
        if self.fallback is None:
            raise LanError(self.name, "device is offline (no LAN session and no cloud route)")
        try:
            async with self._cloud_lock:
                await self.fallback.write(dps)
        except RouteError as exc:
            self._cloud_failed(exc, report=False)
            raise
        self.source = "cloud"
        self._cloud_ok()
        self._on_dps(dict(dps), full=False, count_energy=False)
        self._announce()

    async def _read_through_fallback(self) -> None:
        try:
            await self._cloud_read(presence=self._presence is False)
        except RouteError as exc:
            self._cloud_failed(exc, report=False)
            raise

    async def _restore(self, delay: float, dps: Mapping[str, DpValue]) -> None:
        """The second half of a power cycle on a device without a countdown DP."""
        await asyncio.sleep(delay)
        try:
            await self._write(dps)
        except (LanError, RouteError) as exc:
            self.outbox.problem(self, "error", f"power_cycle could not turn it back on: {exc}")
