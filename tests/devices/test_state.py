"""The state document: the keys users read on `B/<name>`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from setsmart.devices import device_state, profile_for
from setsmart.devices.profile import DeviceProfile

WHEN = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def state_of(
    profile: DeviceProfile, dps: dict[str, object], energy: float | None = None
) -> dict[str, object]:
    state = device_state(profile, dps, energy_kwh=energy, source="cloud", last_seen=WHEN)
    assert state.pop("source") == "cloud"
    assert state.pop("last_seen") == "2024-05-01T12:00:00Z"
    assert state.pop("dps") == {str(k): v for k, v in dps.items()}
    return state


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 5, 1, 12, 0, 0, 999, tzinfo=UTC),
        datetime(2024, 5, 1, 14, 0, 0, tzinfo=timezone(timedelta(hours=2))),
        datetime(2024, 5, 1, 12, 0, 0),  # naive: taken as UTC
    ],
)
def test_last_seen_is_utc_with_z(moment: datetime) -> None:
    state = device_state(profile_for("plug"), {}, energy_kwh=None, source="lan", last_seen=moment)
    assert state["last_seen"] == "2024-05-01T12:00:00Z"


def test_odd_firmware_values_are_carried_in_dps_and_skipped_elsewhere() -> None:
    dps: dict[str, object] = {"1": "yes", "19": 12.5, "18": None, "20": "230"}
    assert state_of(profile_for("plug"), dps) == {"power": 1.2}


def test_energy_is_the_running_total_rounded() -> None:
    plug = profile_for("plug")
    assert state_of(plug, {"1": True}, energy=1.23456) == {"state": "ON", "energy": 1.235}
    assert state_of(plug, {"1": True}, energy=None) == {"state": "ON"}
    assert state_of(profile_for("plug", {"energy": None}), {"1": True}, energy=2.0) == {
        "state": "ON"
    }


def test_strip_reports_the_gangs_it_knows() -> None:
    strip = profile_for("strip")
    assert state_of(strip, {"1": False, "3": True}) == {
        "state": "ON",
        "state_l1": "OFF",
        "state_l3": "ON",
    }
    assert state_of(strip, {"2": 0}) == {}


def test_colour_mode_brightness_is_the_colours_value() -> None:
    dps: dict[str, object] = {"20": True, "21": "colour", "22": 1000, "24": "000003e801f9"}
    assert state_of(profile_for("bulb"), dps) == {
        "state": "ON",
        "brightness": 128,  # V 505 of 10-1000
        "color_mode": "hs",
        "color": {"h": 0, "s": 100},
        "effect": None,
    }


def test_unreadable_colour_falls_back_to_the_white_brightness() -> None:
    dps: dict[str, object] = {"20": False, "21": "colour", "22": 10, "24": "zz"}
    assert state_of(profile_for("bulb"), dps) == {
        "state": "OFF",
        "brightness": 1,
        "color_mode": "hs",
        "effect": None,
    }


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("scene", "hs"),
        ("scene_2", "hs"),
        ("music", "hs"),
        ("white", "color_temp"),
        ("other", None),
        (3, None),
    ],
)
def test_work_mode_to_ha_colour_mode(mode: object, expected: str | None) -> None:
    state = state_of(profile_for("bulb"), {"21": mode, "22": "bright"})
    assert state.get("color_mode") == expected
    assert "brightness" not in state


def test_white_only_bulb_reports_no_colour_mode() -> None:
    dps: dict[str, object] = {"20": True, "21": "white", "22": 505}
    profile = profile_for("bulb", None, dps)
    assert profile.color_modes == ("brightness",)
    assert state_of(profile, dps) == {"state": "ON", "brightness": 128}


def test_v2_saturation_keeps_a_decimal() -> None:
    state = state_of(profile_for("bulb"), {"24": "00b4022b03e8"})
    assert state == {"state": None, "color": {"h": 180, "s": 55.5}, "effect": None}


def test_dp_keys_become_strings() -> None:
    dps: dict[object, object] = {1: True}
    state = device_state(profile_for("raw"), dps, energy_kwh=None, source="lan", last_seen=WHEN)  # type: ignore[arg-type]
    assert state["dps"] == {"1": True}


def test_the_dps_are_copied_unless_shared() -> None:
    dps = {"1": True, "19": 5}
    copied = device_state(profile_for("plug"), dps, energy_kwh=None, source="lan", last_seen=None)
    shared = device_state(
        profile_for("plug"), dps, energy_kwh=None, source="lan", last_seen=None, share_dps=True
    )
    assert copied == shared
    assert copied["dps"] is not dps
    assert shared["dps"] is dps
