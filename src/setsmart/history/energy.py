"""Hourly energy from a device's running total (the `energy` state key, kWh).

The daemon's total only grows (it is kept across restarts). Each new total adds its
difference from the previous one to the hour in which it was seen; a total lower than
the previous one (a meter replaced, the state directory lost) starts counting again from
it without adding anything, so a reset never shows as a huge or negative hour.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HOUR = 3600


def hour_of(t: float) -> int:
    """The start of the UTC hour holding `t` (seconds since the epoch)."""
    return int(t // HOUR) * HOUR


@dataclass(slots=True)
class HourlyEnergy:
    """Per device: the last total seen, and kWh added per hour not yet written."""

    _last_total: dict[str, float] = field(default_factory=dict)
    _unwritten: dict[tuple[str, int], float] = field(default_factory=dict)

    def observe(self, device: str, total_kwh: float, t: float) -> None:
        last = self._last_total.get(device)
        self._last_total[device] = total_kwh
        if last is None or total_kwh <= last:
            return
        slot = (device, hour_of(t))
        self._unwritten[slot] = self._unwritten.get(slot, 0.0) + (total_kwh - last)

    def take(self) -> dict[tuple[str, int], float]:
        """The kWh to add per (device, hour start) since the last take."""
        taken, self._unwritten = self._unwritten, {}
        return taken

    def put_back(self, additions: dict[tuple[str, int], float]) -> None:
        """Additions that could not be written (a full disk): kept for the next try."""
        for slot, kwh in additions.items():
            self._unwritten[slot] = self._unwritten.get(slot, 0.0) + kwh
