"""What the daemon tells live listeners (the HTTP event stream): state, availability,
log, devices and firmware events, and the recent `bridge/log` entries.

Each listener has a bounded queue; one that falls behind by more than `limit` events is
dropped (its stream ends, the page reconnects and starts again from the current state),
so a slow browser never holds up the daemon nor makes it keep an unbounded backlog.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

#: An event: its name (`state`, `availability`, `log`, `devices`, `firmware`) and data.
Event = tuple[str, object]

_LOG_KEPT: Final = 200
_QUEUE: Final = 2000


class Listener:
    """One subscriber's queue; `closed` once it fell behind and was dropped."""

    def __init__(self, limit: int) -> None:
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(limit + 1)
        self.limit = limit
        self.closed = False

    def put(self, event: Event) -> None:
        if self.closed:
            return
        if self.queue.qsize() >= self.limit:
            self.closed = True
            self.queue.put_nowait(None)
            return
        self.queue.put_nowait(event)

    async def next(self) -> Event | None:
        """The next event, or None once the listener was dropped."""
        return await self.queue.get()


class EventHub:
    """Fans events out to listeners and keeps the recent log entries."""

    def __init__(self, limit: int = _QUEUE, log_kept: int = _LOG_KEPT) -> None:
        self._listeners: set[Listener] = set()
        self._limit = limit
        self.recent_log: deque[dict[str, object]] = deque(maxlen=log_kept)
        #: The latest state document of each device.
        self.states: dict[str, dict[str, object]] = {}

    def state(self, device: str, document: dict[str, object]) -> None:
        self.states[device] = document
        if self._listeners:  # nearly always none: no event to build
            self.publish("state", {"device": device, "state": document})

    def forget(self, device: str) -> None:
        self.states.pop(device, None)

    def publish(self, event: str, data: object) -> None:
        if event == "log" and isinstance(data, dict):
            self.recent_log.append(data)
        for listener in self._listeners:
            listener.put((event, data))

    @contextmanager
    def listen(self) -> Iterator[Listener]:
        listener = Listener(self._limit)
        self._listeners.add(listener)
        try:
            yield listener
        finally:
            self._listeners.discard(listener)

    def log(self, limit: int) -> list[dict[str, object]]:
        """The last `limit` log entries, oldest first."""
        entries = list(self.recent_log)
        return entries[-limit:] if limit > 0 else []
