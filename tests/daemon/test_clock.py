"""The loop clock: the time the running loop's timers keep, under asyncio and uvloop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from setsmart.daemon.clock import LOOP_CLOCK
from setsmart.eventloop import loop_factory

FACTORIES = {"asyncio": None, "uvloop": loop_factory()}


async def timer_fired_at(delay: float) -> tuple[float, float, float]:
    """When the loop's time and the clock were read as a timer set `delay` ahead fired."""
    loop = asyncio.get_running_loop()
    asked = LOOP_CLOCK.now() + delay
    fired: asyncio.Future[tuple[float, float]] = loop.create_future()
    LOOP_CLOCK.call_at(asked, lambda: fired.set_result((LOOP_CLOCK.now(), loop.time())))
    clock, loop_time = await asyncio.wait_for(fired, 1)
    return asked, clock, loop_time


@pytest.mark.parametrize("name", FACTORIES)
def test_a_timer_fires_on_time_by_the_clock_and_the_loop_agrees(name: str) -> None:
    factory: Callable[[], asyncio.AbstractEventLoop] | None = FACTORIES[name]
    if name == "uvloop" and factory is None:
        pytest.fail("uvloop is a dependency of setsmart on CPython and should be installed")
    with asyncio.Runner(loop_factory=factory) as runner:
        for delay in (0.0, 0.02):
            asked, clock, loop_time = runner.run(timer_fired_at(delay))
            assert clock >= asked - 0.001  # uvloop rounds a delay to the millisecond
            assert clock - asked < 0.5
            assert abs(clock - loop_time) < 0.01  # the same scale as the loop's timers
