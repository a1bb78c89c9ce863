"""State files written off the event loop, in the order they were asked for.

Saves block on fsync (milliseconds, more on an SD card), so they run on one thread of
their own; one thread also keeps them in order, so the newest data is written last
even when the task that asked for a save is cancelled meanwhile (its save still runs),
and the last saves at exit (`write_now`) come after every earlier one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from setsmart.daemon.store import StateError, StateStore

T = TypeVar("T")


@dataclass(eq=False, slots=True)
class StateSaver:
    """Runs the store's saves on its thread; a failure goes to `on_error` as one readable
    line and the daemon carries on."""

    store: StateStore
    on_error: Callable[[str], None]
    _thread: ThreadPoolExecutor | None = field(init=False, default=None)

    async def write(self, save: Callable[[StateStore, T], None], data: T) -> bool:
        """Save in the background; whether it worked."""
        future = self._submit(save, data)
        try:
            await asyncio.shield(asyncio.wrap_future(future))
        except StateError as exc:
            self.on_error(f"could not save state: {exc}")
            return False
        return True

    def write_now(self, save: Callable[[StateStore, T], None], data: T) -> bool:
        """Save and wait for it, after every save asked for before (at exit)."""
        try:
            self._submit(save, data).result()
        except StateError as exc:
            self.on_error(f"could not save state: {exc}")
            return False
        return True

    def close(self) -> None:
        """Wait for the saves under way and let the thread go."""
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None

    def _submit(self, save: Callable[[StateStore, T], None], data: T) -> Future[None]:
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="setsmart-save")
        return self._thread.submit(save, self.store, data)
