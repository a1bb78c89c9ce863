"""Energy: add_ele reports (energy since the last report) into a running kWh total."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setsmart.devices import EnergyMeter, EnergyStateError, profile_for


def test_reports_add_up() -> None:
    meter = EnergyMeter()
    assert meter.add(21)
    assert meter.add(4)
    assert meter.kwh == 0.025


def test_a_thousand_watt_hours_make_exactly_one_kwh() -> None:
    meter = EnergyMeter()
    for _ in range(1000):
        meter.add(1)
    assert meter.kwh == 1.0


@given(reports=st.lists(st.integers(0, 10_000), max_size=50))
def test_total_is_the_sum_of_the_reports(reports: list[int]) -> None:
    meter = EnergyMeter(kwh=2.5)
    for raw in reports:
        assert meter.add(raw)
    assert math.isclose(meter.kwh, 2.5 + sum(reports) / 1000, abs_tol=1e-9)


@pytest.mark.parametrize("raw", [-1, 10_001, 10**9, True, 2.5, "21", None])
def test_corrupt_reports_are_ignored(raw: object) -> None:
    meter = EnergyMeter(kwh=1.0)
    assert not meter.add(raw)
    assert meter.kwh == 1.0
    assert meter.rejected == 1


def test_ten_kwh_in_one_report_still_counts() -> None:
    meter = EnergyMeter()
    assert meter.add(10_000)
    assert meter.kwh == 10.0


def test_other_divisors() -> None:
    meter = EnergyMeter()
    meter.add(5, divisor=100)
    assert meter.kwh == 0.05


def test_add_from_a_status_report() -> None:
    plug = profile_for("plug")
    meter = EnergyMeter()
    assert meter.add_from(plug, {"1": True, "17": 21})
    assert not meter.add_from(plug, {"1": True, "19": 100})
    assert not meter.add_from(profile_for("plug", {"energy": None}), {"17": 21})
    assert meter.kwh == 0.021


@given(kwh=st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_persisted_total_round_trips_through_json(kwh: float) -> None:
    stored = json.loads(json.dumps(EnergyMeter(kwh=kwh).to_dict()))
    assert EnergyMeter.from_dict(stored).kwh == kwh


def test_whole_number_totals_load_as_floats() -> None:
    meter = EnergyMeter.from_dict({"kwh": 3})
    assert meter.kwh == 3.0
    assert isinstance(meter.kwh, float)


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ({}, "{}"),
        ({"kwh": -1}, "{'kwh': -1}"),
        ({"kwh": "1"}, "{'kwh': '1'}"),
        ({"kwh": True}, "{'kwh': True}"),
        ({"kwh": math.nan}, "{'kwh': nan}"),
        ([1.0], "[1.0]"),
        (None, "None"),
    ],
)
def test_unreadable_state_is_an_error(data: object, shown: str) -> None:
    with pytest.raises(EnergyStateError) as caught:
        EnergyMeter.from_dict(data)
    assert str(caught.value) == f"energy state: 'kwh' must be a non-negative number, got {shown}"
