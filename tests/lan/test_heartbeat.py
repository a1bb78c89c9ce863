"""The heartbeat timer, in memory: a connection that records what it is asked to send,
the link's turns, and a clock moved by hand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from setsmart.lan.connection import Answered
from setsmart.lan.errors import ConnectionLost, DeviceRefused, LanError, ReplyTimeout
from setsmart.lan.heartbeat import Heartbeat, Timer
from setsmart.lan.turns import Turns
from tests.support.clock import ManualClock

pytestmark = pytest.mark.timeout(10)  # a timer that re-arms itself for ever would hang

INTERVAL = 10.0


@dataclass
class ManualLoop:
    """The loop's clock and timers, moved by hand; timers fire `early` (as uvloop's do,
    by up to a millisecond)."""

    clock: ManualClock = field(default_factory=ManualClock)
    early: float = 0.0

    def time(self) -> float:
        return self.clock.now()

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        return self.clock.call_at(when - self.early, callback)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @property
    def pending(self) -> int:
        """Timers set and not cancelled."""
        return self.clock.pending


@dataclass
class FakeConnection:
    loop: ManualLoop
    last_sent: float = 0.0
    last_received: float = 0.0
    is_open: bool = True
    beats: list[Answered] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.last_sent = self.last_received = self.loop.time()

    def start_heartbeat(self, answered: Answered) -> None:
        self.beats.append(answered)
        self.last_sent = self.loop.time()

    def send_command(self, *, answered: bool = True) -> None:
        """A command (or an energy refresh: `answered` False) is written; with `answered`
        the device's answer arrives at once."""
        self.last_sent = self.loop.time()
        if answered:
            self.last_received = self.last_sent

    def close(self) -> None:
        self.is_open = False


@dataclass
class Beating:
    loop: ManualLoop = field(default_factory=ManualLoop)
    turns: Turns = field(default_factory=Turns)
    problems: list[LanError] = field(default_factory=list)
    conn: FakeConnection = field(init=False)
    heartbeat: Heartbeat = field(init=False)

    def __post_init__(self) -> None:
        self.conn = FakeConnection(self.loop)

    def start(self, misses_allowed: int = 2) -> Heartbeat:
        self.heartbeat = Heartbeat(
            self.conn,
            self.turns,
            interval=INTERVAL,
            misses_allowed=misses_allowed,
            on_problem=self.problems.append,
            loop=self.loop,
        )
        self.heartbeat.start()
        return self.heartbeat

    def busy(self) -> bool:
        """Whether someone holds the link's turn."""
        return self.turns.busy

    def ended(self) -> LanError | None:
        """Why the heartbeat ended the session (it closed the connection), if it did."""
        assert (self.heartbeat.fatal is None) is self.conn.is_open
        return self.heartbeat.fatal

    def answer(self, error: LanError | None = None) -> None:
        """The device answers the last beat (or it fails with `error`)."""
        if error is None:
            self.conn.last_received = self.loop.time()
        self.conn.beats[-1](error)


def timeout() -> ReplyTimeout:
    return ReplyTimeout("plug", "no answer to HEART_BEAT within 5 s")


def test_it_beats_once_nothing_was_sent_for_the_interval() -> None:
    b = Beating()
    b.start()
    b.loop.advance(INTERVAL - 0.1)
    assert b.conn.beats == []
    b.loop.advance(0.1)
    assert len(b.conn.beats) == 1
    assert b.busy()  # the beat holds the link's turn until answered
    b.loop.advance(3 * INTERVAL)
    assert len(b.conn.beats) == 1  # no second beat before the first is answered
    b.answer()
    assert not b.busy()
    b.loop.advance(INTERVAL)  # re-armed from when the beat was sent: due already
    assert len(b.conn.beats) == 2
    b.answer()
    b.loop.advance(INTERVAL)
    assert len(b.conn.beats) == 3
    assert (b.problems, b.ended()) == ([], None)


def test_no_beat_while_answered_commands_keep_the_connection_busy() -> None:
    b = Beating()
    b.start()
    for _ in range(20):  # a command every 6 s for two minutes
        b.loop.advance(6)
        b.conn.send_command()
    assert b.conn.beats == []
    b.loop.advance(INTERVAL - 0.1)
    assert b.conn.beats == []
    b.loop.advance(0.1)  # idle for the interval: it beats again
    assert len(b.conn.beats) == 1


def test_a_beat_waits_for_the_turn_a_command_holds() -> None:
    b = Beating()
    b.start()
    b.turns.take(lambda: None)  # a command, not yet answered
    b.loop.advance(INTERVAL)
    assert b.conn.beats == []
    b.turns.done()
    assert len(b.conn.beats) == 1


def test_misses_are_problems_until_the_last_allowed_ends_the_session() -> None:
    b = Beating()
    b.start(misses_allowed=3)
    for missed in (1, 2):
        b.loop.advance(INTERVAL)
        b.answer(timeout())
        assert len(b.problems) == missed
        assert b.ended() is None
        assert b.heartbeat.armed
    b.loop.advance(INTERVAL)
    last = timeout()
    b.answer(last)
    assert b.ended() is last
    assert len(b.problems) == 2
    assert not b.heartbeat.armed
    assert not b.busy()
    assert b.loop.pending == 0
    b.loop.advance(10 * INTERVAL)
    assert len(b.conn.beats) == 3


