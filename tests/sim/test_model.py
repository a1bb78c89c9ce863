"""The device model without sockets: DP sets, what firmware takes, the meter, reports."""

from __future__ import annotations

import random

import pytest

from setsmart.protocol import Dps
from setsmart.sim import KINDS, SimConfigError
from setsmart.sim.kinds import kind_spec
from setsmart.sim.model import DeviceModel
from tests.sim.conftest import FakeClock


def model(
    kind: str, clock: FakeClock, load_watts: float = 100.0, dps: Dps | None = None
) -> DeviceModel:
    return DeviceModel(
        kind_spec(kind, dps), clock=clock, rng=random.Random(7), load_watts=load_watts
    )


@pytest.mark.parametrize(
    ("kind", "dp_ids"),
    [
        ("plug", ["1", "9", "17", "18", "19", "20"]),
        ("plug_legacy", ["1", "2", "4", "5", "6"]),
        ("strip", ["1", "2", "3", "4", "7", "9", "10", "11", "12", "15"]),
        ("bulb", ["20", "21", "22", "23", "24", "25", "26"]),
        ("bulb_v1", ["1", "2", "3", "4", "5"]),
    ],
)
def test_each_kind_has_the_dps_of_its_real_counterpart(
    kind: str, dp_ids: list[str], clock: FakeClock
) -> None:
    assert sorted(model(kind, clock).dps, key=int) == dp_ids


def test_kinds_are_checked() -> None:
    assert "raw" in KINDS
    with pytest.raises(SimConfigError, match="kettle"):
        kind_spec("kettle")
    with pytest.raises(SimConfigError, match="dps"):
        kind_spec("raw")


@pytest.mark.parametrize(
    ("kind", "write", "taken"),
    [
        ("bulb", {"22": 500, "21": "colour", "24": "00b403e803e8"}, None),  # all good
        ("bulb", {"22": 5}, {}),  # below 10
        ("bulb", {"22": 1001}, {}),  # above 1000
        ("bulb", {"22": True}, {}),  # a bool is not a number to firmware
        ("bulb", {"22": "500"}, {}),  # nor is a string
        ("bulb", {"21": "disco"}, {}),  # not one of the modes
        ("bulb", {"24": "ff0000"}, {}),  # v2 colour is 12 hex digits
        ("bulb", {"21": "scene", "25": "010e0d0000000000000003e801f4"}, None),  # a scene
        ("bulb", {"25": "010e0d00000000000000"}, {}),  # a unit is 26 hex digits
        ("bulb", {"25": "night"}, {}),
        ("bulb", {"21": "scene_1"}, {}),  # a v1 work mode
        ("bulb_v1", {"2": "scene_4"}, None),
        ("bulb_v1", {"5": "ff00000000ffff", "3": 25}, None),
        ("bulb_v1", {"3": 24}, {}),  # v1 brightness starts at 25
        ("plug", {"19": 5000}, {}),  # readings are read-only
        ("plug", {"1": 1}, {}),  # a switch takes true or false only
        ("plug", {"42": True}, {}),  # no such DP
        ("strip", {"3": True, "11": 60, "8": True}, {"3": True, "11": 60}),
    ],
)
def test_writes_are_taken_only_when_the_firmware_would(
    kind: str, write: Dps, taken: Dps | None, clock: FakeClock
) -> None:
    device = model(kind, clock)
    before = device.dps
    result = device.apply(write)
    expected = write if taken is None else taken
    assert result == expected
    assert device.dps == {**before, **expected}


def test_a_local_change_may_set_read_only_dps(clock: FakeClock) -> None:
    device = model("plug_legacy", clock)
    assert device.apply({"6": 2400}) == {}
    assert device.apply({"6": 2400}, local=True) == {"6": 2400}


def test_a_raw_device_keeps_the_types_it_started_with(clock: FakeClock) -> None:
    device = model("raw", clock, dps={"1": True, "101": "eco", "102": 20})
    assert device.apply({"1": False, "101": "boost", "102": -5}) == {
        "1": False,
        "101": "boost",
        "102": -5,
    }
    assert device.apply({"1": 0, "101": 3, "102": "x", "103": 1}) == {}


def test_the_meter_follows_the_relay(clock: FakeClock) -> None:
    device = model("plug", clock, load_watts=100.0)
    off = device.dps
    assert (off["18"], off["19"]) == (0, 0)
    assert 2250 <= int(off["20"] or 0) <= 2350
    device.apply({"1": True})
    on = device.dps
    assert 980 <= int(on["19"] or 0) <= 1020  # 100 W, in W x10
    assert 420 <= int(on["18"] or 0) <= 450  # 100 W / 230 V in mA


def test_readings_wander_but_stay_plausible(clock: FakeClock) -> None:
    device = model("plug", clock, load_watts=50.0)
    device.apply({"1": True})
    seen = set()
    for _ in range(500):
        clock.advance(1.0)
        dps = device.dps
        seen.add((dps["19"], dps["20"]))
        assert 2250 <= int(dps["20"] or 0) <= 2350
        assert 490 <= int(dps["19"] or 0) <= 510
    assert len(seen) > 100


def test_readings_hold_between_samples(clock: FakeClock) -> None:
    device = model("plug", clock)
    device.apply({"1": True})
    first = device.dps
    clock.advance(0.5)
    assert device.dps == first


def test_energy_is_reported_as_what_was_added_since_the_last_report(clock: FakeClock) -> None:
    device = model("plug", clock, load_watts=200.0)
    device.apply({"1": True})
    clock.advance(1800.0)  # half an hour at 200 W
    assert 98 <= int(device.dps["17"] or 0) <= 102  # peeking does not report
    assert 98 <= int(device.report(["17"])["17"] or 0) <= 102
    assert device.report(["17"]) == {"17": 0}  # reported energy is not reported again
    device.apply({"1": False})
    clock.advance(3600.0)
    assert device.changed(["17"]) == {}  # switched off: nothing added


def test_changed_lists_only_what_differs_from_the_last_report(clock: FakeClock) -> None:
    device = model("plug", clock)
    device.apply({"1": True})
    device.report()
    assert device.changed(["18", "19", "20", "1"]) == {}
    clock.advance(5.0)
    changed = device.changed(["1", "19", "20", "99"])
    assert set(changed) <= {"19", "20"}
    assert changed
    assert device.changed(["19", "20"]) == {}


def test_a_countdown_flips_its_switch(clock: FakeClock) -> None:
    device = model("strip", clock)
    device.apply({"2": True, "10": 30})
    assert device.countdown_ended("10") == {"2": False, "10": 0}
    assert device.dps["2"] is False
