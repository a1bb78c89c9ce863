"""The watchdog rule, transition by transition (pure: the time is passed in)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from setsmart.config import WatchdogConfig
from setsmart.daemon.watchdog_rule import (
    CONFIRM_SLACK,
    Action,
    Memory,
    Now,
    Phase,
    PowerCycle,
    Report,
    Socket,
    StartCheck,
    WatchdogRule,
)

CONFIG = WatchdogConfig(
    name="router",
    device="plug",
    target="1.1.1.1:53",
    every=10,
    failures=3,
    off_for=30,
    boot_wait=300,
    max_per_day=2,
)
NOON = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
ON = Socket(online=True, on=True)
OFF = Socket(online=True, on=False)
OFFLINE = Socket(online=False, on=True)
UNKNOWN = Socket(online=True, on=None)
NO_COUNTDOWN = Socket(online=True, on=True, problem="plug has no countdown DP")
DOWN = "1.1.1.1:53 does not answer: connection refused"


@dataclass
class Run:
    """A rule on a clock the test moves; `start` is the wall clock at t = 0."""

    config: WatchdogConfig = CONFIG
    memory: Memory | None = None
    start: datetime = NOON
    t: float = 0.0
    rule: WatchdogRule = field(init=False)
    checking: bool = False

    def __post_init__(self) -> None:
        self.rule = WatchdogRule(self.config, self.now(), self.memory)

    def now(self) -> Now:
        return Now(self.t, self.start + timedelta(seconds=self.t))

    def wait(self, seconds: float) -> None:
        self.t += seconds

    def tick(self, socket: Socket = ON) -> list[Action]:
        actions = self.rule.tick(self.now(), socket)
        self.checking |= StartCheck() in actions
        return actions

    def check(self, error: str | None, socket: Socket = ON) -> list[Action]:
        """The check in flight, else the next one at its due time, answered with `error`
        (None: the target answered)."""
        started: list[Action] = []
        if not self.checking:
            wake = self.rule.wake_at()
            assert wake is not None
            self.t = max(self.t, wake)
            started = self.tick(socket)
            assert StartCheck() in started
        self.checking = False
        return [a for a in started if a != StartCheck()] + self.rule.checked(
            self.now(), socket, error
        )

    def fail(self, times: int = 1, socket: Socket = ON) -> list[Action]:
        actions: list[Action] = []
        for _ in range(times):
            actions = self.check(DOWN, socket)
        return actions

    def cycle(self) -> list[Action]:
        """Failures up to the threshold, and the device takes the cycle."""
        actions = self.fail(self.config.failures)
        assert PowerCycle(self.config.off_for) in actions
        return self.rule.cycle_sent(self.now())

    def back_on(self) -> None:
        """The socket is seen on again after off_for: boot_wait starts."""
        self.wait(self.config.off_for)
        self.tick(ON)
        assert self.rule.phase is Phase.WAITING


def messages(actions: Sequence[Action]) -> list[str]:
    return [f"{a.level}: {a.message}" for a in actions if isinstance(a, Report)]


def state(run: Run) -> tuple[str, int, int]:
    document = run.rule.document()
    return str(document["state"]), int(document["failures"]), int(document["cycles_today"])  # type: ignore[call-overload]


# ok / failing ---------------------------------------------------------------------------


def test_a_first_answer_is_ok() -> None:
    run = Run()
    assert run.rule.document() == {
        "state": "ok",
        "failures": 0,
        "target_up": None,
        "cycles_today": 0,
        "last_cycle": None,
        "reason": None,
    }
    assert run.check(None) == []
    assert run.rule.document()["target_up"] is True
    assert state(run) == ("ok", 0, 0)


def test_failures_count_and_the_cause_is_said_once() -> None:
    run = Run()
    assert messages(run.fail()) == [f"warning: watchdog router: {DOWN}"]
    assert state(run) == ("failing", 1, 0)
    assert run.fail() == []
    assert state(run) == ("failing", 2, 0)
    assert run.rule.document()["target_up"] is False
    other = "router.invalid does not resolve"
    assert messages(run.check(other)) != []  # a new cause is said again


def test_an_answer_ends_failing() -> None:
    run = Run()
    run.fail(2)
    assert run.check(None) == []
    assert state(run) == ("ok", 0, 0)
    run.fail(2)
    assert state(run) == ("failing", 2, 0)  # counted from zero again


def test_the_threshold_asks_for_a_power_cycle_through_the_countdown() -> None:
    run = Run()
    actions = run.fail(3)
    assert actions == [PowerCycle(30)]
    assert run.rule.phase is Phase.CYCLING
    assert run.rule.cycling


def test_a_cycle_taken_is_counted_stamped_and_said() -> None:
    run = Run()
    assert messages(run.cycle()) == [
        "info: watchdog router: 1.1.1.1:53 failed 3 checks in a row; power-cycling plug "
        "(off for 30 s, cycle 1 of 2 today)"
    ]
    assert state(run) == ("cycling", 0, 1)
    assert run.rule.document()["last_cycle"] == "2026-12-04T12:00:20Z"


def test_failures_with_failures_1_cycle_at_once() -> None:
    run = Run(WatchdogConfig(name="r", device="plug", target="h:1", failures=1))
    assert run.fail() == [Report("warning", f"watchdog r: {DOWN}"), PowerCycle(30)]


# cycling --------------------------------------------------------------------------------


def test_failures_while_cycling_do_not_count() -> None:
    run = Run()
    run.cycle()
    run.fail(5, socket=OFF)
    assert state(run) == ("cycling", 0, 1)


def test_a_socket_reported_on_before_off_for_is_not_taken_as_back() -> None:
    run = Run()
    run.cycle()
    run.wait(10)
    assert run.tick(ON) == [StartCheck()]
    assert run.rule.phase is Phase.CYCLING


def test_the_socket_back_on_starts_boot_wait() -> None:
    run = Run()
    run.cycle()
    run.wait(30)
    assert run.tick(ON) == [StartCheck()]
    assert run.rule.document()["state"] == "waiting"
    assert run.rule.document()["reason"] == "boot_wait"


def test_an_answer_while_cycling_ends_it_only_after_off_for() -> None:
    run = Run()
    run.cycle()
    run.check(None, socket=OFFLINE)
    assert run.rule.phase is Phase.CYCLING
    run.wait(30)
    run.check(None, socket=OFFLINE)  # the plug reconnects later than the router: fine
    assert state(run) == ("ok", 0, 1)


def test_the_socket_still_off_long_after_the_cycle_stops_the_watchdog() -> None:
    run = Run()
    run.cycle()
    run.wait(30 + 300 + CONFIRM_SLACK - 1)
    assert messages(run.tick(OFF)) == []
    assert run.rule.phase is Phase.CYCLING
    run.wait(1)
    assert messages(run.tick(OFF)) == [
        "error: watchdog router: plug did not come back on after the power cycle (390 s ago); "
        "the watchdog stops until 1.1.1.1:53 answers again: switch the socket on by hand"
    ]
    assert run.rule.document()["state"] == "gave_up"
    assert run.rule.document()["reason"] == "plug did not come back on after the power cycle"
    run.fail(10)
    assert state(run) == ("gave_up", 0, 1)  # never cycled again while it is off
    assert messages(run.check(None)) == [
        "info: watchdog router: 1.1.1.1:53 answers again; watching again"
    ]
    assert state(run) == ("ok", 0, 1)


def test_a_plug_offline_long_after_the_cycle_is_waited_for() -> None:
    run = Run()
    run.cycle()
    run.wait(30 + 300 + CONFIRM_SLACK)
    assert messages(run.tick(OFFLINE)) == [
        "warning: watchdog router: plug has not been seen back on 390 s after the power "
        "cycle (offline); still waiting"
    ]
    run.wait(100)
    assert messages(run.tick(OFFLINE)) == []  # said once
    run.tick(ON)
    assert run.rule.phase is Phase.WAITING


def test_wake_at_covers_off_for_and_the_confirmation_deadline() -> None:
    run = Run(WatchdogConfig(name="r", device="plug", target="h:1", every=1000))
    run.cycle()
    assert run.t == 2000
    assert run.rule.wake_at() == 2030  # off_for is over: look at the socket
    run.t = 2030
    run.tick(OFF)
    assert run.rule.wake_at() == 2000 + 30 + 300 + CONFIRM_SLACK  # the deadline
    run.t = run.rule.wake_at() or 0
    run.tick(OFF)
    assert run.rule.wake_at() == 3000  # only the next check


# waiting (boot) -------------------------------------------------------------------------


def test_boot_wait_holds_failures_then_they_count_again() -> None:
    run = Run()
    run.cycle()
    run.back_on()
    run.fail(20)
    assert state(run) == ("waiting", 0, 1)
    run.wait(300)
    run.fail()
    assert state(run) == ("failing", 1, 1)


def test_an_answer_ends_boot_wait() -> None:
    run = Run()
    run.cycle()
    run.back_on()
    run.check(None)
    assert state(run) == ("ok", 0, 1)
    assert run.rule.document()["reason"] is None


# refused cycles ---------------------------------------------------------------------------


def test_a_refused_cycle_is_reported_not_counted_and_tried_again() -> None:
    run = Run()
    run.fail(3)
    actions = run.rule.cycle_failed(run.now(), "plug: device is offline (no LAN session)")
    assert messages(actions) == [
        "error: watchdog router: the power cycle of plug failed, no cycle counted; trying "
        "again after the next failed check: plug: device is offline (no LAN session)"
    ]
    assert state(run) == ("failing", 3, 0)
    assert run.rule.document()["last_cycle"] is None
    assert run.fail() == [PowerCycle(30)]


def test_checks_while_the_command_is_under_way_are_not_counted() -> None:
    run = Run()
    run.fail(3)
    run.fail(2)  # the command has not been answered yet
    assert run.rule.failures == 3
    run.check(None)
    assert run.rule.phase is Phase.CYCLING  # the answer to the command decides


# waiting (device) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("socket", "why"),
    [
        (OFFLINE, "plug is offline"),
        (OFF, "plug is switched off (a power cycle would switch it on)"),
        (UNKNOWN, "the state of plug is not known yet"),
        (NO_COUNTDOWN, "plug has no countdown DP"),
    ],
)
def test_a_device_that_cannot_be_cycled_is_waited_for(socket: Socket, why: str) -> None:
    run = Run()
    run.fail(2, socket)
    actions = run.fail(1, socket)
    assert messages(actions) == [f"warning: watchdog router: not power-cycling: {why}; waiting"]
    assert not any(isinstance(a, PowerCycle) for a in actions)
    assert run.rule.document()["state"] == "waiting"
    assert run.rule.document()["reason"] == why
    assert run.fail(1, socket) == []  # said once
    assert state(run) == ("waiting", 4, 0)
    assert run.fail(1, ON) == [PowerCycle(30)]  # the device is fine again


def test_an_answer_ends_waiting_for_the_device() -> None:
    run = Run()
    run.fail(3, OFFLINE)
    run.check(None, OFFLINE)
    assert state(run) == ("ok", 0, 0)


# max_per_day, gave_up ---------------------------------------------------------------------


def test_max_per_day_gives_up_until_the_target_answers() -> None:
    run = Run()
    for _ in range(2):
        run.cycle()
        run.back_on()
        run.wait(300)
    actions = run.fail(3)
    assert messages(actions) == [
        "warning: watchdog router: 1.1.1.1:53 failed 3 checks in a row, and plug was "
        "power-cycled 2 times today (max_per_day 2); giving up until 1.1.1.1:53 answers again"
    ]
    assert state(run) == ("gave_up", 3, 2)
    assert run.rule.document()["reason"] == "2 power cycles today (max_per_day)"
    assert run.fail(10) == []
    assert run.rule.phase is Phase.GAVE_UP
    run.check(None)
    assert state(run) == ("ok", 0, 2)
    assert PowerCycle(30) not in run.fail(3)  # still 2 today: gives up again at once
    assert run.rule.phase is Phase.GAVE_UP


def test_max_per_day_0_only_watches() -> None:
    config = WatchdogConfig(name="r", device="plug", target="h:1", max_per_day=0)
    run = Run(config)
    assert not any(isinstance(a, PowerCycle) for a in run.fail(3))
    assert run.rule.phase is Phase.GAVE_UP


def test_a_new_local_day_starts_the_count_again() -> None:
    run = Run(start=datetime(2026, 12, 4, 23, 50, tzinfo=UTC))
    run.cycle()
    assert run.rule.document()["cycles_today"] == 1
    run.wait(600)  # past midnight
    run.tick(ON)
    assert run.rule.document()["cycles_today"] == 0
    assert run.rule.memory.day == date(2026, 12, 5)


def test_the_day_is_the_local_calendar_day() -> None:
    run = Run(start=datetime(2026, 12, 4, 23, 30, tzinfo=timezone(timedelta(hours=2))))
    assert run.rule.memory.day == date(2026, 12, 4)
    run.wait(3600)
    run.tick(ON)
    assert run.rule.memory.day == date(2026, 12, 5)


# checks -------------------------------------------------------------------------------


def test_one_check_in_flight_at_most() -> None:
    run = Run()
    assert run.tick(ON) == [StartCheck()]
    assert run.rule.wake_at() is None
    run.wait(100)
    assert run.tick(ON) == []  # the first one has not ended
    run.rule.checked(run.now(), ON, None)
    assert run.rule.wake_at() == 10  # due since t = 10
    assert run.tick(ON) == [StartCheck()]
    assert run.rule.wake_at() is None


def test_checks_are_every_seconds_apart() -> None:
    run = Run()
    run.check(None)
    assert run.rule.wake_at() == 10
    run.wait(3)
    assert run.tick(ON) == []
    run.check(None)
    assert run.t == 10


# restarts -----------------------------------------------------------------------------


def test_a_restart_keeps_the_count_and_waits_out_a_recent_cycle() -> None:
    first = Run()
    first.cycle()
    memory = first.rule.memory
    second = Run(memory=memory, start=NOON + timedelta(seconds=120))
    assert state(second) == ("waiting", 0, 1)
    assert second.rule.document()["last_cycle"] == "2026-12-04T12:00:20Z"
    second.fail(10)
    assert second.rule.failures == 0  # 330 s from the cycle: still booting
    second.wait(230)
    second.fail(3)
    assert second.rule.phase is Phase.CYCLING


def test_a_restart_on_another_day_starts_from_zero() -> None:
    memory = Memory(date(2026, 12, 3), 4, NOON - timedelta(days=1))
    run = Run(memory=memory)
    assert state(run) == ("ok", 0, 0)
    assert run.rule.document()["last_cycle"] == "2026-12-03T12:00:00Z"


def test_a_restart_after_max_per_day_does_not_cycle_again() -> None:
    memory = Memory(date(2026, 12, 4), 2, NOON - timedelta(hours=1))
    run = Run(memory=memory)
    run.fail(3)
    assert run.rule.phase is Phase.GAVE_UP
