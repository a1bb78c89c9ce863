"""One device's rules, without I/O: its route, its availability, its key, its commands.

`DeviceMachine.handle(event)` takes what happened (events below, each with the time it
happened when time matters) and returns what to do (actions below); it keeps the state
and nothing else: no asyncio, no socket, no clock of its own. `runtime.DeviceRuntime`
turns what its link, the cloud and MQTT do into events and carries out the actions; it
arms one timer at `wake_at` and sends `Tick` when it fires.

Route (where the device is reached; `ROUTES` is the table):
- STARTING: a LAN device whose session has not come up since start. With a fallback (the
  cloud), it is judged lost when the availability grace passes without a session.
- LAN: the session is up: online, `source: lan`; nothing is ever sent to the cloud.
- RECONNECTING: the session went down. The device stays online (no flapping) until the
  session has been down for the grace or `max_failures` reconnects in a row failed
  (`availability.Availability`); then it is lost. A sub-device its gateway reports out
  of reach is lost at once.
- Lost: CLOUD with a fallback (the device is polled through it, and online while it
  answers and says the device is online; announced after the first read, so the device
  does not blink offline), else OFFLINE. A device without a local key starts in CLOUD
  (or OFFLINE without a fallback).
- A session coming up moves every route to LAN: polling stops at once.
- ASLEEP: a sleeper's session ended or failed to connect (below).

Sleepers: battery devices that wake, report and sleep (most Wi-Fi sensors); `sleep` is
how long one may stay silent (`sleep_window`: the device's `sleep:`, else a day for a
sensor; a sub-device too, whose gateway's going down or reporting it out of reach is
no sleep: asleep, it then leaves its window for the usual way, online for the grace as
its gateway, or offline at once out of reach). For a sleeper a session that ends or
fails to connect is no error and starts no reconnect loop: the route is ASLEEP, the
link dozes (`Doze`: no attempt until woken; with no broadcasts to wake it,
`lan.discovery: false`, it keeps its capped backoff) and the cloud, with a fallback,
is polled. The device stays online while its last report (a
session, its broadcast `Heard`, or a cloud read while the cloud says it is online) is
younger than `sleep`; then it turns offline, once, with one line saying why. Its
broadcast starts a session at once (`Wake`), whatever backoff a failed attempt left. A
refused key is handled as for any device.

Presence (is the device connected to the cloud?) costs a call of its own: asked on the
first poll, every `PRESENCE_EVERY` polls after, and whenever the last answer was not
"online"; a command the cloud refuses as "device offline" counts too. A failure is
reported once, until the cloud answers again.

Commands: carried out one at a time, in arrival order; at most `QUEUE_LIMIT` wait. The
first waiting one goes out by the route (`DISPATCH`): over the session (LAN); held until
the session is back (RECONNECTING), but at most `timeout` seconds after it arrived, then
through the fallback or refused; through the fallback at once, or refused (any other
route), except while a session is starting (`LinkConnected`: the device took the
connection and its first read is under way): then it is held as in RECONNECTING, until
the session is up or fails (the device is back, so the LAN is a moment away). A LAN
command whose session dropped under it is held the same way for a new session and sent
once more (a reconnect loses nothing). When the device stops being served, every command
not yet answered is refused.

Local keys: the configured key is used first. When the device refuses it (a wrong-key
error; for 3.1-3.3 devices, which ignore a wrong key, `SILENT_SESSIONS` sessions in a row
that never got an answer), a key learnt from the cloud earlier is tried; when that is
refused too, or there is none, the current key is fetched from the key source (the
cloud), kept (never in the user's YAML) and the link restarts with it. A fetch for the
same refused key is not repeated for `KEY_RETRY` seconds. Once the configured key works
again, the learnt one is forgotten.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from setsmart.daemon.availability import Availability
from setsmart.daemon.commands import Command, CommandError, CommandFailed, DeviceOffline
from setsmart.mqtt.payloads import LogLevel
from setsmart.protocol import Dps

#: Commands that may wait for a device; one more is refused.
QUEUE_LIMIT: Final = 64
#: Polls between two presence checks of a device read through the cloud.
PRESENCE_EVERY: Final = 10
#: Seconds before the cloud is asked again for the key of a device that refuses it.
KEY_RETRY: Final = 300.0
#: Sessions in a row a 3.1-3.3 device left unanswered before its key is suspected.
SILENT_SESSIONS: Final = 2
#: Seconds a sensor may sleep and stay online when its `sleep:` is not set (CONTRACT).
SENSOR_SLEEP: Final = 86400.0

Source = Literal["lan", "cloud"]
Connection = Literal["lan", "cloud", "offline"]


class Route(enum.Enum):
    STARTING = "starting"
    LAN = "lan"
    RECONNECTING = "reconnecting"
    ASLEEP = "asleep"
    CLOUD = "cloud"
    OFFLINE = "offline"

    # Members are singletons: hashed by identity, in C (Enum's own __hash__ is Python
    # code, run at each lookup in `DISPATCH`, once per command).
    __hash__ = object.__hash__


class Signal(enum.Enum):
    """What moves the route: a session up or down, or the grace over (`LOST`); `SLEEP`: a
    sleeper's session down."""

    UP = "up"
    DOWN = "down"
    LOST = "lost"
    SLEEP = "sleep"


