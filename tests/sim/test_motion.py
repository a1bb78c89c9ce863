"""What moves by itself in the simulated kinds, one tick at a time (no sockets, no time)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime

from setsmart.devices import device_state, profile_for
from setsmart.sim.kinds import kind_spec
from setsmart.sim.model import DeviceModel
from tests.sim.conftest import FakeClock


def _model(kind: str, clock: FakeClock) -> DeviceModel:
    return DeviceModel(kind_spec(kind), clock=clock, rng=random.Random(3), load_watts=0.0)


def _state(kind: str, dps: Mapping[str, object]) -> dict[str, object]:
    return device_state(
        profile_for(kind, {}, dps),
        dps,
        energy_kwh=None,
        source="lan",
        last_seen=datetime(2024, 1, 1, tzinfo=UTC),
    )


def test_a_thermostat_warms_the_room_to_its_setpoint_then_idles(clock: FakeClock) -> None:
    device = _model("climate", clock)
    device.apply({"16": 200})  # 20.0 °C; the room is at 18.5
    seen = [device.step() for _ in range(30)]
    assert seen[0] == {"24": 186, "3": "heating"}
    assert device.dps["24"] == 200
    assert device.dps["3"] == "idle"
    state = _state("climate", device.dps)
    assert state["local_temperature"] == 20.0
    assert state["running_state"] == "idle"


def test_a_switched_off_thermostat_lets_the_room_cool(clock: FakeClock) -> None:
    device = _model("climate", clock)
    device.apply({"1": False})
    for _ in range(30):
        device.step()
    assert device.dps["24"] == 170
    assert _state("climate", device.dps)["system_mode"] == "off"


def test_a_cover_travels_to_its_position_in_a_few_ticks(clock: FakeClock) -> None:
    device = _model("cover", clock)
    device.apply({"2": 30})
    positions = []
    for _ in range(10):
        if changed := device.step():
            positions.append(changed["3"])
    assert positions == [80, 60, 40, 30]
    assert device.dps["7"] == "closing"
    device.apply({"1": "open"})
    device.step()
    device.apply({"1": "stop"})
    assert device.step() == {}
    assert _state("cover", device.dps)["position"] == 50


def test_a_sensor_reports_new_readings_every_few_ticks(clock: FakeClock) -> None:
    device = _model("sensor", clock)
    changes = [device.step() for _ in range(8)]
    assert [bool(c) for c in changes] == [False, False, False, True] * 2
    assert 150 <= int(str(device.dps["1"])) <= 300
