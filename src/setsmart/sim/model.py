"""A simulated device's state: its DPs, what a write changes, what it last reported.

Pure: no I/O, no asyncio. Time comes from the clock given; the device layer drives it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping

from setsmart.protocol import Dps, DpValue
from setsmart.sim.kinds import KindSpec
from setsmart.sim.meter import Meter

Clock = Callable[[], float]


class DeviceModel:
    """The DPs of one device, with the behaviour of its firmware.

    - writes are checked against the kind's DP specs; a value the firmware would not take
      (wrong type, out of range, read-only, unknown DP) is ignored, as devices do;
    - a metering plug's readings wander and its energy adds up with the clock;
    - `reported` is what the device last told anyone, so UPDATEDPS can answer with only
      what changed since.
    """

    def __init__(
        self,
        spec: KindSpec,
        dps: Mapping[str, DpValue] | None = None,
        *,
        clock: Clock,
        rng: random.Random,
        load_watts: float,
    ) -> None:
        self.spec = spec
        self._clock = clock
        self._dps: Dps = dict(spec.initial)
        for key, value in (dps or {}).items():
            if str(key) in self._dps:
                self._dps[str(key)] = value
        self._reported: Dps = {}
        self._rng = rng
        self.motion = spec.motion() if spec.motion is not None else None
        self.meter = (
            Meter(load_watts=load_watts, rng=rng, now=clock()) if spec.meter is not None else None
        )
        if self.meter is not None:
            self.meter.resample(clock(), on=self._relay_on())
            self._show_reading()

    @property
    def dps(self) -> Dps:
        """The DPs as they are now (reading them reports nothing)."""
        self._refresh()
        return dict(self._dps)

    def report(self, ids: Iterable[str] | None = None) -> Dps:
        """The DPs for a query reply (all, or those of `ids` the device has); marks them told."""
        self._refresh()
        keys = list(self._dps) if ids is None else [k for k in map(str, ids) if k in self._dps]
        return self._tell(keys)

    def changed(self, ids: Iterable[str | int]) -> Dps:
        """UPDATEDPS: those of `ids` whose value differs from the last report."""
        self._refresh()
        energy = self.spec.meter.energy if self.spec.meter else None
        keys = []
        for key in dict.fromkeys(map(str, ids)):
            if key not in self._dps:
                continue
            if key == energy:
                if self.meter is not None and self.meter.energy_wh > 0:
                    keys.append(key)
            elif key not in self._reported or self._reported[key] != self._dps[key]:
                keys.append(key)
        return self._tell(keys)

    def apply(self, changes: Mapping[str, DpValue], *, local: bool = False) -> Dps:
        """Apply a write; returns the DPs taken (with their new values), reported as pushed.

        `local`: a change made on the device itself, which may set any DP it has.
        """
        taken: Dps = {}
        for name, value in changes.items():
            key = str(name)
            dp = self.spec.specs.get(key)
            if dp is not None and (local or dp.accepts(value)):
                taken[key] = value
        if not taken:
            return {}
        relay_was = self._relay_on()
        self._refresh()
        self._dps.update(taken)
        if self.meter is not None and self._relay_on() != relay_was:
            self.meter.resample(self._clock(), on=self._relay_on())
            self._show_reading()
        self._reported.update(taken)
        if self.motion is not None:
            self.motion.written(taken, self._dps)
        return taken

    def step(self) -> Dps:
        """One tick of what moves by itself; the DPs changed, reported as pushed."""
        if self.motion is None:
            return {}
        return self.apply(self.motion.step(self._dps, self._rng), local=True)

    def countdown_ended(self, countdown: str) -> Dps:
        """A countdown ran out: its switch flips and the countdown reads 0 again."""
        switch = self.spec.countdowns[countdown]
        return self.apply({switch: not self._dps.get(switch), countdown: 0})

    # Internals ----------------------------------------------------------------------

    def _relay_on(self) -> bool:
        where = self.spec.meter
        return where is not None and self._dps.get(where.relay) is True

    def _refresh(self) -> None:
        if self.meter is not None:
            self.meter.advance(self._clock(), on=self._relay_on())
            self._show_reading()

    def _show_reading(self) -> None:
        meter, where = self.meter, self.spec.meter
        if meter is None or where is None:
            return
        reading = meter.reading
        self._dps[where.current] = reading.current_ma
        self._dps[where.power] = reading.power_dw
        self._dps[where.voltage] = reading.voltage_dv
        if where.energy is not None:
            self._dps[where.energy] = meter.energy_wh

    def _tell(self, keys: list[str]) -> Dps:
        told = {key: self._dps[key] for key in keys}
        where = self.spec.meter
        if self.meter is not None and where is not None and where.energy in told:
            told[where.energy] = self.meter.take_energy()
            self._dps[where.energy] = self.meter.energy_wh
        self._reported.update(told)
        return told
