"""Local keys learnt from the Tuya cloud, by device id, kept across restarts.

A device re-paired in the app gets a new local key; the daemon fetches it from the cloud
and keeps it here (in the state directory, never in the user's YAML). Every key is
registered as a secret as soon as it is known, so that no log line can show it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from setsmart.config.secret import Secret
from setsmart.daemon.logs import register_secret
from setsmart.daemon.saver import StateSaver
from setsmart.daemon.store import StateError, load_local_keys, save_local_keys


@dataclass(eq=False, slots=True)
class LearntKeys:
    saver: StateSaver
    spawn: Callable[[Coroutine[Any, Any, None], str], asyncio.Task[None]]
    _keys: dict[str, Secret] = field(init=False, default_factory=dict)

    def load(self) -> list[StateError]:
        """Read the keys of an earlier run; the problems found (already set aside)."""
        loaded = load_local_keys(self.saver.store)
        for key in loaded.value.values():
            register_secret(key)
        self._keys = loaded.value
        return list(loaded.problems)

    def get(self, device_id: str) -> Secret | None:
        return self._keys.get(device_id)

    def keep(self, device_id: str, key: Secret | None) -> None:
        """Keep `key` for the device (None: forget the one kept), and save soon."""
        if key is None:
            if self._keys.pop(device_id, None) is None:
                return
        else:
            register_secret(key)
            self._keys[device_id] = key
        self.spawn(self._save(dict(self._keys)), "save-keys")

    async def _save(self, keys: dict[str, Secret]) -> None:
        await self.saver.write(save_local_keys, keys)
