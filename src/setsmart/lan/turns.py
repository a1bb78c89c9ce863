"""One request at a time on a device's connection, in the order they came.

A coroutine waits for its turn with `async with turns:`; a command takes it with
`turns.take(start)`, a callback run when the turn comes, and ends it with `turns.done()`
once the device answered. So a command needs no task of its own (creating, scheduling
and finishing one was a tenth of the CPU a `/set` cost), and heartbeats, polls and
commands still never overlap on the wire.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from types import TracebackType


class Turns:
    __slots__ = ("_busy", "_waiting")

    def __init__(self) -> None:
        self._busy = False
        self._waiting: deque[Callable[[], None]] | None = None  # made on the first wait

    @property
    def busy(self) -> bool:
        return self._busy

    def take(self, start: Callable[[], None]) -> None:
        """Run `start` now if nobody holds the turn, else once those before it are done;
        whoever `start` hands the turn to must call `done()` exactly once."""
        if not self._busy:
            self._busy = True
            start()
            return
        if self._waiting is None:
            self._waiting = deque()
        self._waiting.append(start)

    def done(self) -> None:
        """End the current turn: the next waiter's starts now."""
        if self._waiting:
            self._waiting.popleft()()
        else:
            self._busy = False

    async def __aenter__(self) -> None:
        if not self._busy:
            self._busy = True
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def start() -> None:
            if turn.cancelled():  # its coroutine was cancelled while it waited
                self.done()
            else:
                turn.set_result(None)

        self.take(start)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # given the turn, then cancelled
                self.done()
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.done()
