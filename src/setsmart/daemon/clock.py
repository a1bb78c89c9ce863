"""The daemon's one clock: the event loop's time, and timers on it.

Everything in `daemon/` that needs the time or a timer takes a `Clock` rather than
calling `loop.time()` or `time.monotonic()`, so that a test can drive time by hand
(`tests/support/clock.ManualClock`) and the machine, the runtimes and the supervisor's
helpers agree on what "now" is.
"""

from __future__ import annotations

import asyncio
import threading
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
    """The running event loop's clock (production)."""

    __slots__ = ()

    def now(self) -> float:
        return _running_loop().time()

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        return _running_loop().call_at(when, callback)


class _LastLoop(threading.local):
    loop: asyncio.AbstractEventLoop | None = None


_last = _LastLoop()


def _running_loop() -> asyncio.AbstractEventLoop:
    """`asyncio.get_running_loop()`, kept per thread while it runs: on Python 3.11 each call
    of that makes a getpid() system call, and the clock is read twice per command."""
    loop = _last.loop
    if loop is None or not loop.is_running():
        loop = _last.loop = asyncio.get_running_loop()
    return loop


#: Stateless: one for the whole daemon.
LOOP_CLOCK = LoopClock()
