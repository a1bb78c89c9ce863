"""The newer kinds, one behaviour at a time (tests/fixtures/kinds replays real products)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from setsmart.devices import (
    DeviceType,
    DpLayout,
    DpMapError,
    SetError,
    canonical_role,
    device_state,
    kind_roles,
    parse_set,
    profile_for,
    role_names,
)

WHEN = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def _state(
    kind: str,
    dps: Mapping[str, object],
    overrides: Mapping[str, object] | None = None,
    *,
    invert: bool = False,
) -> dict[str, object]:
    profile = profile_for(kind, overrides or {}, dps, invert=invert)
    state = device_state(profile, dps, energy_kwh=None, source="lan", last_seen=WHEN)
    return {k: v for k, v in state.items() if k not in ("dps", "source", "last_seen")}


def _set(
    kind: str,
    dps: Mapping[str, object],
    payload: object,
    overrides: Mapping[str, object] | None = None,
) -> dict[str, object]:
    profile = profile_for(kind, overrides or {}, dps)
    return dict(parse_set(profile, payload, dps).dps)


# -- vocabulary ------------------------------------------------------------------------


def test_every_kind_has_roles_with_layouts() -> None:
    for kind in DeviceType:
        roles = kind_roles(kind)
        assert all(isinstance(layout, DpLayout) for layout in roles.values())
    assert kind_roles("climate")["temp_set"] == DpLayout(
        "16", scale=1, min=50, max=350, step=5, unit="℃"
    )
    assert kind_roles("plug")["power"] == DpLayout("19", scale=1, unit="W")
    assert kind_roles("plug")["current"] == DpLayout("18", unit="mA")


@pytest.mark.parametrize(
    ("kind", "name", "role"),
    [
        ("plug", "switch_1", "state"),
        ("plug", "cur_power", "power"),
        ("strip", "switch_3", "state_l3"),
        ("switch", "countdown_2", "countdown_l2"),
        ("bulb", "bright_value_v2", "brightness"),
        ("dimmer", "state_l2", "switch_led_2"),
        ("dimmer", "brightness", "bright_value_1"),
        ("cover", "position", "percent_control"),
        ("fan", "percentage", "fan_speed_percent"),
        ("fan", "fan_switch", "switch"),
        ("climate", "current_heating_setpoint", "temp_set"),
        ("sensor", "contact", "doorcontact_state"),
        ("sensor", "temp_current", "va_temperature"),
        ("cover", "temp_set", None),
    ],
)
def test_names_resolve_to_the_kinds_role(kind: str, name: str, role: str | None) -> None:
    assert canonical_role(kind, name) == role


def test_auto_accepts_every_kinds_names() -> None:
    assert {"power", "temp_set", "percent_control", "pir"} <= role_names("auto")


def test_an_override_of_an_unknown_role_names_the_kind() -> None:
    with pytest.raises(DpMapError, match=r"unknown role 'temp_sett' for type climate \(did"):
        profile_for("climate", {"temp_sett": 2})


def test_two_names_of_one_role_are_refused() -> None:
    with pytest.raises(DpMapError, match="dps: state and switch_led_1 both name switch_led_1"):
        profile_for("dimmer", {"state": 1, "switch_led_1": 2})


def test_without_a_status_only_the_core_roles_are_assumed() -> None:
    assert set(profile_for("cover").roles) == {"control", "percent_control"}
    assert set(profile_for("sensor").roles) == set()


# -- dimmer ----------------------------------------------------------------------------

TWO = {"1": True, "2": 1000, "3": 10, "7": False, "8": 10, "9": 10}


def test_a_two_channel_dimmer_reports_each_channel() -> None:
    assert _state("dimmer", TWO) == {
        "state": "ON",
        "state_l1": "ON",
        "brightness_l1": 255,
        "state_l2": "OFF",
        "brightness_l2": 1,
    }


def test_a_channel_is_set_alone_and_state_sets_them_all() -> None:
    assert _set("dimmer", TWO, {"brightness_l2": 255}) == {"8": 1000, "7": True}
    assert _set("dimmer", TWO, {"state": "OFF"}) == {"1": False, "7": False}
    assert _set("dimmer", TWO, {"state_l1": "TOGGLE"}) == {"1": False}


def test_the_minimum_brightness_is_the_lowest_level() -> None:
    dps = {"1": True, "2": 500, "3": 200}
    assert _set("dimmer", dps, {"brightness": 1}) == {"2": 200, "1": True}
    assert _state("dimmer", {**dps, "2": 200})["brightness"] == 1


def test_a_dimmer_ignores_home_assistants_transition() -> None:
    assert _set("dimmer", {"1": False, "2": 10}, {"state": "ON", "transition": 2}) == {"1": True}


def test_conflicting_channel_keys_are_refused() -> None:
    with pytest.raises(SetError, match="conflicts with state"):
        _set("dimmer", TWO, {"state": "ON", "state_l1": "OFF"})


# -- cover -----------------------------------------------------------------------------


def test_an_inverted_cover_reads_and_writes_the_reverse() -> None:
    dps = {"1": "stop", "2": 30, "3": 30}
    assert _state("cover", dps, invert=True) == {"state": "STOP", "position": 70}
    profile = profile_for("cover", {}, dps, invert=True)
    assert parse_set(profile, {"position": 100}, dps).dps == {"2": 0}


def test_a_moving_cover_says_which_way() -> None:
    assert _state("cover", {"2": 30, "3": 10, "7": "opening"}) == {
        "state": "OPEN",
        "position": 10,
    }


# -- fan -------------------------------------------------------------------------------


def test_an_enum_speed_is_a_percentage() -> None:
    overrides = {"fan_speed": {"id": 3, "range": ["low", "middle", "high"]}}
    dps = {"1": True, "3": "middle"}
    assert _state("fan", dps, overrides)["percentage"] == 67
    assert _set("fan", dps, {"percentage": 34}, overrides) == {"3": "middle", "1": True}
    assert _set("fan", dps, {"percentage": 33}, overrides) == {"3": "low", "1": True}


def test_oscillation_and_preset() -> None:
    dps = {"1": True, "2": "sleep", "3": 20, "5": False}
    assert _state("fan", dps) == {
        "state": "ON",
        "percentage": 20,
        "preset_mode": "sleep",
        "oscillation": False,
    }
    assert _set("fan", dps, {"oscillation": True, "preset_mode": "nature"}) == {
        "2": "nature",
        "5": True,
    }
    with pytest.raises(SetError, match=r"oscillation: 'yes' is not true or false"):
        _set("fan", dps, {"oscillation": "yes"})


# -- climate ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("switch", "work", "running"),
    [(True, "heating", "heat"), (True, "idle", "idle"), (False, "heating", "idle")],
)
def test_running_state_follows_work_state(switch: bool, work: str, running: str) -> None:
    dps = {"1": switch, "2": "manual", "3": work, "16": 200, "24": 190}
    assert _state("climate", dps)["running_state"] == running


def test_a_setpoint_is_validated_before_anything_is_sent() -> None:
    dps = {"1": True, "2": "manual", "16": 200, "24": 190, "40": False}
    with pytest.raises(SetError, match="current_heating_setpoint: 'hot' is not a number"):
        _set("climate", dps, {"current_heating_setpoint": "hot"})
    with pytest.raises(SetError, match="child_lock: 'on' is not LOCK or UNLOCK"):
        _set("climate", dps, {"child_lock": "on"})


# -- sensor ----------------------------------------------------------------------------


def test_every_sensor_reading() -> None:
    overrides = {
        "contact": 101,
        "occupancy": {"id": 102, "range": ["pir", "none"]},
        "water_leak": 103,
        "smoke_sensor_state": 104,
        "gas": 105,
        "carbon_monoxide": 106,
        "tamper": 107,
        "illuminance": {"id": 108, "min": 0, "max": 10000, "unit": "lux"},
        "co2": 109,
        "pm25": 110,
        "battery_low": 3,
    }
    dps = {
        "1": -45,
        "2": 61,
        "3": "low",
        "101": False,
        "102": "none",
        "103": "alarm",
        "104": "2",
        "105": "normal",
        "106": "alarm",
        "107": True,
        "108": 320,
        "109": 612,
        "110": 13,
    }
    assert _state("sensor", dps, overrides) == {
        "temperature": -4.5,
        "humidity": 61,
        "battery_low": True,
        "contact": True,
        "occupancy": False,
        "water_leak": True,
        "smoke": False,
        "gas": False,
        "carbon_monoxide": True,
        "tamper": True,
        "illuminance": 320,
        "co2": 612,
        "pm25": 13,
    }
