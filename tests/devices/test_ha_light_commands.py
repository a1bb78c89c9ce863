"""What Home Assistant's JSON light really sends and reads (checked with HA 2024.3's code)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from setsmart.devices import DeviceProfile, SetError, device_state, parse_set, profile_for

BULB = profile_for("bulb")
PLUG = profile_for("plug")


@pytest.mark.parametrize("extra", [{"transition": 2}, {"flash": "short"}])
def test_light_commands_with_transition_or_flash_are_carried_out(extra: dict[str, object]) -> None:
    command = parse_set(BULB, {"state": "ON", **extra}, {"20": False})
    assert command.dps == {"20": True}


def test_those_keys_alone_set_nothing() -> None:
    with pytest.raises(SetError, match="nothing to set"):
        parse_set(BULB, {"transition": 2}, {"20": False})


def test_a_plug_still_refuses_them() -> None:
    with pytest.raises(SetError, match="unknown key 'transition'"):
        parse_set(PLUG, {"state": "ON", "transition": 2}, {"1": False})


def test_a_light_whose_switch_is_unknown_reports_state_null() -> None:
    state = device_state(
        BULB, {"22": 500}, energy_kwh=None, source="lan", last_seen=datetime.now(UTC)
    )
    assert state["state"] is None


def test_a_plug_whose_switch_is_unknown_has_no_state_key() -> None:
    state = device_state(
        PLUG, {"19": 10}, energy_kwh=None, source="lan", last_seen=datetime.now(UTC)
    )
    assert "state" not in state


# --- the payloads of light.turn_on --------------------------------------------------------
# As Home Assistant's MQTT JSON light builds them (mqtt/light/schema_json.py,
# async_turn_on, the same in 2024.3 and current releases for these keys): {"state": "ON"},
# then `color` {"h", "s"} (floats) for hs_color, `brightness` 1-255 (brightness_pct 50 is
# 128, round(50 * 255 / 100)), `color_temp` in mireds for color_temp_kelvin (floor(1e6 / K):
# 4000 K is 250) unless discovery says color_temp_kelvin, and `effect` as listed.
HS_BLUE: dict[str, object] = {"state": "ON", "color": {"h": 240.0, "s": 100.0}}
HALF: dict[str, object] = {"state": "ON", "brightness": 128}  # brightness_pct: 50
QUARTER: dict[str, object] = {"state": "ON", "brightness": 64}  # brightness_pct: 25
K4000: dict[str, object] = {"state": "ON", "color_temp": 250}  # color_temp_kelvin: 4000

#: A v2 bulb at half brightness: white at DP 22 = 505, an old colour at V 937 on DP 24.
V2_WHITE: dict[str, object] = {
    "20": True, "21": "white", "22": 505, "23": 500, "24": "00f003e803a9",
    "25": "000e0d0000000000000000c80000", "26": 0,
}  # fmt: skip
#: The same bulb in colour mode: green at V 505 (half), the idle white DP at full.
V2_COLOUR: dict[str, object] = {**V2_WHITE, "21": "colour", "22": 1000, "24": "007803e801f9"}
#: A v1 bulb at half brightness: white at DP 3 = 140 (25-255), an old red at full V.
V1_WHITE: dict[str, object] = {"1": True, "2": "white", "3": 140, "4": 128, "5": "ff00000000ffff"}
#: The same in colour mode: green at V 140, the idle white DP at full.
V1_COLOUR: dict[str, object] = {**V1_WHITE, "2": "colour", "3": 255, "5": "008c000078ff8c"}
V1 = profile_for("bulb_v1")


def _shown(profile: DeviceProfile, dps: dict[str, object]) -> dict[str, object]:
    state = device_state(profile, dps, energy_kwh=None, source="lan", last_seen=datetime.now(UTC))
    return {k: v for k, v in state.items() if k not in ("dps", "source", "last_seen")}


def test_the_bulbs_start_at_half_brightness() -> None:
    for profile, dps in ((BULB, V2_WHITE), (BULB, V2_COLOUR), (V1, V1_WHITE), (V1, V1_COLOUR)):
        assert _shown(profile, dps)["brightness"] == 128


@pytest.mark.parametrize(
    ("profile", "current", "payload", "written", "shown"),
    [
        # hs_color alone: the colour at the brightness HA shows, from white or colour mode
        (BULB, V2_WHITE, HS_BLUE, {"20": True, "21": "colour", "24": "00f003e801f9"},
         {"brightness": 128, "color_mode": "hs", "color": {"h": 240, "s": 100}}),
        (BULB, V2_COLOUR, HS_BLUE, {"20": True, "21": "colour", "24": "00f003e801f9"},
         {"brightness": 128, "color_mode": "hs", "color": {"h": 240, "s": 100}}),
        (V1, V1_WHITE, HS_BLUE, {"1": True, "2": "colour", "5": "00008c00f0ff8c"},
         {"brightness": 128, "color_mode": "hs", "color": {"h": 240, "s": 100}}),
        (V1, V1_COLOUR, HS_BLUE, {"1": True, "2": "colour", "5": "00008c00f0ff8c"},
         {"brightness": 128, "color_mode": "hs", "color": {"h": 240, "s": 100}}),
        # brightness_pct alone: in colour mode the hue and saturation stay
        (BULB, V2_WHITE, QUARTER, {"20": True, "22": 256},
         {"brightness": 64, "color_mode": "color_temp"}),
        (BULB, V2_COLOUR, QUARTER, {"20": True, "24": "007803e80100"},
         {"brightness": 64, "color_mode": "hs", "color": {"h": 120, "s": 100}}),
        (V1, V1_WHITE, QUARTER, {"1": True, "3": 82},
         {"brightness": 64, "color_mode": "color_temp"}),
        (V1, V1_COLOUR, QUARTER, {"1": True, "5": "0052000078ff52"},
         {"brightness": 64, "color_mode": "hs", "color": {"h": 120, "s": 100}}),
        # color_temp_kelvin alone: white at the brightness HA shows
        (BULB, V2_WHITE, K4000, {"20": True, "21": "white", "23": 553},
         {"brightness": 128, "color_mode": "color_temp", "color_temp": 250,
          "color_temp_kelvin": 4000}),
        (BULB, V2_COLOUR, K4000, {"20": True, "21": "white", "22": 505, "23": 553},
         {"brightness": 128, "color_mode": "color_temp", "color_temp": 250,
          "color_temp_kelvin": 4000}),
        (V1, V1_WHITE, K4000, {"1": True, "2": "white", "4": 141},
         {"brightness": 128, "color_mode": "color_temp", "color_temp": 250,
          "color_temp_kelvin": 4000}),
        (V1, V1_COLOUR, K4000, {"1": True, "2": "white", "3": 140, "4": 141},
         {"brightness": 128, "color_mode": "color_temp", "color_temp": 250,
          "color_temp_kelvin": 4000}),
        # combinations: the brightness given wins
        (BULB, V2_WHITE, {**HS_BLUE, "brightness": 64},
         {"20": True, "21": "colour", "24": "00f003e80100"},
         {"brightness": 64, "color_mode": "hs", "color": {"h": 240, "s": 100}}),
        (BULB, V2_COLOUR, {**QUARTER, "color_temp": 250},
         {"20": True, "21": "white", "22": 256, "23": 553},
         {"brightness": 64, "color_mode": "color_temp", "color_temp": 250}),
        (V1, V1_WHITE, {**HS_BLUE, "brightness": 64},
         {"1": True, "2": "colour", "5": "00005200f0ff52"},
         {"brightness": 64, "color_mode": "hs", "color": {"h": 240, "s": 100}}),
        (V1, V1_COLOUR, {**QUARTER, "color_temp": 250},
         {"1": True, "2": "white", "3": 82, "4": 141},
         {"brightness": 64, "color_mode": "color_temp", "color_temp": 250}),
        # effect
        (BULB, V2_COLOUR, {"state": "ON", "effect": "rainbow"},
         {"20": True, "21": "scene", "25": "05464601000003e803e800000000464601007803e803e8"
          "0000000046460100f003e803e800000000464601003d03e803e80000000046460100ae03e803e8"
          "00000000464601011303e803e800000000"},
         {"effect": "rainbow"}),
        (V1, V1_WHITE, {"state": "ON", "effect": "scene_3"}, {"1": True, "2": "scene_3"},
         {"effect": "scene_3"}),
    ],
)  # fmt: skip
def test_home_assistant_turn_on(
    profile: DeviceProfile,
    current: dict[str, object],
    payload: dict[str, object],
    written: dict[str, object],
    shown: dict[str, object],
) -> None:
    command = parse_set(profile, payload, current)
    assert command.dps == written
    after = _shown(profile, {**current, **command.dps})
    assert after["state"] == "ON"
    assert {key: after.get(key) for key in shown} == shown
    if "effect" not in shown:
        assert after["effect"] is None
