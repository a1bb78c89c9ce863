"""Resolving a device's profile: type, DP map, overrides and what the device reports."""

from __future__ import annotations

import pytest

from setsmart.devices import DeviceType, DpMapError, detect_type, profile_for
from setsmart.devices.detect import is_legacy_plug
from setsmart.devices.profile import shared_profile


def test_plug_without_observations_gets_the_whole_map() -> None:
    profile = profile_for(DeviceType.PLUG)
    assert profile.map_name == "plug"
    assert (profile.gangs, profile.switch_dps, profile.countdown_dp(1)) == (1, ("1",), "9")
    assert profile.sensors == ("power", "voltage", "current", "energy")
    assert dict(profile.scale) == {"power": 10, "voltage": 10, "current": 1000, "energy": 1000}
    assert profile.sensor_dps == ("19", "20", "18", "17")
    assert profile.energy_dps == (19, 20, 18, 17)
    assert not profile.is_light
    assert profile.color_modes == ()


def test_strip_without_observations_has_four_gangs_with_countdowns() -> None:
    profile = profile_for("strip")
    assert profile.is_strip
    assert profile.switch_dps == ("1", "2", "3", "4")
    assert [profile.countdown_dp(g) for g in range(1, 6)] == ["9", "10", "11", "12", None]


@pytest.mark.parametrize(("kind", "fmt"), [("bulb", "hsv12"), ("bulb_v1", "rgbhsv14")])
def test_bulbs_are_lights_with_colour_and_temperature(kind: str, fmt: str) -> None:
    profile = profile_for(kind)
    assert profile.is_light
    assert profile.color_modes == ("hs", "color_temp")
    assert (profile.min_mireds, profile.max_mireds) == (153, 370)
    assert profile.color_format == fmt


def test_raw_has_no_roles() -> None:
    profile = profile_for("raw", {}, {"1": True})
    assert (dict(profile.roles), profile.gangs, profile.map_name) == ({}, 0, None)
    assert profile.countdown_dp(1) is None


def test_raw_with_a_switch_override() -> None:
    profile = profile_for("raw", {"state": 101})
    assert profile.switch_dps == ("101",)
    assert not profile.is_light


def test_overrides_move_add_and_drop_roles() -> None:
    profile = profile_for("plug", {"power": 5, "energy": None}, {"1": True, "9": 0})
    assert dict(profile.roles) == {"state": "1", "countdown": "9", "power": "5"}
    assert profile.sensors == ("power",)


def test_forced_plug_with_legacy_dps_uses_the_legacy_map() -> None:
    profile = profile_for("plug", None, {"1": True, "5": 10})
    assert profile.map_name == "plug_legacy"
    assert dict(profile.roles) == {"state": "1", "power": "5"}
    assert profile.sensor_dps == ("5",)


def test_forced_strip_without_gangs_reported_falls_back_to_four() -> None:
    profile = profile_for("strip", None, {"1": 5, "9": 0})
    assert profile.switch_dps == ("1", "2", "3", "4")
    assert profile.countdown_dp(1) is None  # not every gang reported a countdown


def test_strip_override_adds_a_gang() -> None:
    profile = profile_for("strip", {"state_l5": 13, "countdown_l5": 14})
    assert profile.gangs == 5
    assert profile.countdown_dp(5) == "14"


def test_profile_cannot_be_changed() -> None:
    profile = profile_for("plug")
    with pytest.raises(TypeError):
        profile.roles["power"] = "5"  # type: ignore[index]


@pytest.mark.parametrize(
    ("observed", "modes"),
    [({"20": True}, ("onoff",)), ({"20": True, "22": 10}, ("brightness",))],
)
def test_white_only_bulbs(observed: dict[str, object], modes: tuple[str, ...]) -> None:
    assert profile_for("bulb", None, observed).color_modes == modes


def test_brightness_override_makes_a_dimmer() -> None:
    profile = profile_for("plug", {"brightness": 2})
    assert profile.is_light
    assert profile.color_modes == ("brightness",)


@pytest.mark.parametrize(
    ("kind", "overrides", "message"),
    [
        ("plug", {"state_l1": 2}, "dps: state and state_l1.. cannot both be mapped"),
        ("strip", {"state_l3": None}, "dps: state_l3 is missing (gangs are numbered from 1"),
        ("strip", {"countdown_l6": 30}, "dps: countdown_l6 has no state_l6"),
        ("plug", {"state": None}, "dps: countdown needs a state DP to switch back on"),
        ("plug", {"power": 1}, "dps: DP 1 is mapped to both state and power"),
        ("plug", {"pwr": 1}, "dps: unknown role 'pwr'"),
        (
            "socket",
            {},
            "type: 'socket' is not a device type (valid: auto, plug, strip, switch, dimmer, "
            "bulb, bulb_v1, cover, fan, climate, sensor, raw)",
        ),
    ],
)
def test_impossible_profiles_are_refused(
    kind: str, overrides: dict[object, object], message: str
) -> None:
    with pytest.raises(DpMapError) as caught:
        profile_for(kind, overrides)
    assert str(caught.value).startswith(message)


def test_auto_needs_the_reported_dps() -> None:
    with pytest.raises(DpMapError, match="type auto needs the DPs the device reports"):
        profile_for("auto")


@pytest.mark.parametrize(
    ("dps", "kind"),
    [
        ({"20": True, "21": "colour"}, "bulb"),
        ({"20": True, "22": 500}, "bulb"),
        ({"20": True, "24": "000003e803e8"}, "bulb"),
        ({"20": True, "22": True}, "raw"),  # a bool is not a brightness
        ({"1": True, "20": 2300, "21": 1, "22": 600}, "plug"),  # metering plug, not a bulb
        ({"1": True, "5": "ff00000000ffff"}, "bulb_v1"),
        ({"1": True, "2": "white", "3": 25}, "bulb_v1"),
        ({"1": True, "2": "white", "3": 24}, "plug"),
        ({"1": True, "2": "white", "3": True}, "strip"),  # a bool is a gang, not a brightness
        ({"1": True, "3": 200}, "plug"),  # no mode string beside it
        ({"1": True, "5": "ff0000"}, "plug"),
        ({"1": False, "7": True}, "strip"),
        ({"1": False, "8": True}, "plug"),  # 8 is not a strip switch
        ({"1": True, "101": False}, "plug"),
        ({"2": True, "3": False}, "strip"),
        ({"1": "on"}, "raw"),
        ({}, "raw"),
    ],
)
def test_detection_edges(dps: dict[str, object], kind: str) -> None:
    assert detect_type(dps) == kind


@pytest.mark.parametrize(
    ("dps", "legacy"),
    [
        ({"1": True, "4": 0}, True),
        ({"1": True, "6": 2300}, True),
        ({"1": True, "4": True}, False),
        ({"1": True, "4": 1, "19": 0}, False),
        ({"1": True}, False),
    ],
)
def test_legacy_plug_detection(dps: dict[str, object], legacy: bool) -> None:
    assert is_legacy_plug(dps) is legacy


def test_equal_profiles_are_shared_and_different_ones_are_not() -> None:
    observed = {"1": True, "19": 0}
    first = shared_profile(profile_for("plug", None, observed))
    assert shared_profile(profile_for("plug", None, dict(observed))) is first
    assert shared_profile(profile_for("plug", {"power": 20}, observed)) is not first
    inverted = shared_profile(profile_for("cover", None, None, invert=True))
    assert shared_profile(profile_for("cover", None, None)) is not inverted
    assert shared_profile(profile_for("cover", None, None, invert=True)) is inverted
