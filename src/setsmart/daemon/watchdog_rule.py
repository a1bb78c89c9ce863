"""The watchdog rule: when to check the target, and when to power-cycle the socket.

Pure: no I/O, no asyncio. The driver (`watchdog`) passes the time in (`Now`: a monotonic
`t` for durations, the local wall clock for the calendar day and `last_cycle`), what it
sees of the device (`Socket`), and the outcome of what it was asked to do; it gets
`Action`s back, and publishes `document()` / saves `memory()` when they change.

Rules (CONTRACT.md "Watchdogs"):
- A check is due every `every` seconds; `tick` asks for one (`StartCheck`) only when
  none is in flight, so a slow target never piles checks up.
- A failed check counts unless the socket is being cycled, or within `boot_wait` of
  the socket coming back on (the router is still booting). `failures` counted failures
  in a row ask for a power cycle (`PowerCycle`), which the device carries out on its
  own countdown DP: off now, on again after `off_for`, even if the daemon dies.
- A cycle is only asked of a device that is online, whose socket is on (every gang of a
  strip: the countdown would switch an off gang on), and that has a countdown DP; else
  the watchdog is `waiting`, says why once, and cycles when that changes and the next
  check fails. A refused command is reported and not counted.
- At most `max_per_day` cycles per local calendar day; past that, `gave_up` until the
  target answers again. A socket the device reports off once the cycle should long be
  over (`off_for + boot_wait + CONFIRM_SLACK`) also stops the watchdog (`gave_up`):
  something is wrong with the plug, and cycling it again would not help.
- Any check that succeeds ends `failing`, `waiting` and `gave_up`: back to `ok`. During
  `cycling` it does so once `off_for` has passed (the socket's state may be unknown
  while the plug is itself reconnecting through the router).

| phase | check ok | check failed | tick |
|---|---|---|---|
| ok, failing | ok | failures+1; at the threshold: cycle, waiting or gave_up | check when due |
| waiting (boot) | ok | not counted before boot_wait is over, then as failing | check when due |
| waiting (device) | ok | failures+1, cycle when the device allows | check when due |
| cycling | ok after off_for | not counted | on -> waiting (boot); late, off -> gave_up |
| gave_up | ok | not counted | check when due |
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Final, Literal

from setsmart.config import WatchdogConfig
from setsmart.devices.state import iso_utc

#: Seconds, beyond `off_for + boot_wait`, for the plug to reconnect and report itself on.
CONFIRM_SLACK: Final = 60.0


class Phase(StrEnum):
    """The `state` of `B/watchdog/<name>`."""

    OK = "ok"
    FAILING = "failing"
    CYCLING = "cycling"
    WAITING = "waiting"
    GAVE_UP = "gave_up"


@dataclass(frozen=True, slots=True)
class Now:
    """A moment: `t` from a monotonic clock (seconds), `wall` the local time (aware)."""

    t: float
    wall: datetime


@dataclass(frozen=True, slots=True)
class Socket:
    """The watched device as the daemon sees it now.

    `on`: every switch on (None before its state is known); `problem`: why it cannot be
    power-cycled at all (no switch, no countdown DP), or None.
    """

    online: bool
    on: bool | None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Memory:
    """What survives a restart: today's cycles (by local day) and the last cycle."""

    day: date | None = None
    cycles_today: int = 0
    last_cycle: datetime | None = None


@dataclass(frozen=True, slots=True)
class StartCheck:
    """Check the target now."""


@dataclass(frozen=True, slots=True)
class PowerCycle:
    """Send `{"power_cycle": seconds}` to the device; answer `cycle_sent`/`cycle_failed`."""

    seconds: int


@dataclass(frozen=True, slots=True)
class Report:
    """A line for `B/bridge/log`."""

    level: Literal["info", "warning", "error"]
    message: str


Action = StartCheck | PowerCycle | Report