#: Route transitions; LOST stands for CLOUD or OFFLINE (with or without a fallback). A
#: signal missing from a route's row leaves the route as it is.
ROUTES: Final[dict[Route, dict[Signal, Route | None]]] = {
    Route.STARTING: {Signal.UP: Route.LAN, Signal.LOST: None, Signal.SLEEP: Route.ASLEEP},
    Route.LAN: {Signal.DOWN: Route.RECONNECTING, Signal.LOST: None, Signal.SLEEP: Route.ASLEEP},
    Route.RECONNECTING: {Signal.UP: Route.LAN, Signal.LOST: None, Signal.SLEEP: Route.ASLEEP},
    # DOWN, LOST: a sleeping sub-device whose gateway goes down or loses it.
    Route.ASLEEP: {Signal.UP: Route.LAN, Signal.DOWN: Route.RECONNECTING, Signal.LOST: None},
    Route.CLOUD: {Signal.UP: Route.LAN, Signal.SLEEP: Route.ASLEEP},
    Route.OFFLINE: {Signal.UP: Route.LAN, Signal.SLEEP: Route.ASLEEP},
}


class Via(enum.Enum):
    LAN = "lan"
    HOLD = "hold"  # wait for the session, up to `timeout` after arrival
    FALLBACK = "fallback"  # through the cloud, or refused without one


#: How the first waiting command goes out, by route.
DISPATCH: Final[dict[Route, Via]] = {
    Route.STARTING: Via.FALLBACK,
    Route.LAN: Via.LAN,
    Route.RECONNECTING: Via.HOLD,
    Route.ASLEEP: Via.FALLBACK,  # it wakes when it will, not when asked
    Route.CLOUD: Via.FALLBACK,
    Route.OFFLINE: Via.FALLBACK,
}

# Events ---------------------------------------------------------------------------------
# Events and actions are never changed once made; not frozen, as a frozen dataclass takes
# four times as long to build, and one is built for every report a device pushes.


@dataclass(slots=True)
class Start:
    now: float


@dataclass(slots=True)
class Stop:
    """The device is no longer served (a reload, or the daemon's end)."""


@dataclass(slots=True)
class Tick:
    """Time passed (the timer armed at `wake_at` fired)."""

    now: float


@dataclass(slots=True)
class LinkConnected:
    """A session is starting: the connection is open, its first read under way."""


@dataclass(slots=True)
class LinkUp:
    now: float


