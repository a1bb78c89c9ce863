"""The register of retained topics the daemon published, per device, across restarts.

A device removed from the configuration (now, by a reload, or while the daemon was not
running) must lose every retained topic it had: its state, availability, firmware and
Home Assistant configs. The register remembers them by device id and saves itself soon
after each change: one save at a time, taking the map as it is then (a save per device
coming online would copy the whole map each time).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any

from setsmart.daemon.saver import StateSaver
from setsmart.daemon.store import StateError, load_published, save_published

#: How the register starts its save task: `(coroutine, name) -> task`.
SpawnTask = Callable[[Coroutine[Any, Any, None], str], "asyncio.Task[None]"]


@dataclass(eq=False, slots=True)
class RetainedTopics:
    saver: StateSaver
    spawn: SpawnTask
    # Sorted tuples: a tuple is a tenth of the memory of a set.
    _topics: dict[str, tuple[str, ...]] = field(init=False, default_factory=dict)
    _dirty: bool = field(init=False, default=False)
    _saving: asyncio.Task[None] | None = field(init=False, default=None)

    def load(self) -> list[StateError]:
        """Read the register of an earlier run; the problems found (already set aside)."""
        loaded = load_published(self.saver.store)
        self._topics = {device: tuple(sorted(set(t))) for device, t in loaded.value.items()}
        return list(loaded.problems)

    def of(self, device_id: str) -> tuple[str, ...]:
        return self._topics.get(device_id, ())

    def set(self, device_id: str, topics: Iterable[str]) -> None:
        """The device's retained topics are now `topics`."""
        now = tuple(sorted(set(topics)))
        if now != self._topics.get(device_id, ()):
            self._topics[device_id] = now
            self._changed()

    def add(self, device_id: str, topic: str) -> None:
        before = self._topics.get(device_id, ())
        if topic not in before:
            self.set(device_id, (*before, topic))

    def forget(self, device_id: str) -> tuple[str, ...]:
        """Drop the device; the topics it had (to clear)."""
        topics = self._topics.pop(device_id, ())
        if topics:
            self._changed()
        return topics

    def forget_all_but(self, device_ids: Iterable[str]) -> list[str]:
        """Drop the devices not in `device_ids`; every topic they had (to clear)."""
        keep = set(device_ids)
        cleared: list[str] = []
        for device_id in [d for d in self._topics if d not in keep]:
            cleared += self.forget(device_id)
        return cleared

    def _changed(self) -> None:
        self._dirty = True
        if self._saving is None or self._saving.done():
            self._saving = self.spawn(self._save_soon(), "save-published")

    async def _save_soon(self) -> None:
        while self._dirty:
            self._dirty = False
            data = {device_id: list(topics) for device_id, topics in self._topics.items()}
            await self.saver.write(save_published, data)