class WatchdogRule:
    """One watchdog's rule; every method takes the time and returns what to do."""

    def __init__(self, config: WatchdogConfig, now: Now, memory: Memory | None = None) -> None:
        self.config = config
        self.phase = Phase.OK
        self.failures = 0
        self.target_up: bool | None = None
        self.reason: str | None = None
        self.memory = memory or Memory()
        self._next_check = now.t
        self._checking = False
        self._sending = False
        self._cycle_at: float | None = None
        self._boot_until: float | None = None
        self._last_error: str | None = None
        self._late_reported = False
        # While cycling: when to look at the socket next (off_for over, then the deadline).
        self._look_at: float | None = None
        self._roll_day(now)
        self._resume(now)

    # Inputs ---------------------------------------------------------------------------

    def tick(self, now: Now, socket: Socket) -> list[Action]:
        """The driver woke up (at `wake_at()` or after an event)."""
        self._roll_day(now)
        actions: list[Action] = []
        if self.phase is Phase.CYCLING and not self._sending:
            actions += self._watch_cycle(now, socket)
        if not self._checking and now.t >= self._next_check:
            self._checking = True
            self._next_check = now.t + self.config.every
            actions.append(StartCheck())
        return actions

    def checked(self, now: Now, socket: Socket, error: str | None) -> list[Action]:
        """The check ended: `error` is None when the target answered."""
        self._checking = False
        self._roll_day(now)
        if error is None:
            return self._target_answered(now)
        self.target_up = False
        actions: list[Action] = []
        if error != self._last_error:
            self._last_error = error
            actions.append(Report("warning", f"{self._name}: {error}"))
        if self._counts(now):
            self.failures += 1
            if self.failures >= self.config.failures:
                actions += self._try_cycle(now, socket)
            else:
                self._enter(Phase.FAILING)
        return actions

    def cycle_sent(self, now: Now) -> list[Action]:
        """The device took the power cycle (its switch is off, its countdown runs)."""
        self._sending = False
        self._roll_day(now)
        self._cycle_at = now.t
        self._look_at = now.t + self.config.off_for
        self.memory = Memory(
            self.memory.day, self.memory.cycles_today + 1, now.wall.astimezone(UTC)
        )
        failures, self.failures = self.failures, 0
        config = self.config
        return [
            Report(
                "info",
                f"{self._name}: {self._target} failed {failures} checks in a row; "
                f"power-cycling {config.device} (off for {config.off_for} s, cycle "
                f"{self.memory.cycles_today} of {config.max_per_day} today)",
            )
        ]

    def cycle_failed(self, now: Now, error: str) -> list[Action]:
        """The device refused the power cycle (or could not be reached): nothing counted,
        tried again after the next failed check."""
        self._sending = False
        self._enter(Phase.FAILING)
        return [
            Report(
                "error",
                f"{self._name}: the power cycle of {self.config.device} failed, no cycle "
                f"counted; trying again after the next failed check: {error}",
            )
        ]

    # Outputs --------------------------------------------------------------------------

    def wake_at(self) -> float | None:
        """When `tick` must run next (monotonic); None while only events can move it."""
        times = [] if self._checking else [self._next_check]
        if self.phase is Phase.CYCLING and self._look_at is not None:
            times.append(self._look_at)
        return min(times, default=None)

    @property
    def cycling(self) -> bool:
        """Whether a cycle is under way (the socket may be off)."""
        return self.phase is Phase.CYCLING

    def document(self) -> dict[str, object]:
        """The JSON of `B/watchdog/<name>`."""
        last = self.memory.last_cycle
        return {
            "state": self.phase.value,
            "failures": self.failures,
            "target_up": self.target_up,
            "cycles_today": self.memory.cycles_today,
            "last_cycle": None if last is None else iso_utc(last),
            "reason": self.reason,
        }

    # Transitions ----------------------------------------------------------------------

    @property
    def _name(self) -> str:
        return f"watchdog {self.config.name}"

    @property
    def _target(self) -> str:
        return self.config.target

    def _enter(self, phase: Phase, reason: str | None = None) -> None:
        self.phase, self.reason = phase, reason

    def _counts(self, now: Now) -> bool:
        if self.phase in (Phase.CYCLING, Phase.GAVE_UP) or self._sending:
            return False
        return self._boot_until is None or now.t >= self._boot_until

    def _target_answered(self, now: Now) -> list[Action]:
        self.target_up, self.failures, self._last_error = True, 0, None
        cycle_at = self._cycle_at
        if self._sending or (
            self.phase is Phase.CYCLING
            and cycle_at is not None
            and now.t < cycle_at + self.config.off_for
        ):
            return []
        was = self.phase
        self._enter(Phase.OK)
        self._cycle_at = self._boot_until = self._look_at = None
        if was is Phase.GAVE_UP:
            return [Report("info", f"{self._name}: {self._target} answers again; watching again")]
        return []

    def _try_cycle(self, now: Now, socket: Socket) -> list[Action]:
        config = self.config
        if self.memory.cycles_today >= config.max_per_day:
            self._enter(Phase.GAVE_UP, f"{config.max_per_day} power cycles today (max_per_day)")
            return [
                Report(
                    "warning",
                    f"{self._name}: {self._target} failed {self.failures} checks in a row, "
                    f"and {config.device} was power-cycled {self.memory.cycles_today} times "
                    f"today (max_per_day {config.max_per_day}); giving up until "
                    f"{self._target} answers again",
                )
            ]
        why = _blocked(config.device, socket)
        if why is not None:
            reported = self.phase is Phase.WAITING and self.reason == why
            self._enter(Phase.WAITING, why)
            if reported:
                return []
            return [Report("warning", f"{self._name}: not power-cycling: {why}; waiting")]
        self._sending = True
        self._boot_until = None
        self._late_reported = False
        self._enter(Phase.CYCLING)
        return [PowerCycle(config.off_for)]

    def _watch_cycle(self, now: Now, socket: Socket) -> list[Action]:
        cycle_at = self._cycle_at
        assert cycle_at is not None  # noqa: S101 (set when the device took the cycle)
        config = self.config
        if now.t < cycle_at + config.off_for:
            return []
        if socket.online and socket.on:
            self._boot_until = now.t + config.boot_wait
            self._cycle_at = self._look_at = None
            self._enter(Phase.WAITING, "boot_wait")
            return []
        confirm_by = cycle_at + config.off_for + config.boot_wait + CONFIRM_SLACK
        if now.t < confirm_by:
            self._look_at = confirm_by
            return []
        self._look_at = None
        if socket.online and socket.on is False:
            why = f"{config.device} did not come back on after the power cycle"
            self._enter(Phase.GAVE_UP, why)
            self._cycle_at = None
            return [
                Report(
                    "error",
                    f"{self._name}: {why} ({now.t - cycle_at:.0f} s ago); the watchdog stops "
                    f"until {self._target} answers again: switch the socket on by hand",
                )
            ]
        if self._late_reported:
            return []
        self._late_reported = True
        return [
            Report(
                "warning",
                f"{self._name}: {config.device} has not been seen back on "
                f"{now.t - cycle_at:.0f} s after the power cycle ("
                f"{'offline' if not socket.online else 'state unknown'}); still waiting",
            )
        ]

    def _roll_day(self, now: Now) -> None:
        today = now.wall.date()
        if self.memory.day != today:
            self.memory = replace(self.memory, day=today, cycles_today=0)

    def _resume(self, now: Now) -> None:
        """After a restart: a cycle less than `off_for + boot_wait` ago is still booting."""
        last = self.memory.last_cycle
        if last is None:
            return
        span = self.config.off_for + self.config.boot_wait
        ago = (now.wall - last) / timedelta(seconds=1)
        if 0 <= ago < span:
            self._boot_until = now.t + span - ago
            self._enter(Phase.WAITING, "boot_wait")


def _blocked(device: str, socket: Socket) -> str | None:
    """Why the socket must not be cycled now, or None."""
    if socket.problem is not None:
        return socket.problem
    if not socket.online:
        return f"{device} is offline"
    if socket.on is None:
        return f"the state of {device} is not known yet"
    if not socket.on:
        return f"{device} is switched off (a power cycle would switch it on)"
    return None
