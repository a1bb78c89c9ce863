"""Hourly energy from the running total: differences per hour, resets never negative."""

from __future__ import annotations

import pytest

from setsmart.history import HourlyEnergy
from setsmart.history.energy import hour_of

H = 3600


def test_differences_go_to_the_hour_they_were_seen_in() -> None:
    energy = HourlyEnergy()
    energy.observe("plug", 10.0, 5 * H + 10)  # the first total only sets the base
    energy.observe("plug", 10.25, 5 * H + 1800)
    energy.observe("plug", 10.5, 6 * H + 5)
    taken = energy.take()
    assert taken == {("plug", 5 * H): pytest.approx(0.25), ("plug", 6 * H): pytest.approx(0.25)}
    assert energy.take() == {}


def test_a_lower_total_starts_again_without_a_negative_hour() -> None:
    energy = HourlyEnergy()
    energy.observe("plug", 10.0, 0)
    energy.observe("plug", 0.5, 60)  # reset
    energy.observe("plug", 0.75, 120)
    assert energy.take() == {("plug", 0): pytest.approx(0.25)}


def test_put_back_keeps_unwritten_energy_for_the_next_try() -> None:
    energy = HourlyEnergy()
    energy.observe("plug", 1.0, 0)
    energy.observe("plug", 2.0, 10)
    failed = energy.take()
    energy.observe("plug", 3.0, 20)
    energy.put_back(failed)
    assert energy.take() == {("plug", 0): pytest.approx(2.0)}


def test_hour_of() -> None:
    assert hour_of(0) == 0
    assert hour_of(H - 0.001) == 0
    assert hour_of(H) == H
