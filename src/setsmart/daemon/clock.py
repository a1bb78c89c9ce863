"""The daemon's one clock: the event loop's time, and timers on it.

Everything in `daemon/` that needs the time or a timer takes a `Clock` rather than
calling `loop.time()` or `time.monotonic()`, so that a test can drive time by hand
(`tests/support/clock.ManualClock`) and the machine, the runtimes and the supervisor's
helpers agree on what "now" is.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale (only differences mean anything)."""
        ...

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        """Run `callback` once `now()` reaches `when` (at once if it has)."""
        ...


class LoopClock:
    """The clock the event loop's timers run on (production): CLOCK_MONOTONIC, which
    asyncio's loop reads and uvloop's reads to the millisecond once per turn. A timer may
    fire up to a millisecond early by it (the runtime allows for that). Read with no call
    of our own: the clock is read twice per command."""

    __slots__ = ()

    now = staticmethod(time.monotonic)

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        return asyncio.get_running_loop().call_at(when, callback)


#: Stateless: one for the whole daemon.
LOOP_CLOCK = LoopClock()
