"""At most one run of an action per interval, however often it is asked for.

`B/bridge/devices` and systemd's STATUS= sum up every device: rebuilt on each device's
change, 1000 devices coming online cost 1000 documents of all 1000 devices (17 s of CPU
on a Pi-class core, the event loop stalled meanwhile, and every copy queued for MQTT).
A `Coalescer` runs its action at once when it has been idle for `interval`, otherwise
once when the interval is over, with the state as it is then.
"""

from __future__ import annotations

from collections.abc import Callable

from setsmart.daemon.clock import LOOP_CLOCK, Clock, Timer


class Coalescer:
    """`request()` runs `action` now or at the end of the current interval; see above."""

    __slots__ = ("_action", "_clock", "_interval", "_last", "_timer")

    def __init__(
        self, action: Callable[[], None], interval: float, clock: Clock = LOOP_CLOCK
    ) -> None:
        self._action = action
        self._interval = interval
        self._clock = clock
        self._last: float | None = None
        self._timer: Timer | None = None

    @property
    def pending(self) -> bool:
        return self._timer is not None

    def request(self) -> None:
        if self._timer is not None:
            return  # the run already scheduled will see this change too
        due = None if self._last is None else self._last + self._interval
        if due is None or due <= self._clock.now():
            self._run()
        else:
            self._timer = self._clock.call_at(due, self._run)

    def flush(self) -> None:
        """Run now if a run is pending (before the state is said goodbye to, or replaced)."""
        if self._timer is not None:
            self._timer.cancel()
            self._run()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _run(self) -> None:
        self._timer = None
        self._last = self._clock.now()
        self._action()
