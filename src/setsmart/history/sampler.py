"""Which state changes become history samples.

Rules:
- Only numeric state keys are kept (booleans and text are not plotted), keys in
  `numeric_values` order; `dps` and other nested values are skipped.
- At most one sample per device and key per `interval` seconds: a change within the
  interval waits, and only the latest value is written when the interval is over, so the
  last value a device reported is never lost, only the ones in between.
- An unchanged value is not written again, except once per `keepalive` seconds, so a plot
  of a flat line still has points in every window it is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

#: State keys that are numbers but not measurements worth a history.
_NOT_HISTORY: Final = frozenset({"last_seen"})
# Exact types: a bool is an int to isinstance, and is not plotted.
_NUMBERS: Final = frozenset({int, float})


@dataclass(frozen=True, slots=True)
class Sample:
    device: str
    key: str
    t: float  # seconds since the epoch
    v: float


def numeric_values(state: Mapping[str, object]) -> list[tuple[str, float]]:
    """The (key, value) pairs of a state document worth a history (a list, not a
    generator: every state change is read, and a generator's step per key cost as much as
    the sampling)."""
    return [
        (key, float(value))  # type: ignore[arg-type]  # an int or a float
        for key, value in state.items()
        if type(value) in _NUMBERS and key not in _NOT_HISTORY
    ]


@dataclass(slots=True)
class _Series:
    written_t: float
    written_v: float
    pending: tuple[float, float] | None = None


@dataclass(slots=True)
class Sampler:
    """Turns state documents into samples, as the rules above say."""

    interval: float = 5.0
    keepalive: float = 300.0
    _series: dict[str, dict[str, _Series]] = field(default_factory=dict)  # device -> key ->

    def observe(self, device: str, state: Mapping[str, object], now: float) -> list[Sample]:
        """The samples to write now for this state document of `device`."""
        out: list[Sample] = []
        known = self._series.get(device)
        if known is None:
            known = self._series[device] = {}
        for key, value in numeric_values(state):
            series = known.get(key)
            if series is None:
                known[key] = _Series(now, value)
                out.append(Sample(device, key, now, value))
                continue
            if now - series.written_t >= self.interval:
                if value != series.written_v or now - series.written_t >= self.keepalive:
                    series.written_t, series.written_v, series.pending = now, value, None
                    out.append(Sample(device, key, now, value))
                else:
                    series.pending = None
            else:
                series.pending = None if value == series.written_v else (now, value)
        return out

    def due(self, now: float) -> list[Sample]:
        """Values held back by the interval whose interval is now over."""
        out: list[Sample] = []
        for device, known in self._series.items():
            for key, series in known.items():
                if series.pending is not None and now - series.written_t >= self.interval:
                    _, value = series.pending
                    series.written_t, series.written_v, series.pending = now, value, None
                    out.append(Sample(device, key, now, value))
        return out

    def forget(self, device: str) -> None:
        """Drop what is known of `device` (removed from the configuration)."""
        self._series.pop(device, None)