@dataclass(slots=True)
class LinkDown:
    """The session ended or a connect failed. `silent_version`: a 3.1-3.3 device (which
    ignores a wrong key); `reply_timeout`: the device never answered; `quiet`: the cause
    is reported by another device (a sub-device's gateway); `out_of_reach`: known to be
    unreachable (its gateway says so), so offline at once, without the grace."""

    now: float
    message: str
    wrong_key: bool = False
    reply_timeout: bool = False
    silent_version: bool = False
    quiet: bool = False
    out_of_reach: bool = False


@dataclass(slots=True)
class Heard:
    """The device's broadcast was heard (a sleeper is awake)."""

    now: float


@dataclass(slots=True)
class LanReport:
    dps: Dps
    full: bool


@dataclass(slots=True)
class CloudRead:
    """The fallback answered a read; `polled` by the poll loop (not a `/get`);
    `presence`: its presence was asked and it said online; `now`: when (a sleeper's
    report)."""

    dps: Dps
    polled: bool = False
    presence: bool = False
    now: float | None = None


@dataclass(slots=True)
class CloudWritten:
    dps: Dps


@dataclass(slots=True)
class CloudFailed:
    """A fallback call failed; `polled` failures are reported, a command's are its answer."""

    message: str
    device_offline: bool = False
    polled: bool = False


@dataclass(slots=True)
class KeyFetched:
    key: str = field(repr=False)
    refused: str = field(repr=False)


@dataclass(slots=True)
class KeyFetchFailed:
    message: str


@dataclass(slots=True)
class CommandArrived:
    now: float
    command: Command


@dataclass(slots=True)
class CommandDone:
    """The command sent out was answered (its `done` was called)."""

    now: float


@dataclass(slots=True)
class CommandLost:
    """The LAN session dropped under the command sent out; `message` says how."""

    now: float
    message: str


Event = (
    Start
    | Stop
    | Tick
    | LinkConnected
    | LinkUp
    | LinkDown
    | Heard
    | LanReport
    | CloudRead
    | CloudWritten
    | CloudFailed
    | KeyFetched
    | KeyFetchFailed
    | CommandArrived
    | CommandDone
    | CommandLost
)

# Actions --------------------------------------------------------------------------------


@dataclass(slots=True)
class StartLink:
    pass


@dataclass(slots=True)
class Doze:
    """Stop the link's reconnect attempts until `Wake` (a sleeper sleeps)."""


@dataclass(slots=True)
class Wake:
    """Start a session now, whatever backoff or doze the link is in."""


@dataclass(slots=True)
class Announce:
    """Availability or the connection kind changed; `online_changed`: availability did."""

    online: bool
    online_changed: bool


@dataclass(slots=True)
class Publish:
    """Publish the state document (its source changed)."""


@dataclass(slots=True)
class ApplyDps:
    dps: Dps
    full: bool
    count_energy: bool


@dataclass(slots=True)
class StartPoll:
    """Read the device through the fallback every poll; `wait`: not at once (a sleeper
    just heard on the LAN)."""

    wait: bool = False


@dataclass(slots=True)
class StopPoll:
    pass


@dataclass(slots=True)
class UseKey:
    """Restart the link with this key."""

    key: str = field(repr=False)


@dataclass(slots=True)
class FetchKey:
    refused: str = field(repr=False)


@dataclass(slots=True)
class SaveKey:
    """Keep this learnt key across restarts (None: forget the one kept)."""

    key: str | None = field(repr=False)


@dataclass(slots=True)
class Report:
    level: LogLevel
    message: str


@dataclass(slots=True)
class SendLan:
    command: Command


@dataclass(slots=True)
class SendCloud:
    command: Command


@dataclass(slots=True)
class Refuse:
    command: Command
    error: CommandError


Action = (
    StartLink
    | Doze
    | Wake
    | Announce
    | Publish
    | ApplyDps
    | StartPoll
    | StopPoll
    | UseKey
    | FetchKey
    | SaveKey
    | Report
    | SendLan
    | SendCloud
    | Refuse
)


