"""The electricity a simulated plug measures: readings that wander, energy that adds up."""

from __future__ import annotations

import random
from dataclasses import dataclass

_NOMINAL_VOLTS = 230.0
_VOLT_SPREAD = 5.0  # the mains voltage stays within 230 V +- this
_VOLT_STEP = 0.6  # standard deviation of one resample's voltage change
_LOAD_JITTER = 0.02  # the load's power varies by +- 2 % between samples


@dataclass(frozen=True, slots=True)
class Reading:
    """What the meter shows, in the units plugs report: mA, W x10, V x10."""

    current_ma: int
    power_dw: int
    voltage_dv: int


class Meter:
    """A plug's meter. It resamples at most once per `sample_period` of the device's clock,
    and integrates the power it last sampled into energy (Wh) as time passes."""

    def __init__(
        self, *, load_watts: float, rng: random.Random, now: float, sample_period: float = 1.0
    ) -> None:
        self.load_watts = load_watts
        self.sample_period = sample_period
        self._rng = rng
        self._volts = _NOMINAL_VOLTS + rng.uniform(-2.0, 2.0)
        self._watts = 0.0
        self._energy_wh = 0.0
        self._last = now
        self._last_sample = now

    def advance(self, now: float, *, on: bool) -> None:
        """Let time pass until `now`: energy accumulates, readings resample if due."""
        self._accumulate(now)
        if now - self._last_sample >= self.sample_period:
            self.resample(now, on=on)

    def resample(self, now: float, *, on: bool) -> None:
        """Take a new sample now (also when the relay switches)."""
        self._accumulate(now)
        self._last_sample = now
        step = self._rng.gauss(0.0, _VOLT_STEP)
        low, high = _NOMINAL_VOLTS - _VOLT_SPREAD, _NOMINAL_VOLTS + _VOLT_SPREAD
        self._volts = min(max(self._volts + step, low), high)
        jitter = self._rng.uniform(-_LOAD_JITTER, _LOAD_JITTER)
        self._watts = self.load_watts * (1.0 + jitter) if on else 0.0

    @property
    def reading(self) -> Reading:
        return Reading(
            current_ma=round(self._watts / self._volts * 1000),
            power_dw=round(self._watts * 10),
            voltage_dv=round(self._volts * 10),
        )

    @property
    def energy_wh(self) -> int:
        """Whole Wh (0.001 kWh, the unit of add_ele) not yet reported."""
        return int(self._energy_wh)

    def take_energy(self) -> int:
        """Report the whole Wh added since the last report (add_ele is not a running total)."""
        whole = int(self._energy_wh)
        self._energy_wh -= whole
        return whole

    def _accumulate(self, now: float) -> None:
        elapsed = max(0.0, now - self._last)
        self._energy_wh += self._watts * elapsed / 3600.0
        self._last = now
