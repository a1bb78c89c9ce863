"""The energy totals of every device, kept across restarts.

Each device's `EnergyMeter` lives here (by device id), so that a device restarted by a
reload keeps counting where it was. Totals that changed are saved at most every
`SAVE_EVERY` seconds by the supervisor's saving loop, and once more at exit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from setsmart.daemon.saver import StateSaver
from setsmart.daemon.store import StateError, load_energy, save_energy
from setsmart.devices import EnergyMeter

#: Seconds between two saves of totals that changed.
SAVE_EVERY: Final = 60.0


@dataclass(eq=False, slots=True)
class EnergyStore:
    saver: StateSaver
    meters: dict[str, EnergyMeter] = field(default_factory=dict)
    dirty: bool = False

    def load(self) -> list[StateError]:
        """Read the totals saved by an earlier run; the problems found (already set aside)."""
        loaded = load_energy(self.saver.store)
        self.meters = loaded.value
        return list(loaded.problems)

    def meter(self, device_id: str) -> EnergyMeter:
        return self.meters.setdefault(device_id, EnergyMeter())

    def changed(self) -> None:
        self.dirty = True

    def snapshot(self) -> dict[str, EnergyMeter]:
        return {device_id: EnergyMeter(meter.kwh) for device_id, meter in self.meters.items()}

    async def save(self) -> None:
        """Save the totals if they changed since the last save."""
        if self.dirty:
            self.dirty = False
            await self.saver.write(save_energy, self.snapshot())

    def save_now(self) -> None:
        """The last save, at exit."""
        if self.dirty and self.saver.write_now(save_energy, self.snapshot()):
            self.dirty = False
