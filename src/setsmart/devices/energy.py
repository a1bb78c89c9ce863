"""Turning `add_ele` reports (energy added since the last report) into a running kWh total."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from setsmart.devices.errors import EnergyStateError
from setsmart.devices.profile import DeviceProfile
from setsmart.devices.types import is_int, is_number

#: A single report above this is taken as corrupt: a 16 A socket at 250 V adds 4 kWh an hour.
MAX_REPORT_KWH: Final = 10.0
_DEFAULT_DIVISOR: Final = 1000  # add_ele counts 0.001 kWh


@dataclass(slots=True)
class EnergyMeter:
    """The running total of one device, in kWh, persisted with `to_dict`/`from_dict`."""

    kwh: float = 0.0
    rejected: int = 0

    def add(self, raw: object, divisor: int = _DEFAULT_DIVISOR) -> bool:
        """Add one report of `raw` device units (`divisor` units to the kWh).

        Returns whether it counted: negative values, values over MAX_REPORT_KWH and
        anything but an integer are ignored (and counted in `rejected`).
        """
        if not is_int(raw):
            self.rejected += 1
            return False
        added = raw / divisor
        if not 0 <= added <= MAX_REPORT_KWH:
            self.rejected += 1
            return False
        # Rounding to 1e-9 kWh keeps float error from creeping into the total.
        self.kwh = round(self.kwh + added, 9)
        return True

    def add_from(self, profile: DeviceProfile, dps: Mapping[str, object]) -> bool:
        """Add the energy DP of a report, if the report holds one."""
        dp = profile.dp("energy")
        if dp is None or dp not in dps:
            return False
        return self.add(dps[dp], profile.scale.get("energy", _DEFAULT_DIVISOR))

    def to_dict(self) -> dict[str, object]:
        """What to persist."""
        return {"kwh": self.kwh}

    @classmethod
    def from_dict(cls, data: object) -> EnergyMeter:
        """A meter from what `to_dict` gave; EnergyStateError if it is not that."""
        kwh = data.get("kwh") if isinstance(data, Mapping) else None
        if not is_number(kwh) or kwh < 0:
            raise EnergyStateError(
                f"energy state: 'kwh' must be a non-negative number, got {data!r:.80}"
            )
        return cls(kwh=float(kwh))