@dataclass(slots=True)
class _Waiting:
    command: Command
    deadline: float  # when holding it for the session ends
    lost: str | None = None  # why its LAN session last dropped under it
    losses: int = 0  # sent again over the LAN after the first only
    fresh_session: bool = False  # held for a session that comes up after the loss


@dataclass(eq=False, slots=True)
class DeviceMachine:
    """The state of one device and its rules (see the module's docstring)."""

    name: str
    timeout: float  # `lan.timeout`: how long a command waits for a reconnect
    grace: float
    has_link: bool
    fallback: bool
    key_source: bool = False
    configured_key: str | None = field(default=None, repr=False)
    learnt_key: str | None = field(default=None, repr=False)
    # A sleeper's window (`sleep_window`; set again once the kind is known); None: not one.
    sleep: float | None = None
    hears_broadcasts: bool = True  # `lan.discovery`: a sleeper's broadcast can wake it
    route: Route = field(init=False)
    source: Source = field(init=False)
    availability: Availability = field(init=False)
    started: bool = field(init=False, default=False)
    cloud_online: bool = field(init=False, default=False)
    presence: bool | None = field(init=False, default=None)
    polls: int = field(init=False, default=0)
    polling: bool = field(init=False, default=False)
    key: str = field(init=False, default="", repr=False)
    heard_at: float | None = field(init=False, default=None)  # a sleeper's last report
    _start_deadline: float | None = field(init=False, default=None)
    _last_error: str | None = field(init=False, default=None)
    _cloud_error: str | None = field(init=False, default=None)
    _asleep_online: bool = field(init=False, default=False)  # ASLEEP within `sleep`
    _failed_connect: str | None = field(init=False, default=None)  # a sleeper's, since awake
    _announced: tuple[bool, Connection] = field(init=False, default=(False, "offline"))
    _session_up: bool = field(init=False, default=False)
    _session_starting: bool = field(init=False, default=False)  # LinkConnected, not yet up
    _silent_sessions: int = field(init=False, default=0)
    _tried_learnt: bool = field(init=False, default=False)
    _fetching: bool = field(init=False, default=False)
    _fetched_for: str | None = field(init=False, default=None, repr=False)
    _key_retry_at: float = field(init=False, default=0.0)
    # Waiting commands, only while there are some (an idle device holds no queue).
    _queue: deque[_Waiting] | None = field(init=False, default=None)
    _sent: _Waiting | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.availability = Availability(grace=self.grace)
        self.key = self.configured_key or ""
        if self.has_link:
            self.route, self.source = Route.STARTING, "lan"
        else:
            self.route, self.source = Route.OFFLINE, "cloud"

    # Queries ----------------------------------------------------------------------------

    @property
    def online(self) -> bool:
        """Reachable now: a live LAN session (within its grace), or through the cloud."""
        return self.availability.online or self.cloud_online or self._asleep_online

    @property
    def connection(self) -> Connection:
        return self.source if self.online else "offline"

    @property
    def presence_due(self) -> bool:
        """Whether the next poll asks the cloud for the device's presence too."""
        return self.polls % PRESENCE_EVERY == 0 or self.presence is not True

    @property
    def presence_for_get(self) -> bool:
        """Whether a `/get` through the cloud asks for presence first."""
        return self.presence is False

    @property
    def idle(self) -> bool:
        """No command waiting or out."""
        return self._queue is None and self._sent is None

    @property
    def waiting(self) -> int:
        return len(self._queue) if self._queue else 0

    @property
    def wake_at(self) -> float | None:
        """When the machine wants a `Tick` (None: nothing pending)."""
        when = self._start_deadline
        if (
            when is None
            and not self._queue
            and self.route is not Route.RECONNECTING
            and not self._asleep_online
        ):
            return None  # the usual case, asked after every event: kept short
        sleep_over = self._sleep_over
        if sleep_over is not None and (when is None or sleep_over < when):
            when = sleep_over
        if self.route is Route.RECONNECTING:
            grace_over = self.availability.deadline
            if grace_over is not None and (when is None or grace_over < when):
                when = grace_over
        if self._queue:
            head = self._holding()
            if head is not None and (when is None or head.deadline < when):
                when = head.deadline
        return when

    @property
    def _sleep_over(self) -> float | None:
        """When an asleep device that is online turns offline (None: it is not)."""
        if not self._asleep_online or self.heard_at is None or self.sleep is None:
            return None
        return self.heard_at + self.sleep

    # Events -----------------------------------------------------------------------------

    def handle(self, event: Event) -> list[Action]:
        return _HANDLERS[type(event)](self, event)

    def _start(self, event: Start) -> list[Action]:
        self.started = True
        actions: list[Action] = []
        if self.has_link:
            actions.append(StartLink())
            if self.fallback:
                self._start_deadline = event.now + self.grace
        elif self.fallback:
            actions += self._enter(Route.CLOUD)
        return actions + self._next(event.now)

    def _stop(self, event: Stop) -> list[Action]:
        unanswered = [self._sent] if self._sent is not None else []
        unanswered += self._queue or ()
        self.started, self._sent, self._queue = False, None, None
        self._session_starting = False
        error = (
            f"{self.name}: not carried out: the device stopped being served "
            "(a reload, or the daemon's end)"
        )
        return [Refuse(waiting.command, CommandFailed(error)) for waiting in unanswered]

    def _tick(self, event: Tick) -> list[Action]:
        now, actions = event.now, []
        if self._start_deadline is not None and now >= self._start_deadline:
            self._start_deadline = None
            actions += self._signal(Signal.LOST)
        if self.route is Route.RECONNECTING and self.availability.check(now):
            actions += self._signal(Signal.LOST)
        sleep_over = self._sleep_over
        if sleep_over is not None and now >= sleep_over:
            actions += self._slept_too_long()
        return actions + self._next(now)

    def _link_connected(self, event: LinkConnected) -> list[Action]:
        self._session_starting = True
        return []  # what waits is held from the next event on (`_via`)

    def _link_up(self, event: LinkUp) -> list[Action]:
        self.source, self._last_error = "lan", None
        self._session_up, self._silent_sessions = True, 0
        self._session_starting = False
        self._start_deadline = None
        self.availability.up()
        actions = self._signal(Signal.UP) + self._key_works()
        head = self._queue[0] if self._queue else None
        if head is not None:
            head.fresh_session = False
        return [*actions, Publish(), *self._announce(), *self._next(event.now)]

    def _link_down(self, event: LinkDown) -> list[Action]:
        self._session_starting = False
        # A sub-device's gateway going down (quiet) or reporting it out of reach is no
        # sleep: the gateway knows, so it goes the usual way.
        if self.sleep is not None and not event.quiet and not event.out_of_reach:
            return self._sleeper_down(event)

        actions: list[Action] = []
        if event.message != self._last_error and not event.quiet:
            self._last_error = event.message
            actions.append(Report("error", event.message))
        if event.wrong_key or self._silent_session(event):
            actions += self._wrong_key(event.now)
        if self.route is Route.ASLEEP and (self._asleep_online or event.out_of_reach):
            # A sleeping sub-device: its gateway, not its sleep window, decides now. Online
            # for the grace, as its gateway; lost at once when out of reach.
            self.availability.up()
        lost = self.availability.down(event.now, at_once=event.out_of_reach)
        actions += self._signal(Signal.LOST if lost else Signal.DOWN)
        return actions + self._next(event.now)

    def _heard(self, event: Heard) -> list[Action]:
        if self.sleep is None or not self.started or not self.has_link:
            return []
        self.heard_at = event.now
        if self.route is Route.LAN:
            return []  # already in a session
        actions: list[Action] = [Wake()]
        if self.route is Route.ASLEEP:
            self._asleep_online = True
            actions += self._announce()
        return actions

    def _lan_report(self, event: LanReport) -> list[Action]:
        self.source = "lan"
        return [ApplyDps(event.dps, event.full, True)]  # counted: the device's own report

    def _cloud_read(self, event: CloudRead) -> list[Action]:
        if event.polled:
            self.polls += 1
        if event.presence:
            self.presence = True
        if self.route is Route.LAN:
            return []  # the session came back meanwhile: the LAN's data wins
        if self.sleep is not None and event.now is not None and self.presence:
            self.heard_at = event.now  # the cloud heard from it
            self._asleep_online = self.route is Route.ASLEEP
        return self._cloud_ok(event.dps, full=True)

    def _cloud_written(self, event: CloudWritten) -> list[Action]:
        return self._cloud_ok(event.dps, full=False)

    def _cloud_ok(self, dps: Dps, *, full: bool) -> list[Action]:
        self.source, self._cloud_error = "cloud", None
        if self.route is Route.CLOUD and self.presence is not False:
            self.cloud_online = True
        # The cloud repeats the last energy increment it heard: only the LAN's count.
        return [ApplyDps(dps, full, count_energy=False), *self._announce()]

    def _cloud_failed(self, event: CloudFailed) -> list[Action]:
        actions: list[Action] = []
        if event.polled:
            self.polls += 1
        if event.device_offline:
            self.presence = False
        if event.polled and event.message != self._cloud_error:
            level: LogLevel = "warning" if event.device_offline else "error"
            actions.append(Report(level, event.message))
        self._cloud_error = event.message
        if self.route is Route.CLOUD:
            self.cloud_online = False
            actions += self._announce()
        return actions

    # Route ------------------------------------------------------------------------------

    def _signal(self, signal: Signal) -> list[Action]:
        row = ROUTES[self.route]
        if signal not in row:
            return []
        target = row[signal]
        if target is None:
            target = Route.CLOUD if self.fallback and self.started else Route.OFFLINE
        return self._enter(target)

    def _enter(self, route: Route) -> list[Action]:
        before, self.route = self.route, route
        actions: list[Action] = []
        if route is not Route.ASLEEP:
            self._asleep_online = False
        if route is Route.ASLEEP:
            self._start_deadline, self.cloud_online = None, False
            if self.fallback and not self.polling:
                self.polling, self.polls = True, 0
                actions.append(StartPoll(wait=self._asleep_online))
            return actions  # announced by the caller, which knows the sleep window
        if route is Route.CLOUD:
            if not self.polling:
                self.polling, self.polls = True, 0
                actions.append(StartPoll())
            return actions  # announced after the first read
        if route is Route.LAN:
            self.cloud_online, self.presence, self._cloud_error = False, None, None
            if self.polling:
                self.polling = False
                actions.append(StopPoll())
        if route is Route.OFFLINE and before is not Route.OFFLINE:
            actions += self._announce()
        return actions

    # Sleepers ---------------------------------------------------------------------------

    def _sleeper_down(self, event: LinkDown) -> list[Action]:
        """A sleeper's session ended or a connect failed: no error line and no reconnect
        loop, but a refused key is told and handled as for any device."""
        was_up = self._session_up
        actions: list[Action] = []
        if event.wrong_key or self._silent_session(event):
            if event.message != self._last_error:
                self._last_error = event.message
                actions.append(Report("error", event.message))
            actions += self._wrong_key(event.now)
        failed = None if was_up else event.message
        return actions + self._fall_asleep(event.now, failed) + self._next(event.now)

    def _fall_asleep(self, now: float, failed: str | None) -> list[Action]:
        """A sleeper's session ended, or a connect failed (`failed`: why): it sleeps (no
        reconnect loop)."""
        self._failed_connect = failed
        if failed is None:
            self.heard_at = now  # heard until its session ended
        self.availability.asleep()
        heard = self.heard_at
        self._asleep_online = (
            heard is not None and self.sleep is not None and now < heard + self.sleep
        )
        doze = [Doze()] if self.hears_broadcasts else []
        return [*self._signal(Signal.SLEEP), *doze, *self._announce()]

    def _slept_too_long(self) -> list[Action]:
        self._asleep_online = False
        failed = self._failed_connect
        last = f"; the last attempt to connect to it failed: {failed}" if failed else ""
        message = (
            f"{self.name}: not heard from for {self.sleep:g} s (its sleep:), so offline "
            f"until it reports again{last}"
        )
        return [Report("warning", message), *self._announce()]

    def _announce(self) -> list[Action]:
        now = (self.online, self.connection)
        if now == self._announced:
            return []
        was_online = self._announced[0]
        self._announced = now
        return [Announce(now[0], now[0] != was_online)]

    # Keys -------------------------------------------------------------------------------

    def _silent_session(self, event: LinkDown) -> bool:
        """Whether this is one more 3.1-3.3 session in a row that the device never
        answered: such devices ignore requests sealed with a wrong key."""
        was_up, self._session_up = self._session_up, False
        if was_up or not event.silent_version or not event.reply_timeout:
            self._silent_sessions = 0
            return False
        self._silent_sessions += 1
        return self._silent_sessions >= SILENT_SESSIONS

    def _wrong_key(self, now: float) -> list[Action]:
        learnt = self.learnt_key
        if (
            self.configured_key is not None
            and self.key == self.configured_key
            and learnt
            and learnt != self.key
            and not self._tried_learnt
        ):
            self._tried_learnt = True
            message = (
                f"{self.name}: the configured local key is refused; "
                "using the key learnt from the Tuya cloud earlier"
            )
            return [Report("info", message), *self._use_key(learnt)]
        if not self.key_source or not self.started or self._fetching:
            return []
        if self._fetched_for == self.key and now < self._key_retry_at:
            return []
        self._fetching = True
        self._fetched_for, self._key_retry_at = self.key, now + KEY_RETRY
        return [FetchKey(self.key)]

    def _use_key(self, key: str) -> list[Action]:
        self.key, self._silent_sessions = key, 0
        return [UseKey(key)]

    def _key_works(self) -> list[Action]:
        """The session is up: a learnt key is obsolete once the configured one works."""
        if self.configured_key is None or self.key != self.configured_key:
            return []
        self._tried_learnt = False
        if self.learnt_key is None:
            return []
        self.learnt_key = None
        return [SaveKey(None)]

    def _key_fetched(self, event: KeyFetched) -> list[Action]:
        self._fetching = False
        if event.key == event.refused:
            return [
                Report(
                    "error",
                    f"{self.name}: the Tuya cloud has the same local key as the one in use, so "
                    "the key is not what fails: check the device's protocol version and address",
                )
            ]
        if self.key != event.refused or self.route is Route.LAN:
            return []  # another key was tried meanwhile, or the LAN works again
        self.learnt_key = event.key
        message = (
            f"{self.name}: the device's local key has changed; now using its new key from "
            "the Tuya cloud (kept in the state directory; the configuration file is unchanged)"
        )
        return [SaveKey(event.key), Report("info", message), *self._use_key(event.key)]

    def _key_fetch_failed(self, event: KeyFetchFailed) -> list[Action]:
        self._fetching = False
        message = f"{event.message} (while asking the Tuya cloud for the device's local key)"
        return [Report("error", message)]

    # Commands ---------------------------------------------------------------------------

    def _command_arrived(self, event: CommandArrived) -> list[Action]:
        queue = self._queue
        if queue is None:
            queue = self._queue = deque()
        if len(queue) >= QUEUE_LIMIT:
            error = CommandFailed(
                f"{self.name}: {QUEUE_LIMIT} commands are already waiting; this one is dropped"
            )
            return [Refuse(event.command, error)]
        queue.append(_Waiting(event.command, event.now + self.timeout))
        return self._next(event.now)

    def _command_done(self, event: CommandDone) -> list[Action]:
        self._sent = None
        return self._next(event.now)

    def _command_lost(self, event: CommandLost) -> list[Action]:
        sent, self._sent = self._sent, None
        if sent is None:
            return self._next(event.now)
        sent.lost, sent.losses = event.message, sent.losses + 1
        sent.fresh_session = sent.losses == 1  # held for a new session, then sent again
        sent.deadline = event.now + self.timeout
        if self._queue is None:
            self._queue = deque()
        self._queue.appendleft(sent)
        return self._next(event.now)

    def _holding(self) -> _Waiting | None:
        """The first waiting command when it is held for the session."""
        if self._sent is not None or not self._queue or not self.started:
            return None
        head = self._queue[0]
        return head if self._via(head) is Via.HOLD else None

    def _via(self, waiting: _Waiting) -> Via:
        via = DISPATCH[self.route]
        if waiting.losses > 1:
            return Via.FALLBACK
        if waiting.fresh_session and via is Via.LAN:
            return Via.HOLD  # the session it was lost on is not down yet
        if via is Via.FALLBACK and self._session_starting:
            return Via.HOLD
        return via

    def _next(self, now: float) -> list[Action]:
        """Send out (or refuse) the first waiting commands, while nothing is out."""
        actions: list[Action] = []
        queue = self._queue
        while queue and self._sent is None and self.started:
            head = queue[0]
            via = self._via(head)
            if via is Via.HOLD:
                if now < head.deadline:
                    break
                via = Via.FALLBACK
            queue.popleft()
            if via is Via.LAN:
                self._sent = head
                actions.append(SendLan(head.command))
            elif self.fallback:
                self._sent = head
                actions.append(SendCloud(head.command))
            else:
                actions.append(Refuse(head.command, self._offline(head)))
        if not queue:
            self._queue = None
        return actions

    def _offline(self, waiting: _Waiting) -> CommandError:
        if waiting.losses > 1:
            return CommandFailed(waiting.lost or self.name)
        if waiting.lost is not None:
            return DeviceOffline(
                f"{waiting.lost}; the session did not come back within {self.timeout:g} s "
                "(no cloud route)"
            )
        if self.route is Route.ASLEEP:
            return DeviceOffline(
                f"{self.name}: the device is asleep (a battery device; it is read when it "
                "next wakes), and there is no cloud route"
            )
        if self.route is Route.RECONNECTING:
            return DeviceOffline(
                f"{self.name}: device is offline (its LAN session did not come back within "
                f"{self.timeout:g} s, and there is no cloud route)"
            )
        if self._session_starting:
            return DeviceOffline(
                f"{self.name}: device is offline (its LAN session, starting, did not come up "
                f"within {self.timeout:g} s, and there is no cloud route)"
            )
        return DeviceOffline(f"{self.name}: device is offline (no LAN session and no cloud route)")


