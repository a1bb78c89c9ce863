"""What moves by itself in a simulated device: a thermostat's room warming toward its
setpoint, a cover travelling to its position, a sensor's readings wandering.

Pure: each `step` is one tick of the device's motion timer and returns the DPs it
changed (the device pushes them, as real firmware reports a change). DP ids are the
simulated kinds' own (sim/kinds.py), not taken from `setsmart.devices`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from setsmart.protocol import Dps, DpValue

#: Seconds between two ticks of a device's motion.
TICK: Final = 0.5


class Motion(Protocol):
    """How one kind's DPs change by themselves."""

    def written(self, taken: Mapping[str, DpValue], dps: Mapping[str, DpValue]) -> None:
        """A client or a button changed `taken` (now part of `dps`)."""

    def step(self, dps: Mapping[str, DpValue], rng: random.Random) -> Dps:
        """One tick: the DPs that change, with their new values."""


def _int(value: DpValue, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _toward(now: int, target: int, speed: int) -> int:
    return now + max(-speed, min(speed, target - now))


@dataclass(slots=True)
class Thermostat:
    """wk: while the switch (1) is on, the room (24, tenths of °C) moves 0.1 °C a tick to
    the setpoint (16) and stays there; off, it cools toward `ambient`. work_state (3)
    says whether it is heating."""

    ambient: int = 170

    def written(self, taken: Mapping[str, DpValue], dps: Mapping[str, DpValue]) -> None:
        del taken, dps  # the next tick reads the new setpoint

    def step(self, dps: Mapping[str, DpValue], rng: random.Random) -> Dps:
        del rng
        room, setpoint = _int(dps.get("24"), self.ambient), _int(dps.get("16"), self.ambient)
        on = dps.get("1") is True
        heating = on and room < setpoint
        target = setpoint if on else min(self.ambient, room)
        changes: Dps = {}
        if room != target:
            changes["24"] = _toward(room, target, 1)
        work = "heating" if heating else "idle"
        if dps.get("3") != work:
            changes["3"] = work
        return changes


@dataclass(slots=True)
class Cover:
    """cl: `control` (1) open/close drives to 100/0, `percent_control` (2) to its value,
    stop halts; percent_state (3) moves `speed` a tick, work_state (7) says which way."""

    speed: int = 20
    target: int | None = None

    def written(self, taken: Mapping[str, DpValue], dps: Mapping[str, DpValue]) -> None:
        control = taken.get("1")
        if control == "open":
            self.target = 100
        elif control == "close":
            self.target = 0
        elif control == "stop":
            self.target = None
        elif "2" in taken:
            self.target = _int(taken["2"], _int(dps.get("3"), 0))

    def step(self, dps: Mapping[str, DpValue], rng: random.Random) -> Dps:
        del rng
        if self.target is None:
            return {}
        now = _int(dps.get("3"), 0)
        if now == self.target:
            self.target = None
            return {}
        changes: Dps = {"3": _toward(now, self.target, self.speed)}
        way = "opening" if self.target > now else "closing"
        if dps.get("7") != way:
            changes["7"] = way
        return changes


@dataclass(slots=True)
class ClimateSensor:
    """wsdcg: temperature (1, tenths of °C) and humidity (2, %) wander every few ticks."""

    every: int = 4
    ticks: int = 0

    def written(self, taken: Mapping[str, DpValue], dps: Mapping[str, DpValue]) -> None:
        del taken, dps  # nothing of a sensor is written

    def step(self, dps: Mapping[str, DpValue], rng: random.Random) -> Dps:
        self.ticks += 1
        if self.ticks % self.every:
            return {}
        temperature = _int(dps.get("1"), 215) + rng.choice((-2, -1, 1, 2))
        humidity = _int(dps.get("2"), 45) + rng.choice((-1, 0, 1))
        return {"1": min(max(temperature, 150), 300), "2": min(max(humidity, 20), 80)}


def wake_readings(dps: Mapping[str, DpValue], wake: int, rng: random.Random) -> Dps:
    """What a sleeping wsdcg sensor measures at its `wake`-th wake: the temperature (1,
    tenths of °C) moves 0.1-0.3 °C (back the other way at the ends of 15-30 °C, so every
    wake reports a change), humidity (2, %) wanders, and the battery (4, %) loses a point
    every tenth wake, its state (3) following."""
    temperature = _int(dps.get("1"), 215)
    step = rng.choice((-3, -2, -1, 1, 2, 3))
    moved = temperature + step if 150 <= temperature + step <= 300 else temperature - step
    humidity = min(max(_int(dps.get("2"), 45) + rng.choice((-1, 0, 1)), 20), 80)
    battery = _int(dps.get("4"), 100)
    if wake % 10 == 0:
        battery = max(battery - 1, 0)
    state = "low" if battery < 20 else "middle" if battery < 50 else "high"
    return {"1": moved, "2": humidity, "3": state, "4": battery}
