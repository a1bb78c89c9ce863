"""The device machine alone, in memory: every route transition, the cloud, the keys and
the commands, with time passed in by hand (no broker, socket, loop or sleep)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from setsmart.daemon import machine as m
from setsmart.daemon.commands import (
    Command,
    CommandError,
    CommandFailed,
    CommandKind,
    DeviceOffline,
)
from setsmart.daemon.machine import Route

GRACE = 5.0
TIMEOUT = 1.0
CONFIGURED = "configuredkey000"
LEARNT = "learntkey0000000"
FETCHED = "fetchedkey000000"


def device(
    *,
    fallback: bool = False,
    link: bool = True,
    keys: bool = False,
    learnt: str | None = None,
    sleep: float | None = None,
) -> m.DeviceMachine:
    return m.DeviceMachine(
        "desk",
        timeout=TIMEOUT,
        grace=GRACE,
        has_link=link,
        fallback=fallback,
        key_source=keys,
        configured_key=CONFIGURED if link else None,
        learnt_key=learnt,
        sleep=sleep,
    )


def where(machine: m.DeviceMachine) -> tuple[Route, str]:
    """The route and the source (a call: what an event changes is read afresh)."""
    return machine.route, machine.source


def kinds(actions: list[m.Action]) -> list[type]:
    return [type(action) for action in actions]


_downs = iter(range(1_000_000))


def down(now: float, **flags: bool) -> m.LinkDown:
    """A session end with a message of its own (repeated messages are reported once)."""
    return m.LinkDown(now, f"desk: connection lost #{next(_downs)}", **flags)


def drive(machine: m.DeviceMachine, route: Route) -> float:
    """Bring a started LAN device to `route`; the time it is then."""
    machine.handle(m.Start(0.0))
    if route is Route.STARTING:
        return 0.0
    machine.handle(m.LinkUp(1.0))
    if route is Route.LAN:
        return 1.0
    machine.handle(down(2.0))
    if route is Route.RECONNECTING:
        return 2.0
    machine.handle(m.Tick(2.0 + GRACE))
    assert machine.route is route
    return 2.0 + GRACE


@dataclass
class Answers:
    """Commands with a number; what each was answered."""

    got: dict[int, CommandError | None] = field(default_factory=dict)

    def command(self, n: int, kind: CommandKind = "set") -> Command:
        def done(error: CommandError | None) -> None:
            self.got[n] = error

        return Command(kind, {"state": "ON"}, f"st/desk/{kind}#{n}", done)


def sent(actions: list[m.Action]) -> list[tuple[str, str]]:
    """The commands sent out by these actions: (how, topic)."""
    out = []
    for action in actions:
        if isinstance(action, m.SendLan):
            out.append(("lan", action.command.topic))
        elif isinstance(action, m.SendCloud):
            out.append(("cloud", action.command.topic))
        elif isinstance(action, m.Refuse):
            out.append(("refused", action.command.topic))
    return out


# Routes ---------------------------------------------------------------------------------

UP, DOWN, GRACE_OVER, CONNECTED = "up", "down", "grace over", "connected"

#: (route before, with a fallback, what happens, route after, actions). The grace over is
#: a Tick past both the start and the availability grace.
ROUTE_CASES = [
    (Route.STARTING, False, UP, Route.LAN, [m.Publish, m.Announce]),
    (Route.STARTING, True, UP, Route.LAN, [m.Publish, m.Announce]),
    (Route.STARTING, False, DOWN, Route.STARTING, [m.Report]),
    (Route.STARTING, True, DOWN, Route.STARTING, [m.Report]),
    (Route.STARTING, False, GRACE_OVER, Route.STARTING, []),  # no fallback: keeps trying
    (Route.STARTING, True, GRACE_OVER, Route.CLOUD, [m.StartPoll]),
    (Route.LAN, False, DOWN, Route.RECONNECTING, [m.Report]),  # still online: no Announce
    (Route.LAN, True, DOWN, Route.RECONNECTING, [m.Report]),
    (Route.LAN, True, GRACE_OVER, Route.LAN, []),
    (Route.RECONNECTING, False, UP, Route.LAN, [m.Publish]),
    (Route.RECONNECTING, True, UP, Route.LAN, [m.Publish]),
    (Route.RECONNECTING, False, DOWN, Route.RECONNECTING, [m.Report]),
    (Route.RECONNECTING, False, GRACE_OVER, Route.OFFLINE, [m.Announce]),
    (Route.RECONNECTING, True, GRACE_OVER, Route.CLOUD, [m.StartPoll]),  # announced on read
    (Route.CLOUD, True, UP, Route.LAN, [m.StopPoll, m.Publish]),  # never seen offline
    (Route.CLOUD, True, DOWN, Route.CLOUD, [m.Report]),
    (Route.CLOUD, True, GRACE_OVER, Route.CLOUD, []),
    (Route.OFFLINE, False, UP, Route.LAN, [m.Publish, m.Announce]),
    (Route.OFFLINE, False, DOWN, Route.OFFLINE, [m.Report]),
    (Route.OFFLINE, False, GRACE_OVER, Route.OFFLINE, []),
    # A session starting moves no route (only what a command waits for).
    (Route.STARTING, False, CONNECTED, Route.STARTING, []),
    (Route.RECONNECTING, False, CONNECTED, Route.RECONNECTING, []),
    (Route.CLOUD, True, CONNECTED, Route.CLOUD, []),
    (Route.OFFLINE, False, CONNECTED, Route.OFFLINE, []),
]


@pytest.mark.parametrize(("before", "fallback", "what", "after", "actions"), ROUTE_CASES)
def test_route_transitions(
    before: Route, fallback: bool, what: str, after: Route, actions: list[type]
) -> None:
    machine = device(fallback=fallback)
    now = drive(machine, before) + 0.5
    events: dict[str, m.Event] = {
        UP: m.LinkUp(now),
        DOWN: down(now),
        GRACE_OVER: m.Tick(now + GRACE + 1),
        CONNECTED: m.LinkConnected(),
    }
    event = events[what]
    assert kinds(machine.handle(event)) == actions
    assert machine.route is after


def test_every_route_and_signal_is_covered_by_the_cases() -> None:
    covered = {(before, what) for before, _, what, _, _ in ROUTE_CASES}
    covered |= {(before, what) for (before, _), _, what, _, _ in SLEEPER_CASES}
    for route in Route:
        for what in (UP, DOWN, GRACE_OVER):
            if (route, what) == (Route.LAN, UP):
                continue  # a session cannot come up twice
            assert (route, what) in covered, (route, what)


def test_a_device_goes_offline_after_max_failures_within_the_grace() -> None:
    machine = device()
    drive(machine, Route.RECONNECTING)  # one failure
    assert kinds(machine.handle(down(2.1))) == [m.Report]
    actions = machine.handle(down(2.2))  # the third in a row
    assert machine.route is Route.OFFLINE
    assert actions[-1] == m.Announce(online=False, online_changed=True)
    assert machine.connection == "offline"


def test_a_sub_device_its_gateway_reports_out_of_reach_is_offline_at_once() -> None:
    machine = m.DeviceMachine(
        "plug (via gateway hub)", TIMEOUT, GRACE, has_link=True, fallback=False
    )
    machine.handle(m.Start(0.0))
    machine.handle(m.LinkUp(1.0))
    message = "plug (via gateway hub): the gateway reports it offline (out of its reach)"
    actions = machine.handle(m.LinkDown(2.0, message, out_of_reach=True))
    assert actions == [
        m.Report("error", message),
        m.Announce(online=False, online_changed=True),
    ]
    assert machine.route is Route.OFFLINE
    assert machine.wake_at is None
    assert kinds(machine.handle(m.LinkUp(3.0))) == [m.Publish, m.Announce]


def test_a_quiet_session_end_is_not_reported_and_keeps_the_grace() -> None:
    """A sub-device whose gateway's session dropped: the gateway's own line says why."""
    machine = device()
    drive(machine, Route.LAN)
    assert machine.handle(down(2.0, quiet=True)) == []
    assert machine.route is Route.RECONNECTING
    assert machine.online
    assert machine.handle(m.Tick(2.0 + GRACE)) == [m.Announce(online=False, online_changed=True)]


def test_reconnecting_asks_to_be_woken_at_the_end_of_the_grace() -> None:
    machine = device()
    drive(machine, Route.RECONNECTING)
    assert machine.wake_at == 2.0 + GRACE
    assert machine.online  # no flapping while it reconnects
    assert machine.handle(m.Tick(2.0 + GRACE - 0.1)) == []
    assert machine.route is Route.RECONNECTING


def test_a_lan_device_with_a_fallback_is_woken_at_the_end_of_the_start_grace() -> None:
    machine = device(fallback=True)
    assert kinds(machine.handle(m.Start(10.0))) == [m.StartLink]
    assert machine.wake_at == 10.0 + GRACE
    machine.handle(m.LinkUp(11.0))
    assert machine.wake_at is None


def test_lan_reports_set_the_source_and_count_energy() -> None:
    machine = device(fallback=True)
    drive(machine, Route.CLOUD)
    machine.handle(m.CloudRead({"1": True}))
    assert where(machine) == (Route.CLOUD, "cloud")
    assert machine.handle(m.LanReport({"1": False}, full=False)) == [
        m.ApplyDps({"1": False}, full=False, count_energy=True)
    ]
    assert where(machine) == (Route.CLOUD, "lan")


# Sleepers -------------------------------------------------------------------------------

SLEEP = 30.0  # longer than the grace: what keeps a sleeper online is its own window
HEARD, SLEEP_OVER = "heard", "sleep over"
# A sleeping sub-device's: its gateway went down (quiet), or reports it out of its reach.
GATEWAY_DOWN, OUT_OF_REACH = "gateway down", "out of reach"
AWAKE_ASLEEP = (Route.ASLEEP, True)  # asleep, heard within `sleep`: online
SILENT_ASLEEP = (Route.ASLEEP, False)  # asleep, not heard within `sleep`: offline


def drive_sleeper(machine: m.DeviceMachine, where: tuple[Route, bool]) -> float:
    """Bring a started sleeper to `where` (its route, and whether it is online); the time."""
    machine.handle(m.Start(0.0))
    route, online = where
    if route is Route.STARTING:
        return 0.0
    machine.handle(m.LinkUp(1.0))
    if route is Route.LAN:
        return 1.0
    machine.handle(down(2.0))  # heard until its session ended at 2.0
    if online:
        return 2.0
    machine.handle(m.Tick(2.0 + SLEEP))
    assert (machine.route, machine.online) == where
    return 2.0 + SLEEP


#: (where before, with a fallback, what happens, where after, actions) for a sleeper; its
#: session ending or failing is no error, no reconnect loop and no availability change.
SLEEPER_CASES = [
    ((Route.STARTING, False), False, DOWN, SILENT_ASLEEP, [m.Doze]),  # never heard: offline
    ((Route.STARTING, False), True, DOWN, SILENT_ASLEEP, [m.StartPoll, m.Doze]),
    ((Route.STARTING, False), False, HEARD, (Route.STARTING, False), [m.Wake]),
    ((Route.STARTING, False), False, UP, (Route.LAN, True), [m.Publish, m.Announce]),
    ((Route.LAN, True), False, DOWN, AWAKE_ASLEEP, [m.Doze]),  # no Report, no Announce
    ((Route.LAN, True), True, DOWN, AWAKE_ASLEEP, [m.StartPoll, m.Doze]),  # the cloud read
    ((Route.LAN, True), False, HEARD, (Route.LAN, True), []),
    (AWAKE_ASLEEP, False, UP, (Route.LAN, True), [m.Publish]),
    (AWAKE_ASLEEP, True, UP, (Route.LAN, True), [m.StopPoll, m.Publish]),
    (AWAKE_ASLEEP, False, DOWN, AWAKE_ASLEEP, [m.Doze]),  # a wake's connect failed
    (AWAKE_ASLEEP, False, HEARD, AWAKE_ASLEEP, [m.Wake]),
    (AWAKE_ASLEEP, False, GRACE_OVER, AWAKE_ASLEEP, []),  # the grace is not its rule
    (AWAKE_ASLEEP, False, SLEEP_OVER, SILENT_ASLEEP, [m.Report, m.Announce]),
    (AWAKE_ASLEEP, True, SLEEP_OVER, SILENT_ASLEEP, [m.Report, m.Announce]),
    (SILENT_ASLEEP, False, HEARD, AWAKE_ASLEEP, [m.Wake, m.Announce]),
    (SILENT_ASLEEP, False, UP, (Route.LAN, True), [m.Publish, m.Announce]),
    (SILENT_ASLEEP, False, DOWN, SILENT_ASLEEP, [m.Doze]),
    (SILENT_ASLEEP, False, SLEEP_OVER, SILENT_ASLEEP, []),  # offline once
    # Its gateway decides, not its window: online for the grace as its gateway, or not.
    (AWAKE_ASLEEP, False, GATEWAY_DOWN, (Route.RECONNECTING, True), []),
    (SILENT_ASLEEP, False, GATEWAY_DOWN, (Route.RECONNECTING, False), []),
    (AWAKE_ASLEEP, False, OUT_OF_REACH, (Route.OFFLINE, False), [m.Report, m.Announce]),
    (AWAKE_ASLEEP, True, OUT_OF_REACH, (Route.CLOUD, False), [m.Report]),  # after a read
    (SILENT_ASLEEP, False, OUT_OF_REACH, (Route.OFFLINE, False), [m.Report]),
]


@pytest.mark.parametrize(("before", "fallback", "what", "after", "actions"), SLEEPER_CASES)
def test_sleeper_transitions(
    before: tuple[Route, bool],
    fallback: bool,
    what: str,
    after: tuple[Route, bool],
    actions: list[type],
) -> None:
    machine = device(fallback=fallback, sleep=SLEEP)
    now = drive_sleeper(machine, before) + 0.5
    events: dict[str, m.Event] = {
        UP: m.LinkUp(now),
        DOWN: down(now),
        HEARD: m.Heard(now),
        GRACE_OVER: m.Tick(now + GRACE + 1),
        SLEEP_OVER: m.Tick(now + SLEEP),
        GATEWAY_DOWN: down(now, quiet=True),
        OUT_OF_REACH: down(now, out_of_reach=True),
    }
    assert kinds(machine.handle(events[what])) == actions
    assert (machine.route, machine.online) == after


def test_a_sleeper_stays_online_across_sleeps_with_nothing_said() -> None:
    machine = device(sleep=SLEEP)
    machine.handle(m.Start(0.0))
    assert kinds(machine.handle(down(0.1))) == [m.Doze]  # asleep at the start
    said: list[m.Action] = []
    for wake in range(1, 50):
        now = wake * (SLEEP - 1)  # a wake a second before the window closes
        said += machine.handle(m.Tick(now - 0.5))
        first = [m.Announce] if wake == 1 else []
        assert kinds(machine.handle(m.Heard(now))) == [m.Wake, *first]
        said += machine.handle(m.LinkUp(now + 0.1))
        said += machine.handle(m.LanReport({"1": 215}, full=True))
        said += machine.handle(down(now + 2))
        assert machine.wake_at == now + 2 + SLEEP
    # Online from its first broadcast on (above); then only its state, once a wake.
    assert [type(a) for a in said if not isinstance(a, m.ApplyDps | m.Doze)] == [m.Publish] * 49
    assert machine.online


def test_a_sleeper_silent_past_its_window_says_so_once() -> None:
    machine = device(sleep=SLEEP)
    drive_sleeper(machine, AWAKE_ASLEEP)  # its session closed at 2.0, as it went to sleep
    assert machine.wake_at == 2.0 + SLEEP
    assert machine.handle(m.Tick(2.0 + SLEEP - 0.1)) == []
    assert machine.handle(m.Tick(2.0 + SLEEP)) == [
        m.Report(
            "warning",
            "desk: not heard from for 30 s (its sleep:), so offline until it reports again",
        ),
        m.Announce(online=False, online_changed=True),
    ]
    assert machine.wake_at is None


def test_a_sleeper_heard_but_not_reached_says_why_when_it_turns_offline() -> None:
    machine = device(sleep=SLEEP)
    drive_sleeper(machine, AWAKE_ASLEEP)
    machine.handle(m.Heard(10.0))
    assert machine.handle(m.LinkDown(10.5, "desk: connection refused")) == [m.Doze()]
    assert machine.wake_at == 10.0 + SLEEP
    (report, _) = machine.handle(m.Tick(10.0 + SLEEP))
    assert report == m.Report(
        "warning",
        "desk: not heard from for 30 s (its sleep:), so offline until it reports again; "
        "the last attempt to connect to it failed: desk: connection refused",
    )


def test_a_cloud_read_keeps_a_sleeper_online_while_the_cloud_says_it_is() -> None:
    machine = device(fallback=True, sleep=SLEEP)
    drive_sleeper(machine, AWAKE_ASLEEP)
    # A read without presence says nothing of the device itself: no report.
    machine.handle(m.CloudRead({"1": 215}, polled=True, now=20.0))
    assert machine.wake_at == 2.0 + SLEEP
    machine.handle(m.CloudRead({"1": 216}, polled=True, presence=True, now=25.0))
    assert machine.wake_at == 25.0 + SLEEP
    assert machine.connection == "cloud"
    # The cloud saying it is offline does not cut the window short: no flapping.
    machine.handle(m.CloudFailed("desk: offline", device_offline=True, polled=True))
    assert machine.online
    assert kinds(machine.handle(m.Tick(25.0 + SLEEP))) == [m.Report, m.Announce]


def test_the_cloud_is_read_at_once_only_for_a_sleeper_not_heard_just_now() -> None:
    machine = device(fallback=True, sleep=SLEEP)
    machine.handle(m.Start(0.0))
    assert machine.handle(down(0.5))[0] == m.StartPoll(wait=False)  # asleep at the start
    machine.handle(m.LinkUp(1.0))
    assert machine.handle(down(2.0))[0] == m.StartPoll(wait=True)  # its session just ended


def test_a_sleeper_first_read_through_the_cloud_goes_asleep_without_blinking() -> None:
    machine = device(fallback=True, sleep=SLEEP)
    machine.handle(m.Start(0.0))
    assert kinds(machine.handle(m.Tick(GRACE))) == [m.StartPoll]  # its connect hung
    machine.handle(m.CloudRead({"1": 215}, polled=True, presence=True, now=GRACE + 1))
    assert (machine.route, machine.connection) == (Route.CLOUD, "cloud")
    assert kinds(machine.handle(down(GRACE + 2))) == [m.Doze]  # still polled, still online
    assert (machine.route, machine.online) == (Route.ASLEEP, True)
    assert machine.wake_at == GRACE + 1 + SLEEP


def test_a_sleeper_refusing_the_key_is_told_and_still_sleeps() -> None:
    machine = device(keys=True, sleep=SLEEP)
    drive_sleeper(machine, AWAKE_ASLEEP)
    machine.handle(m.Heard(5.0))
    actions = machine.handle(m.LinkDown(5.5, "desk: wrong local key", wrong_key=True))
    assert actions == [
        m.Report("error", "desk: wrong local key"),
        m.FetchKey(CONFIGURED),
        m.Doze(),
    ]
    assert machine.online


@pytest.mark.parametrize(("fallback", "how"), [(False, "refused"), (True, "cloud")])
def test_a_command_for_a_sleeper_goes_through_the_cloud_or_says_it_sleeps(
    fallback: bool, how: str
) -> None:
    machine = device(fallback=fallback, sleep=SLEEP)
    now = drive_sleeper(machine, AWAKE_ASLEEP)
    actions = machine.handle(m.CommandArrived(now, Answers().command(0, "get")))
    assert sent(actions) == [(how, "st/desk/get#0")]
    if how == "refused":
        assert str(actions[0].error) == (  # type: ignore[union-attr]
            "desk: the device is asleep (a battery device; it is read when it next wakes), "
            "and there is no cloud route"
        )


@pytest.mark.parametrize("fallback", [False, True])
def test_a_command_for_a_sleeper_that_woke_waits_for_its_session(fallback: bool) -> None:
    machine, answers = device(fallback=fallback, sleep=SLEEP), Answers()
    now = drive_sleeper(machine, AWAKE_ASLEEP)
    assert kinds(machine.handle(m.Heard(now + 1))) == [m.Wake]  # its broadcast
    machine.handle(m.LinkConnected())
    assert machine.handle(m.CommandArrived(now + 1, answers.command(0, "get"))) == []
    assert sent(machine.handle(m.LinkUp(now + 1.1))) == [("lan", "st/desk/get#0")]


def test_a_sleeper_whose_broadcasts_are_not_listened_to_keeps_retrying() -> None:
    machine = device(sleep=SLEEP)
    machine.hears_broadcasts = False  # `lan.discovery: false`: nothing would wake its link
    drive_sleeper(machine, AWAKE_ASLEEP)
    assert machine.handle(down(3.0)) == []  # the link's capped backoff goes on; no Doze
    assert (machine.route, machine.online) == AWAKE_ASLEEP


def test_a_broadcast_means_nothing_to_a_device_that_does_not_sleep() -> None:
    machine = device()
    drive(machine, Route.RECONNECTING)
    assert machine.handle(m.Heard(3.0)) == []


@pytest.mark.parametrize(
    ("sleep", "kind", "window"),
    [
        (None, "sensor", m.SENSOR_SLEEP),  # the CONTRACT's default
        (600.0, "sensor", 600.0),
        (600.0, "plug", 600.0),  # any device the config says sleeps
        (None, "plug", None),
        (None, "auto", None),  # until its reports show it is a sensor
    ],
)
def test_the_sleep_window_is_the_config_else_a_day_for_a_sensor(
    sleep: float | None, kind: str, window: float | None
) -> None:
    assert m.sleep_window(sleep, kind) == window


def test_a_sleeping_sub_device_its_gateway_reports_out_of_reach_is_offline_at_once() -> None:
    machine = device(sleep=600.0)
    drive(machine, Route.LAN)
    actions = machine.handle(
        m.LinkDown(5.0, "back_door (via gateway hub): out of its reach", out_of_reach=True)
    )
    assert m.Announce(online=False, online_changed=True) in actions
    assert machine.route is not Route.ASLEEP


def test_a_sleeping_sub_device_goes_offline_with_its_gateway_not_at_its_window() -> None:
    machine = device(sleep=SLEEP)
    machine.hears_broadcasts = False  # a sub-device never dozes
    now = drive_sleeper(machine, AWAKE_ASLEEP) + 0.5
    assert machine.handle(down(now, quiet=True)) == []
    assert machine.wake_at == now + GRACE  # its gateway's grace, not its window
    actions = machine.handle(m.Tick(now + GRACE))
    assert actions == [m.Announce(online=False, online_changed=True)]
    assert (machine.route, machine.online) == (Route.OFFLINE, False)
    # Its gateway back, and it asleep (not answering): its window again, without a line.
    actions = machine.handle(down(now + GRACE + 1))
    assert actions == [m.Announce(online=True, online_changed=True)]
    assert (machine.route, machine.online) == AWAKE_ASLEEP


def test_a_sleeping_sub_device_follows_its_gateway_down_quietly_not_to_sleep() -> None:
    machine = device(sleep=600.0)
    drive(machine, Route.LAN)
    actions = machine.handle(m.LinkDown(5.0, "its gateway hub is not connected", quiet=True))
    assert not [a for a in actions if isinstance(a, m.Report)]
    assert machine.route is Route.RECONNECTING


# The cloud ------------------------------------------------------------------------------


def test_a_cloud_only_device_is_polled_and_online_while_the_cloud_answers() -> None:
    machine = device(link=False, fallback=True)
    assert where(machine) == (Route.OFFLINE, "cloud")
    assert kinds(machine.handle(m.Start(0.0))) == [m.StartPoll]
    assert where(machine) == (Route.CLOUD, "cloud")
    assert machine.presence_due
    actions = machine.handle(m.CloudRead({"1": True}, polled=True, presence=True))
    assert actions == [
        m.ApplyDps({"1": True}, full=True, count_energy=False),  # the cloud's energy: no
        m.Announce(online=True, online_changed=True),
    ]
    assert (machine.online, machine.connection) == (True, "cloud")


def test_presence_is_asked_every_tenth_poll_and_after_any_doubt() -> None:
    machine = device(link=False, fallback=True)
    machine.handle(m.Start(0.0))
    due = []
    for _ in range(2 * m.PRESENCE_EVERY):
        due.append(machine.presence_due)
        machine.handle(m.CloudRead({}, polled=True, presence=machine.presence_due))
    assert due == ([True] + [False] * (m.PRESENCE_EVERY - 1)) * 2
    machine.handle(m.CloudFailed("desk: the cloud timed out", polled=True))
    assert (machine.presence_due, machine.presence_for_get) == (False, False)  # no news
    machine.handle(m.CloudFailed("desk: offline", device_offline=True, polled=True))
    assert (machine.presence_due, machine.presence_for_get) == (True, True)


def test_a_cloud_failure_is_reported_once_and_takes_the_device_offline() -> None:
    machine = device(link=False, fallback=True)
    machine.handle(m.Start(0.0))
    machine.handle(m.CloudRead({"1": True}, polled=True))
    offline = m.CloudFailed("desk: the Tuya cloud says the device is offline", True, polled=True)
    assert machine.handle(offline) == [
        m.Report("warning", offline.message),
        m.Announce(online=False, online_changed=True),
    ]
    assert machine.handle(offline) == []
    assert machine.connection == "offline"
    # A command's failure is its answer, not a report.
    assert machine.handle(m.CloudFailed("desk: quota", polled=False)) == []
    machine.handle(m.CloudRead({"1": True}, polled=True, presence=True))
    assert machine.online


def test_a_cloud_read_that_arrives_after_the_session_came_back_is_dropped() -> None:
    machine = device(fallback=True)
    drive(machine, Route.LAN)
    assert machine.handle(m.CloudRead({"1": False})) == []
    assert machine.source == "lan"


def test_a_cloud_write_while_reconnecting_keeps_the_device_online_through_the_cloud() -> None:
    machine = device(fallback=True)
    drive(machine, Route.RECONNECTING)
    actions = machine.handle(m.CloudWritten({"1": True}))
    assert actions == [
        m.ApplyDps({"1": True}, full=False, count_energy=False),
        m.Announce(online=True, online_changed=False),  # lan -> cloud
    ]
    assert machine.connection == "cloud"


# Keys -----------------------------------------------------------------------------------


def test_a_refused_configured_key_tries_the_learnt_one_then_the_cloud() -> None:
    machine = device(keys=True, learnt=LEARNT)
    machine.handle(m.Start(0.0))
    actions = machine.handle(down(1.0, wrong_key=True))
    assert kinds(actions) == [m.Report, m.Report, m.UseKey]
    assert actions[1] == m.Report(
        "info",
        "desk: the configured local key is refused; using the key learnt from the "
        "Tuya cloud earlier",
    )
    assert machine.key == LEARNT
    actions = machine.handle(down(2.0, wrong_key=True))
    assert actions[-1] == m.FetchKey(LEARNT)
    # Not again while the fetch runs, nor for KEY_RETRY after it for the same key.
    assert kinds(machine.handle(down(3.0, wrong_key=True))) == [m.Report]
    machine.handle(m.KeyFetchFailed("desk: the Tuya cloud did not answer"))
    assert kinds(machine.handle(down(4.0, wrong_key=True))) == [m.Report]
    assert machine.handle(down(2.0 + m.KEY_RETRY, wrong_key=True))[-1] == m.FetchKey(LEARNT)


def test_a_fetched_key_is_kept_reported_and_used() -> None:
    machine = device(keys=True)
    machine.handle(m.Start(0.0))
    assert machine.handle(down(1.0, wrong_key=True))[-1] == m.FetchKey(CONFIGURED)
    actions = machine.handle(m.KeyFetched(FETCHED, refused=CONFIGURED))
    assert kinds(actions) == [m.SaveKey, m.Report, m.UseKey]
    assert actions[0] == m.SaveKey(FETCHED)
    assert actions[2] == m.UseKey(FETCHED)
    assert "local key has changed" in actions[1].message  # type: ignore[union-attr]
    assert FETCHED not in actions[1].message  # type: ignore[union-attr]
    assert machine.key == FETCHED


@pytest.mark.parametrize(
    ("key", "route", "expected"),
    [
        (CONFIGURED, Route.STARTING, [m.Report]),  # the cloud's key is the refused one
        (FETCHED, Route.LAN, []),  # the LAN works again meanwhile
    ],
)
def test_a_fetched_key_that_cannot_help_is_not_used(
    key: str, route: Route, expected: list[type]
) -> None:
    machine = device(keys=True)
    drive(machine, route)
    machine.handle(down(3.0, wrong_key=True))
    if route is Route.LAN:
        machine.handle(m.LinkUp(3.5))
    assert kinds(machine.handle(m.KeyFetched(key, refused=CONFIGURED))) == expected
    assert machine.key == CONFIGURED


def test_silent_33_sessions_in_a_row_count_as_a_refused_key() -> None:
    machine = device(keys=True)
    drive(machine, Route.LAN)
    silent = {"reply_timeout": True, "silent_version": True}
    # The first end of a session that was up says nothing of the key.
    assert m.FetchKey(CONFIGURED) not in machine.handle(down(2.0, **silent))
    assert m.FetchKey(CONFIGURED) not in machine.handle(down(3.0, **silent))
    assert m.FetchKey(CONFIGURED) in machine.handle(down(4.0, **silent))
    # 3.4 and later devices say when a key is wrong: a timeout is only a timeout.
    other = device(keys=True)
    other.handle(m.Start(0.0))
    for now in (1.0, 2.0, 3.0):
        assert m.FetchKey(CONFIGURED) not in other.handle(down(now, reply_timeout=True))


def test_the_learnt_key_is_forgotten_once_the_configured_one_works() -> None:
    machine = device(keys=True, learnt=LEARNT)
    machine.handle(m.Start(0.0))
    assert machine.handle(m.LinkUp(1.0))[0] == m.SaveKey(None)
    assert machine.learnt_key is None


# Commands -------------------------------------------------------------------------------


def test_commands_go_out_one_at_a_time_in_order() -> None:
    machine, answers = device(), Answers()
    now = drive(machine, Route.LAN)
    assert sent(machine.handle(m.CommandArrived(now, answers.command(0)))) == [
        ("lan", "st/desk/set#0")
    ]
    assert machine.handle(m.CommandArrived(now, answers.command(1, "get"))) == []
    assert sent(machine.handle(m.CommandDone(now))) == [("lan", "st/desk/get#1")]
    assert machine.handle(m.CommandDone(now)) == []
    assert machine.idle


def test_a_command_beyond_64_waiting_is_refused() -> None:
    machine, answers = device(), Answers()
    now = drive(machine, Route.LAN)
    machine.handle(m.CommandArrived(now, answers.command(0)))  # out
    for n in range(1, 1 + m.QUEUE_LIMIT):
        assert machine.handle(m.CommandArrived(now, answers.command(n))) == []
    (refused,) = machine.handle(m.CommandArrived(now, answers.command(99)))
    assert isinstance(refused, m.Refuse)
    assert isinstance(refused.error, CommandFailed)
    assert str(refused.error) == "desk: 64 commands are already waiting; this one is dropped"
    assert machine.waiting == m.QUEUE_LIMIT


def test_commands_wait_for_the_start() -> None:
    machine, answers = device(link=False, fallback=True), Answers()
    assert machine.handle(m.CommandArrived(0.0, answers.command(0))) == []
    assert ("cloud", "st/desk/set#0") in sent(machine.handle(m.Start(0.0)))


#: (route, with a fallback, how a command arriving then goes out at once)
DISPATCH_CASES = [
    (Route.STARTING, False, "refused"),
    (Route.STARTING, True, "cloud"),
    (Route.LAN, False, "lan"),
    (Route.LAN, True, "lan"),
    (Route.RECONNECTING, False, None),  # held
    (Route.RECONNECTING, True, None),
    (Route.CLOUD, True, "cloud"),
    (Route.OFFLINE, False, "refused"),
]


@pytest.mark.parametrize(("route", "fallback", "how"), DISPATCH_CASES)
def test_how_a_command_goes_out_by_route(route: Route, fallback: bool, how: str | None) -> None:
    machine, answers = device(fallback=fallback), Answers()
    now = drive(machine, route)
    actions = machine.handle(m.CommandArrived(now, answers.command(0)))
    assert sent(actions) == ([] if how is None else [(how, "st/desk/set#0")])


def test_a_refusal_without_a_route_says_why() -> None:
    machine = device()
    now = drive(machine, Route.OFFLINE)
    (refused,) = machine.handle(m.CommandArrived(now, Answers().command(0)))
    assert isinstance(refused, m.Refuse)
    assert isinstance(refused.error, DeviceOffline)
    assert str(refused.error) == "desk: device is offline (no LAN session and no cloud route)"


#: (route, with a fallback): a command goes out at once by the fallback, or is refused.
NOT_HOLDING = [
    (Route.STARTING, False),
    (Route.STARTING, True),
    (Route.CLOUD, True),
    (Route.OFFLINE, False),
]


@pytest.mark.parametrize(("route", "fallback"), NOT_HOLDING)
def test_a_command_waits_for_a_session_that_is_starting(route: Route, fallback: bool) -> None:
    machine, answers = device(fallback=fallback), Answers()
    now = drive(machine, route)
    assert machine.handle(m.LinkConnected()) == []
    assert machine.handle(m.CommandArrived(now, answers.command(0))) == []
    assert machine.wake_at == now + TIMEOUT
    assert sent(machine.handle(m.LinkUp(now + 0.05))) == [("lan", "st/desk/set#0")]


@pytest.mark.parametrize(("route", "fallback"), NOT_HOLDING)
def test_a_command_waiting_for_a_session_that_fails_goes_on_at_once(
    route: Route, fallback: bool
) -> None:
    machine, answers = device(fallback=fallback), Answers()
    now = drive(machine, route)
    machine.handle(m.LinkConnected())
    machine.handle(m.CommandArrived(now, answers.command(0)))
    how = "cloud" if fallback else "refused"
    assert sent(machine.handle(down(now + 0.05))) == [(how, "st/desk/set#0")]
    # No session is starting any more: the next command is not held either.
    actions = machine.handle(m.CommandArrived(now + 0.1, answers.command(1)))
    if fallback:  # it waits its turn behind the one the cloud carries out
        assert actions == []
        actions = machine.handle(m.CommandDone(now + 0.2))
    assert sent(actions) == [(how, "st/desk/set#1")]


def test_a_session_that_starts_but_never_comes_up_refuses_after_lan_timeout() -> None:
    machine, answers = device(), Answers()
    now = drive(machine, Route.OFFLINE)
    machine.handle(m.LinkConnected())
    machine.handle(m.CommandArrived(now, answers.command(0)))
    assert machine.handle(m.Tick(now + TIMEOUT - 0.01)) == []
    (refused,) = machine.handle(m.Tick(now + TIMEOUT))
    assert isinstance(refused, m.Refuse)
    assert str(refused.error) == (
        "desk: device is offline (its LAN session, starting, did not come up within 1 s, "
        "and there is no cloud route)"
    )


def test_a_command_held_during_a_reconnect_goes_out_when_the_session_is_back() -> None:
    machine, answers = device(), Answers()
    now = drive(machine, Route.RECONNECTING)
    machine.handle(m.CommandArrived(now, answers.command(0)))
    machine.handle(m.CommandArrived(now + 0.5, answers.command(1)))
    assert machine.wake_at == now + TIMEOUT
    actions = machine.handle(m.LinkUp(now + 0.6))
    assert sent(actions) == [("lan", "st/desk/set#0")]
    assert sent(machine.handle(m.CommandDone(now + 0.7))) == [("lan", "st/desk/set#1")]


@pytest.mark.parametrize(("fallback", "how"), [(False, "refused"), (True, "cloud")])
def test_a_held_command_goes_on_after_lan_timeout(fallback: bool, how: str) -> None:
    machine, answers = device(fallback=fallback), Answers()
    now = drive(machine, Route.RECONNECTING)
    machine.handle(m.CommandArrived(now, answers.command(0)))
    machine.handle(m.CommandArrived(now + 0.5, answers.command(1)))
    assert machine.handle(m.Tick(now + TIMEOUT - 0.01)) == []
    actions = machine.handle(m.Tick(now + TIMEOUT))
    assert sent(actions)[0] == (how, "st/desk/set#0")
    if how == "refused":
        error = actions[0].error  # type: ignore[union-attr]
        assert "did not come back within 1 s" in str(error)
        assert sent(actions)[1:] == []  # the second has waited only 0.5 s
        assert machine.wake_at == now + 0.5 + TIMEOUT


def test_held_commands_go_at_once_when_the_device_is_judged_lost() -> None:
    machine, answers = device(fallback=True), Answers()
    now = drive(machine, Route.RECONNECTING)
    machine.handle(m.CommandArrived(now, answers.command(0)))
    machine.handle(down(now + 0.1))
    actions = machine.handle(down(now + 0.2))  # the third failure: lost
    assert machine.route is Route.CLOUD
    assert sent(actions) == [("cloud", "st/desk/set#0")]


def test_a_command_lost_with_its_session_is_sent_again_on_the_next() -> None:
    machine, answers = device(), Answers()
    now = drive(machine, Route.LAN)
    machine.handle(m.CommandArrived(now, answers.command(0)))
    # The session drops under it, before the link says so: held, not sent again at once.
    assert machine.handle(m.CommandLost(now + 0.1, "desk: connection closed")) == []
    assert machine.wake_at == now + 0.1 + TIMEOUT
    machine.handle(down(now + 0.2))
    assert sent(machine.handle(m.LinkUp(now + 0.5))) == [("lan", "st/desk/set#0")]
    # Lost a second time: not again.
    (refused,) = machine.handle(m.CommandLost(now + 0.6, "desk: connection closed again"))
    assert isinstance(refused, m.Refuse)
    assert str(refused.error) == "desk: connection closed again"


def test_a_lost_command_whose_session_does_not_come_back_is_refused_with_both_reasons() -> None:
    machine, answers = device(), Answers()
    now = drive(machine, Route.LAN)
    machine.handle(m.CommandArrived(now, answers.command(0)))
    machine.handle(m.CommandLost(now, "desk: connection closed"))
    (refused,) = machine.handle(m.Tick(now + TIMEOUT))
    assert isinstance(refused, m.Refuse)
    assert isinstance(refused.error, DeviceOffline)
    assert str(refused.error) == (
        "desk: connection closed; the session did not come back within 1 s (no cloud route)"
    )


def test_commands_not_answered_are_refused_when_the_device_stops() -> None:
    machine, answers = device(), Answers()
    now = drive(machine, Route.LAN)
    machine.handle(m.CommandArrived(now, answers.command(0)))  # out
    machine.handle(m.CommandArrived(now, answers.command(1)))  # waiting
    actions = machine.handle(m.Stop())
    assert sent(actions) == [("refused", "st/desk/set#0"), ("refused", "st/desk/set#1")]
    assert all("stopped being served" in str(a.error) for a in actions)  # type: ignore[union-attr]
    assert machine.idle
