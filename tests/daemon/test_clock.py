"""The loop clock: the running loop's time, in each thread and in each new loop."""

from __future__ import annotations

import asyncio
import threading

from setsmart.daemon.clock import LOOP_CLOCK


async def read_clock() -> tuple[float, float]:
    return LOOP_CLOCK.now(), asyncio.get_running_loop().time()


def test_the_clock_follows_each_new_loop_and_each_thread() -> None:
    for _ in range(2):  # a loop that stopped is not read again
        with asyncio.Runner() as runner:
            clock, loop = runner.run(read_clock())
            assert abs(clock - loop) < 0.1
    results: list[tuple[float, float]] = []

    def in_a_thread() -> None:
        results.append(asyncio.run(read_clock()))

    async def both() -> None:
        thread = threading.Thread(target=in_a_thread)
        thread.start()
        await asyncio.to_thread(thread.join)
        fired = asyncio.Event()
        LOOP_CLOCK.call_at(LOOP_CLOCK.now(), fired.set)
        await asyncio.wait_for(fired.wait(), 1)

    asyncio.run(both())
    assert len(results) == 1
    clock, loop = results[0]
    assert abs(clock - loop) < 0.1
