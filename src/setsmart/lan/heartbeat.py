"""Heartbeats on an idle connection, driven by one loop timer and callbacks.

When nothing was sent for `interval` seconds (`conn.last_sent`), the timer takes the
link's turn, sends a heartbeat and, once it is answered, re-arms for `last_sent +
interval`. A connection the device answers on needs none: when the timer finds that
frames were both sent and received (`conn.last_received`) since it was set, it only
re-arms (openHAB's Tuya binding likewise takes an acknowledged DP_REFRESH as proof of
life: openhab/openhab-addons#21547). Frames sent and never answered do not count: energy
refreshes, which often get no answer of their own, or commands to a device whose power
was cut must not hide its silence. No coroutine, future or task per beat: with a
thousand idle sessions, the coroutine loop this replaces was most of the daemon's idle CPU.

The heartbeat also judges the session: its answers, and those of the link's polls
(`judge`), count missed replies; `misses_allowed` ReplyTimeouts in a row, or any other
LanError, end the session (the heartbeat closes the connection, `fatal` says why),
earlier misses are reported (`on_problem`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from setsmart.lan.connection import Answered
from setsmart.lan.errors import LanError, ReplyTimeout
from setsmart.lan.turns import Turns


class BeatingConnection(Protocol):
    """What a heartbeat needs of its `Connection`."""

    @property
    def last_sent(self) -> float: ...

    @property
    def last_received(self) -> float: ...

    @property
    def is_open(self) -> bool: ...

    def start_heartbeat(self, answered: Answered) -> None: ...

    def close(self) -> None: ...


class Timer(Protocol):
    def cancel(self) -> None: ...


class LoopTime(Protocol):
    """The event loop's clock and timers (a test's hand-driven clock instead)."""

    def time(self) -> float: ...

    def call_at(self, when: float, callback: Callable[[], None], /) -> Timer: ...


class Heartbeat:
    """Keeps one session's connection from idling out; `start`, then `stop` when it ends."""

    __slots__ = (
        "_armed_since",
        "_conn",
        "_heard_since",
        "_interval",
        "_loop",
        "_misses",
        "_misses_allowed",
        "_on_problem",
        "_stopped",
        "_timer",
        "_turns",
        "fatal",
    )

    def __init__(
        self,
        conn: BeatingConnection,
        turns: Turns,
        *,
        interval: float,
        misses_allowed: int,
        on_problem: Callable[[LanError], None],
        loop: LoopTime | None = None,
    ) -> None:
        self._conn = conn
        self._turns = turns
        self._interval = interval
        self._misses_allowed = misses_allowed
        self._on_problem = on_problem
        self._loop: LoopTime = asyncio.get_running_loop() if loop is None else loop
        self._timer: Timer | None = None
        self._armed_since = 0.0  # last_sent when the timer was set
        self._heard_since = 0.0  # last_received then
        self._misses = 0
        self._stopped = False
        self.fatal: LanError | None = None
        """Why the heartbeat ended the session, when it did."""

    @property
    def armed(self) -> bool:
        """Whether a timer is set (none while a beat waits for its turn or its answer)."""
        return self._timer is not None

    def start(self) -> None:
        self._arm()

    def stop(self) -> None:
        """No beat and no callback after this; a beat in flight still ends its turn."""
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def judge(self, error: LanError | None) -> LanError | None:
        """Count the outcome of a beat or a poll (None: answered); the error that ends the
        session, if it does."""
        if error is None:
            self._misses = 0
            return None
        if isinstance(error, ReplyTimeout):
            self._misses += 1
            if self._misses < self._misses_allowed:
                self._on_problem(error)
                return None
        return error

    # Internals -------------------------------------------------------------------------

    def _arm(self) -> None:
        conn = self._conn
        self._armed_since = since = conn.last_sent
        self._heard_since = conn.last_received
        self._timer = self._loop.call_at(since + self._interval, self._due)

    def _due(self) -> None:
        self._timer = None
        conn = self._conn
        # Whether anything was sent since, not the time: uvloop fires timers up to a
        # millisecond before loop.time() reaches them.
        if conn.last_sent != self._armed_since and conn.last_received != self._heard_since:
            # Commands were sent and the device answered meanwhile: no beat is needed,
            # and a run of misses is over.
            self._misses = 0
            self._arm()
            return
        self._turns.take(self._send)

    def _send(self) -> None:
        if self._stopped or not self._conn.is_open:  # the session ends; `closed` says why
            self._turns.done()
            return
        self._conn.start_heartbeat(self._answered)

    def _answered(self, error: LanError | None) -> None:
        self._turns.done()
        if self._stopped:
            return
        fatal = self.judge(error)
        if fatal is None:
            self._arm()
            return
        self.fatal = fatal
        self.stop()
        # Now: a poll or command that took the turn after this beat fails at once, not
        # after its own time limit on a device judged dead.
        self._conn.close()
