"""Coalescer: the first request runs at once, a burst after it runs once, at the end."""

from __future__ import annotations

import asyncio

from setsmart.daemon.coalesce import Coalescer
from tests.support.clock import ManualClock

INTERVAL = 0.05


def counter() -> tuple[list[float], Coalescer]:
    runs: list[float] = []
    coalescer = Coalescer(lambda: runs.append(asyncio.get_running_loop().time()), INTERVAL)
    return runs, coalescer


async def test_an_idle_request_runs_at_once() -> None:
    runs, coalescer = counter()
    coalescer.request()
    assert len(runs) == 1
    assert not coalescer.pending


async def test_a_burst_runs_once_more_after_the_interval() -> None:
    runs, coalescer = counter()
    for _ in range(100):
        coalescer.request()
    assert len(runs) == 1
    assert coalescer.pending
    await asyncio.sleep(INTERVAL * 3)
    assert len(runs) == 2
    assert runs[1] - runs[0] >= INTERVAL * 0.9
    assert not coalescer.pending


async def test_flush_runs_what_is_pending_now() -> None:
    runs, coalescer = counter()
    coalescer.request()
    coalescer.request()
    coalescer.flush()
    assert len(runs) == 2
    coalescer.flush()  # nothing pending: nothing more
    await asyncio.sleep(INTERVAL * 2)
    assert len(runs) == 2


async def test_cancel_drops_what_is_pending() -> None:
    runs, coalescer = counter()
    coalescer.request()
    coalescer.request()
    coalescer.cancel()
    await asyncio.sleep(INTERVAL * 2)
    assert len(runs) == 1


def test_on_a_clock_driven_by_hand_a_burst_runs_at_the_end_of_the_interval() -> None:
    clock = ManualClock()
    runs: list[float] = []
    coalescer = Coalescer(lambda: runs.append(clock.now()), 1.0, clock)
    coalescer.request()
    clock.advance(0.25)
    for _ in range(10):
        coalescer.request()
    clock.advance(0.5)
    assert runs == [1000.0]
    clock.advance(0.5)
    assert runs == [1000.0, 1001.0]
    clock.advance(5.0)
    coalescer.request()  # idle for longer than the interval: at once
    assert runs == [1000.0, 1001.0, 1006.25]
    assert clock.pending == 0