_HANDLERS: Final[dict[type, Callable[[DeviceMachine, Any], list[Action]]]] = {
    Start: DeviceMachine._start,
    Stop: DeviceMachine._stop,
    Tick: DeviceMachine._tick,
    LinkConnected: DeviceMachine._link_connected,
    LinkUp: DeviceMachine._link_up,
    LinkDown: DeviceMachine._link_down,
    Heard: DeviceMachine._heard,
    LanReport: DeviceMachine._lan_report,
    CloudRead: DeviceMachine._cloud_read,
    CloudWritten: DeviceMachine._cloud_written,
    CloudFailed: DeviceMachine._cloud_failed,
    KeyFetched: DeviceMachine._key_fetched,
    KeyFetchFailed: DeviceMachine._key_fetch_failed,
    CommandArrived: DeviceMachine._command_arrived,
    CommandDone: DeviceMachine._command_done,
    CommandLost: DeviceMachine._command_lost,
}


def sleep_window(sleep: float | None, kind: str) -> float | None:
    """How long a device may stay silent and online (None: it does not sleep): its
    `sleep:`, else `SENSOR_SLEEP` for a sensor (the CONTRACT's default). A sub-device
    too: a sleeping Zigbee sensor answers no query, and its reports are what count."""
    if sleep is not None:
        return sleep
    return SENSOR_SLEEP if kind == "sensor" else None