def test_an_answer_between_misses_starts_the_count_again() -> None:
    b = Beating()
    b.start(misses_allowed=2)
    for error in (timeout(), None, timeout(), None, timeout()):
        b.loop.advance(INTERVAL)
        b.answer(error)
    assert len(b.problems) == 3
    assert b.ended() is None


def test_sends_without_answers_do_not_stand_in_for_the_beats() -> None:
    """Energy refreshes every 5 s (the default) get no answer of their own, and neither
    does anything sent to a device whose power was cut: it beats all the same, and its
    misses end the session."""
    b = Beating()
    b.start(misses_allowed=2)
    for _ in range(3):
        b.loop.advance(5)
        b.conn.send_command(answered=False)
    assert len(b.conn.beats) == 1  # due 10 s after the start, refreshes or not
    b.loop.advance(1)
    b.answer(timeout())
    assert len(b.problems) == 1
    for _ in range(2):
        b.loop.advance(5)
        b.conn.send_command(answered=False)
    assert len(b.conn.beats) == 2
    last = timeout()
    b.answer(last)
    assert b.ended() is last


def test_refreshes_of_a_device_that_answers_its_beats_end_no_session() -> None:
    b = Beating()
    b.start(misses_allowed=2)
    for _ in range(12):  # a minute of refreshes every 5 s
        b.loop.advance(5)
        b.conn.send_command(answered=False)
        if b.busy():
            b.answer()
    assert len(b.conn.beats) == 6  # one every 10 s, the refreshes notwithstanding
    assert (b.problems, b.ended()) == ([], None)


def test_a_quiet_wake_starts_the_count_again() -> None:
    """As the link's coroutine did: a beat skipped because commands were sent and
    answered ends a run of misses."""
    b = Beating()
    b.start(misses_allowed=2)
    b.loop.advance(INTERVAL)
    b.answer(timeout())
    b.loop.advance(INTERVAL - 1)
    b.conn.send_command()
    b.loop.advance(1)  # due by the beat, not by the command: skipped
    b.loop.advance(INTERVAL)
    b.answer(timeout())
    assert b.ended() is None
    assert len(b.problems) == 2


def test_a_timer_that_fires_a_little_early_beats_all_the_same() -> None:
    b = Beating(ManualLoop(early=0.0005))
    b.start(misses_allowed=2)
    b.loop.advance(INTERVAL - 0.0005)
    assert len(b.conn.beats) == 1
    b.answer(timeout())
    b.loop.advance(INTERVAL)
    assert len(b.conn.beats) == 2
    last = timeout()
    b.answer(last)
    assert b.ended() is last  # an early wake is no quiet one: the misses still count


def test_polls_count_with_the_beats() -> None:
    b = Beating()
    b.start(misses_allowed=2)
    b.loop.advance(INTERVAL)
    b.answer(timeout())
    poll_timeout = timeout()
    assert b.heartbeat.judge(poll_timeout) is poll_timeout
    assert b.heartbeat.judge(None) is None
    assert b.heartbeat.judge(timeout()) is None


def test_any_other_error_ends_the_session_at_once() -> None:
    for error in (
        ConnectionLost("plug", "connection lost"),
        DeviceRefused("plug", "device answered 'data format error'"),
    ):
        b = Beating()
        b.start(misses_allowed=5)
        b.loop.advance(INTERVAL)
        b.answer(error)
        assert b.ended() is error
        assert b.problems == []
        assert b.loop.pending == 0


def test_stop_cancels_the_timer() -> None:
    b = Beating()
    heartbeat = b.start()
    assert b.loop.pending == 1
    heartbeat.stop()
    assert b.loop.pending == 0
    assert not heartbeat.armed
    b.loop.advance(10 * INTERVAL)
    assert b.conn.beats == []


def test_a_beat_in_flight_when_the_session_ends_only_ends_its_turn() -> None:
    b = Beating()
    heartbeat = b.start(misses_allowed=1)
    b.loop.advance(INTERVAL)
    heartbeat.stop()
    b.answer(ConnectionLost("plug", "connection closed"))  # as closing the connection does
    assert not b.busy()
    assert (b.problems, b.ended()) == ([], None)
    assert b.loop.pending == 0


def test_a_beat_waiting_for_its_turn_when_the_session_ends_is_not_sent() -> None:
    b = Beating()
    heartbeat = b.start()
    b.turns.take(lambda: None)
    b.loop.advance(INTERVAL)
    heartbeat.stop()
    b.turns.done()
    assert b.conn.beats == []
    assert not b.busy()


def test_a_closed_connection_gets_no_beat_and_the_turn_is_passed_on() -> None:
    b = Beating()
    b.start()
    b.conn.is_open = False  # closed: the link learns why from `closed`
    later: list[str] = []
    b.turns.take(lambda: later.append("command"))
    b.turns.done()
    b.loop.advance(INTERVAL)
    assert b.conn.beats == []
    assert not b.busy()
    assert later == ["command"]
