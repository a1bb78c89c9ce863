"""State files written off the event loop, one at a time, the newest data last."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from setsmart.daemon.store import StateError, StateStore

T = TypeVar("T")


@dataclass(eq=False, slots=True)
class StateSaver:
    """Runs the store's saves in a thread (fsync can take long on an SD card); a failure
    goes to `on_error` as one readable line and the daemon carries on."""

    store: StateStore
    on_error: Callable[[str], None]
    _lock: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)

    async def write(self, save: Callable[[StateStore, T], None], data: T) -> None:
        async with self._lock:
            try:
                await asyncio.to_thread(save, self.store, data)
            except StateError as exc:
                self.on_error(f"could not save state: {exc}")

    def write_now(self, save: Callable[[StateStore, T], None], data: T) -> bool:
        """Save on the caller's thread (at exit, with no loop left to hand it to)."""
        try:
            save(self.store, data)
        except StateError as exc:
            self.on_error(f"could not save state: {exc}")
            return False
        return True
