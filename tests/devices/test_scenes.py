"""Bulb effects (built-in scenes) and colour temperature in Kelvin."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from setsmart.devices import SetError, device_state, parse_set, profile_for
from setsmart.devices.convert import KELVIN_MAX, KELVIN_MIN, MIRED_MAX, MIRED_MIN
from setsmart.devices.scenes import V1_SCENES, V2_SCENES, current_effect, effect_list

BULB = profile_for("bulb")
BULB_V1 = profile_for("bulb_v1")

#: The DP 25 strings the Tuya app writes for its default scenes, as published in Tuya's
#: own light panel template (defaultScenesRGBCW: night, read, meeting, leisure, soft,
#: shine) and localtuya's SCENE_LIST_RGB_1000 (rainbow, beautiful).
PUBLISHED = {
    "night": "000e0d0000000000000000c80000",
    "read": "010e0d0000000000000003e801f4",
    "meeting": "020e0d0000000000000003e803e8",
    "leisure": "030e0d0000000000000001f401f4",
    "soft": "04464602007803e803e800000000464602007803e8000a00000000",
    "rainbow": "05464601000003e803e800000000464601007803e803e80000000046460100f003e803e800000000"
    "464601003d03e803e80000000046460100ae03e803e800000000464601011303e803e800000000",
    "shine": "06464601000003e803e800000000464601007803e803e80000000046460100f003e803e800000000",
    "beautiful": "07464602000003e803e800000000464602007803e803e80000000046460200f003e803e8"
    "00000000464602003d03e803e80000000046460200ae03e803e800000000464602011303e803e800000000",
}


def test_the_scene_table_writes_what_the_tuya_app_writes() -> None:
    assert {name: scene.encode() for name, scene in V2_SCENES.items()} == PUBLISHED
    assert list(V2_SCENES) == [
        *("night", "read", "meeting", "leisure", "soft", "rainbow", "shine", "beautiful"),
    ]


def test_effect_lists() -> None:
    assert effect_list(BULB) == tuple(PUBLISHED)
    assert effect_list(BULB_V1) == V1_SCENES == ("scene_1", "scene_2", "scene_3", "scene_4")
    assert effect_list(profile_for("bulb", {"effect": None})) == ()
    assert effect_list(profile_for("bulb_v1", {"color_mode": None})) == ()
    assert effect_list(profile_for("plug")) == ()


@pytest.mark.parametrize(
    ("dps", "effect"),
    [
        ({"21": "scene", "25": PUBLISHED["soft"]}, "soft"),
        # a white-only bulb's own "night" (temperature 1000): the scene number names it
        ({"21": "scene", "25": "000e0d0000000000000000c803e8"}, "night"),
        ({"21": "white", "25": PUBLISHED["soft"]}, None),
        ({"21": "scene", "25": "1746460200f003e803e80000000046460200dc02bc03e800000000"}, None),
        ({"21": "scene", "25": "zz"}, None),
        ({"21": "scene", "25": ""}, None),
        ({"21": "scene", "25": 5}, None),
        ({"21": "scene"}, None),
        ({"25": PUBLISHED["soft"]}, None),
    ],
)
def test_v2_effect_in_the_state(dps: dict[str, object], effect: str | None) -> None:
    assert current_effect(BULB, dps) == effect
    state = device_state(BULB, dps, energy_kwh=None, source="lan", last_seen=datetime.now(UTC))
    assert state["effect"] == effect


@pytest.mark.parametrize(
    ("mode", "effect"), [("scene_1", "scene_1"), ("scene_4", "scene_4"), ("scene", None)]
)
def test_v1_effect_in_the_state(mode: str, effect: str | None) -> None:
    assert current_effect(BULB_V1, {"2": mode}) == effect


def test_no_effect_key_without_effects() -> None:
    profile = profile_for("bulb", {"effect": None})
    state = device_state(profile, {"21": "scene"}, energy_kwh=None, source="lan",
                         last_seen=datetime.now(UTC))  # fmt: skip
    assert "effect" not in state


def test_effect_alone_sets_the_work_mode_and_the_scene() -> None:
    assert parse_set(BULB, {"effect": "read"}, {}).dps == {"21": "scene", "25": PUBLISHED["read"]}
    assert parse_set(BULB_V1, {"effect": "scene_1"}, {}).dps == {"2": "scene_1"}


@pytest.mark.parametrize(
    ("profile", "payload", "message"),
    [
        (BULB, {"effect": "disco"}, "effect: 'disco' is not an effect of this bulb (valid: "
         "night, read, meeting, leisure, soft, rainbow, shine, beautiful)"),
        (BULB, {"effect": "none"}, "effect: 'none' is not an effect of this bulb (valid: "),
        (BULB, {"effect": 3}, "effect: 3 is not an effect of this bulb"),
        (BULB, {"effect": None}, "effect: null is not an effect of this bulb"),
        (BULB_V1, {"effect": "night"}, "effect: 'night' is not an effect of this bulb (valid: "
         "scene_1, scene_2, scene_3, scene_4)"),
        (BULB, {"effect": "read", "color": "#ff0000"},
         "color: cannot be set together with effect (one colour mode at a time)"),
        (BULB, {"effect": "read", "color_temp_kelvin": 3000},
         "color_temp_kelvin: cannot be set together with effect (one colour mode at a time)"),
        (BULB, {"effect": "read", "brightness": 30},
         "effect: cannot be set together with brightness (a scene sets its own)"),
        (profile_for("bulb", {"effect": None}), {"effect": "read"},
         "effect: not supported by this device (valid: "),
        (profile_for("plug"), {"effect": "read"}, "effect: not supported by this device"),
    ],
)  # fmt: skip
def test_bad_effects(profile: object, payload: dict[str, object], message: str) -> None:
    with pytest.raises(SetError) as caught:
        parse_set(profile, payload, {})  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)


# --- Kelvin ------------------------------------------------------------------------------


def test_kelvin_range_is_the_mired_range() -> None:
    assert (KELVIN_MIN, KELVIN_MAX) == (2696, 6535)
    assert parse_set(BULB, {"color_temp_kelvin": 2700}, {}).dps == {"21": "white", "23": 0}
    assert parse_set(BULB, {"color_temp_kelvin": 6500}, {}).dps == {"21": "white", "23": 1000}
    assert parse_set(BULB_V1, {"color_temp_kelvin": 4000}, {}).dps == {"2": "white", "4": 141}


@pytest.mark.parametrize("mireds", range(MIRED_MIN, MIRED_MAX + 1))
def test_the_kelvin_the_state_shows_can_be_sent_back(mireds: int) -> None:
    dps = {"23": parse_set(BULB, {"color_temp": mireds}, {}).dps["23"]}
    state = device_state(BULB, dps, energy_kwh=None, source="lan", last_seen=datetime.now(UTC))
    assert state["color_temp"] == mireds
    again = parse_set(BULB, {"color_temp_kelvin": state["color_temp_kelvin"]}, {})
    assert again.dps["23"] == dps["23"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"color_temp_kelvin": 2695}, "color_temp_kelvin: 2695 is out of range 2696-6535 (K)"),
        ({"color_temp_kelvin": 6536}, "color_temp_kelvin: 6536 is out of range 2696-6535 (K)"),
        ({"color_temp_kelvin": "warm"}, "color_temp_kelvin: 'warm' is not a number"),
        ({"color_temp_kelvin": 4000, "color_temp": 300},
         "color_temp_kelvin: conflicts with color_temp (they name two temperatures)"),
        ({"color_temp_kelvin": 4000, "color": "#ff0000"},
         "color: cannot be set together with color_temp_kelvin (one colour mode at a time)"),
    ],
)  # fmt: skip
def test_bad_kelvin(payload: dict[str, object], message: str) -> None:
    with pytest.raises(SetError) as caught:
        parse_set(BULB, payload, {})
    assert str(caught.value) == message


def test_kelvin_and_mireds_that_agree_are_one_command() -> None:
    assert parse_set(BULB, {"color_temp_kelvin": 4000, "color_temp": 250}, {}).dps == {
        "21": "white",
        "23": 553,
    }
