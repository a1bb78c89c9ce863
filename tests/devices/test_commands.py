"""`/set` payloads: what gets written, and the message when it cannot be."""

from __future__ import annotations

import pytest

from setsmart.devices import DeviceProfile, SetCommand, SetError, parse_set, profile_for, set_keys

PLUG = profile_for("plug")
PLUG_NO_COUNTDOWN = profile_for("plug", None, {"1": True})
STRIP = profile_for("strip")
STRIP_NO_COUNTDOWN = profile_for("strip", None, {"1": True, "2": False, "7": False})
BULB = profile_for("bulb")
RGBW = profile_for("bulb", {"color_temp": None})
BULB_V1 = profile_for("bulb_v1")
RAW = profile_for("raw")

WHITE = {"20": True, "21": "white", "22": 1000, "23": 500, "24": "00b4022b03e8"}
COLOUR = {**WHITE, "21": "colour"}


def sent(
    profile: DeviceProfile, payload: object, current: dict[str, object] | None = None
) -> SetCommand:
    return parse_set(profile, payload, current or {})


def refused(
    profile: DeviceProfile, payload: object, current: dict[str, object] | None = None
) -> str:
    with pytest.raises(SetError) as caught:
        parse_set(profile, payload, current or {})
    return str(caught.value)


# --- the payload itself ---------------------------------------------------------------


@pytest.mark.parametrize(("word", "on"), [("ON", True), ("off", False), (" On ", True)])
def test_plain_on_off(word: str, on: bool) -> None:
    assert sent(PLUG, word) == SetCommand(dps={"1": on})


def test_plain_toggle() -> None:
    assert sent(PLUG, "TOGGLE", {"1": True}).dps == {"1": False}


@pytest.mark.parametrize(
    ("payload", "got"),
    [
        ([1], "a JSON array"),
        (5, "a JSON number"),
        (1.5, "a JSON number"),
        (None, "JSON null"),
        (True, "JSON true"),
        ("open", "'open'"),
        (b"ON", "a bytes"),
    ],
)
def test_payload_must_be_an_object_or_a_word(payload: object, got: str) -> None:
    assert refused(PLUG, payload) == f"payload must be a JSON object or ON/OFF/TOGGLE, got {got}"


def test_empty_object_is_nothing_to_set() -> None:
    assert refused(PLUG, {}) == "nothing to set (the payload is an empty object)"


def test_long_values_are_shortened_in_messages() -> None:
    message = refused(BULB, {"color": "x" * 100})
    assert (
        message
        == "color: '" + "x" * 56 + '... is not a colour (use {"h","s"}, {"r","g","b"} or "#rrggbb")'
    )


# --- keys ----------------------------------------------------------------------------


def test_set_keys_per_device() -> None:
    assert set_keys(PLUG) == ("dps", "power_cycle", "state")
    assert set_keys(BULB) == (
        *("brightness", "color", "color_temp", "color_temp_kelvin", "dps", "effect"),
        *("power_cycle", "state"),
    )
    assert set_keys(RGBW) == (
        *("brightness", "color", "dps", "effect", "power_cycle", "state", "white"),
    )
    assert "effect" in set_keys(BULB_V1)
    assert "effect" not in set_keys(profile_for("bulb", {"effect": None}))
    assert set_keys(RAW) == ("dps",)
    many = profile_for("strip", {f"state_l{n}": 20 + n for n in range(5, 12)})
    assert set_keys(many)[3:] == tuple(f"state_l{n}" for n in range(1, 12))


def test_unknown_key_lists_the_valid_ones() -> None:
    assert refused(BULB, {"brigthness": 10}) == (
        "unknown key 'brigthness' (valid: brightness, color, color_temp, color_temp_kelvin, dps, "
        "effect, power_cycle, state)"
    )


def test_key_the_device_lacks() -> None:
    assert refused(PLUG, {"brightness": 10}) == (
        "brightness: not supported by this device (valid: dps, power_cycle, state)"
    )


@pytest.mark.parametrize(
    ("profile", "key", "message"),
    [
        (STRIP, "state_l5", "state_l5: this strip has 4 gangs"),
        (PLUG, "state_l1", "state_l1: this device has a single switch (use state)"),
        (RAW, "state_l1", "state_l1: this device has no switch"),
    ],
)
def test_gang_keys(profile: DeviceProfile, key: str, message: str) -> None:
    assert refused(profile, {key: "ON"}) == message


# --- switches ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "on"),
    [(True, True), (False, False), ("on", True), ("OFF", False), ("ON", True), (" Off ", False)],
)
def test_state_values(value: object, on: bool) -> None:
    assert sent(PLUG, {"state": value}).dps == {"1": on}


@pytest.mark.parametrize(
    ("value", "shown"),
    [("maybe", "'maybe'"), (1, "1"), (None, "null"), (["ON"], '["ON"]'), ({"a": 1}, '{"a": 1}')],
)
def test_state_must_be_on_off_or_toggle(value: object, shown: str) -> None:
    assert refused(PLUG, {"state": value}) == f"state: {shown} is not ON, OFF or TOGGLE"


def test_toggle_needs_the_current_state() -> None:
    assert refused(PLUG, {"state": "TOGGLE"}, {"1": "?"}) == (
        "state: cannot TOGGLE, the current state is not known yet"
    )
    assert refused(STRIP, {"state_l2": "TOGGLE"}, {"1": True}) == (
        "state_l2: cannot TOGGLE, the current state is not known yet"
    )


def test_strip_state_sets_every_gang() -> None:
    assert sent(STRIP, {"state": "ON"}).dps == {"1": True, "2": True, "3": True, "4": True}
    # TOGGLE on a strip: any gang on counts as on, so everything goes off.
    assert sent(STRIP, "TOGGLE", {"1": False, "2": True}).dps == {
        "1": False,
        "2": False,
        "3": False,
        "4": False,
    }


@pytest.mark.parametrize(
    ("current", "on"),
    [
        ({"1": False, "2": True}, False),
        ({"1": True, "2": False}, False),
        ({"1": False, "2": False}, True),
        ({"1": False, "2": "?", "3": None}, True),
        ({"2": True}, False),
    ],
)
def test_strip_toggle_reads_the_gangs_known(current: dict[str, object], on: bool) -> None:
    assert sent(STRIP, {"state": "TOGGLE"}, current).dps == dict.fromkeys("1234", on)


def test_strip_toggle_with_no_gang_known() -> None:
    assert refused(STRIP, {"state": "TOGGLE"}, {"1": "?"}) == (
        "state: cannot TOGGLE, the current state is not known yet"
    )


def test_strip_gangs() -> None:
    assert sent(STRIP, {"state_l2": "ON", "state_l3": "TOGGLE"}, {"3": True}).dps == {
        "2": True,
        "3": False,
    }


def test_strip_state_and_an_agreeing_gang() -> None:
    assert sent(STRIP, {"state": "ON", "state_l1": "ON"}).dps == {
        "1": True,
        "2": True,
        "3": True,
        "4": True,
    }


def test_strip_state_and_a_contradicting_gang() -> None:
    assert (
        refused(STRIP, {"state": "ON", "state_l1": "OFF"})
        == "state_l1: conflicts with state (both set DP 1)"
    )


# --- raw dps -------------------------------------------------------------------------


def test_raw_dps_are_written_as_given() -> None:
    payload = {"dps": {"1": True, "101": "abc", "2": None, "3": 5}}
    assert sent(RAW, payload).dps == {"1": True, "101": "abc", "2": None, "3": 5}


@pytest.mark.parametrize(
    ("dps", "message"),
    [
        ([], "dps: must be an object of DP id to value, got []"),
        ({"abc": 1}, "dps: 'abc' is not a DP id (a number from 1 to 255, as a string)"),
        ({"0": 1}, "dps: '0' is not a DP id"),
        ({"1": 1.5}, "dps.1: 1.5 is not a DP value (true/false, an integer, a string or null)"),
        ({"1": [1]}, "dps.1: [1] is not a DP value"),
        ({}, "nothing to set (the payload names no data point)"),
    ],
)
def test_bad_raw_dps(dps: object, message: str) -> None:
    assert refused(RAW, {"dps": dps}).startswith(message)


@pytest.mark.parametrize("raw", [False, 1])
def test_raw_dp_against_a_named_key(raw: object) -> None:
    assert (
        refused(PLUG, {"dps": {"1": raw}, "state": "ON"})
        == "state: conflicts with dps.1 (both set DP 1)"
    )


# --- power_cycle -----------------------------------------------------------------------


def test_power_cycle_uses_the_countdown() -> None:
    assert sent(PLUG, {"power_cycle": 5}) == SetCommand(
        dps={"1": False, "9": 5}, restore_after=None
    )


@pytest.mark.parametrize(("seconds", "countdown"), [(0.4, 1), (90.7, 91), (86400, 86400)])
def test_power_cycle_countdown_is_whole_seconds(seconds: float, countdown: int) -> None:
    assert sent(PLUG, {"power_cycle": seconds}).dps["9"] == countdown


def test_power_cycle_without_countdown_asks_the_daemon() -> None:
    assert sent(PLUG_NO_COUNTDOWN, {"power_cycle": 2.5}) == SetCommand(
        dps={"1": False}, restore_after=(2.5, {"1": True})
    )


def test_power_cycle_on_a_strip() -> None:
    assert sent(STRIP, {"power_cycle": 3}).dps == {
        "1": False,
        "9": 3,
        "2": False,
        "10": 3,
        "3": False,
        "11": 3,
        "4": False,
        "12": 3,
    }
    command = sent(STRIP_NO_COUNTDOWN, {"power_cycle": 3})
    assert command.dps == {"1": False, "2": False, "7": False}
    assert command.restore_after == (3.0, {"1": True, "2": True, "7": True})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "power_cycle: 0 is out of range (seconds, more than 0 and at most 86400)"),
        (-1, "power_cycle: -1 is out of range"),
        (86401, "power_cycle: 86401 is out of range"),
        (True, "power_cycle: true is not a number"),
        ("5", "power_cycle: '5' is not a number"),
        (float("nan"), "power_cycle: NaN is not a number"),
        (float("inf"), "power_cycle: Infinity is not a number"),
    ],
)
def test_bad_power_cycle(value: object, message: str) -> None:
    assert refused(PLUG, {"power_cycle": value}).startswith(message)


def test_power_cycle_and_state_together() -> None:
    assert refused(PLUG, {"state": "ON", "power_cycle": 5}) == (
        "power_cycle: conflicts with state (both set DP 1)"
    )


# --- brightness ------------------------------------------------------------------------


def test_brightness_in_white_mode_writes_the_brightness_dp_and_turns_on() -> None:
    assert sent(BULB, {"brightness": 128}, WHITE).dps == {"22": 505, "20": True}


def test_brightness_zero_turns_off() -> None:
    assert sent(BULB, {"brightness": 0}, WHITE).dps == {"20": False}


def test_tiny_brightness_is_the_lowest_step_not_off() -> None:
    assert sent(BULB, {"brightness": 0.4}, WHITE).dps == {"22": 10, "20": True}


def test_explicit_state_wins_over_the_implied_on() -> None:
    assert sent(BULB, {"state": "OFF", "brightness": 100}, WHITE).dps == {"20": False, "22": 396}


def test_brightness_zero_contradicting_state_on() -> None:
    assert (
        refused(BULB, {"state": "ON", "brightness": 0})
        == "brightness: conflicts with state (both set DP 20)"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (300, "brightness: 300 is out of range 0-255"),
        (-1, "brightness: -1 is out of range 0-255"),
        ("128", "brightness: '128' is not a number"),
        (True, "brightness: true is not a number"),
        (None, "brightness: null is not a number"),
    ],
)
def test_bad_brightness(value: object, message: str) -> None:
    assert refused(BULB, {"brightness": value}) == message


def test_brightness_in_colour_mode_changes_the_colours_value() -> None:
    assert sent(BULB, {"brightness": 128}, COLOUR).dps == {"24": "00b4022b01f9", "20": True}


def test_brightness_in_colour_mode_with_an_unreadable_colour() -> None:
    assert sent(BULB, {"brightness": 128}, {**COLOUR, "24": "?"}).dps == {"22": 505, "20": True}


def test_brightness_with_color_temp_leaves_colour_mode() -> None:
    assert sent(BULB, {"brightness": 128, "color_temp": 370}, COLOUR).dps == {
        "22": 505,
        "21": "white",
        "23": 0,
        "20": True,
    }


def test_brightness_without_a_brightness_dp_uses_the_colour() -> None:
    profile = profile_for("bulb", {"brightness": None})
    assert sent(profile, {"brightness": 255}, WHITE).dps == {"24": "00b4022b03e8", "20": True}
    assert refused(profile, {"brightness": 255}, {}) == (
        "brightness: the current colour is not known yet; set color with it"
    )


def test_brightness_on_a_dimmer_without_a_switch() -> None:
    dimmer = profile_for("raw", {"brightness": 2})
    assert sent(dimmer, {"brightness": 255}).dps == {"2": 1000}
    assert refused(dimmer, {"brightness": 0}) == "nothing to set (the payload names no data point)"


# --- colour ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("colour", "encoded"),
    [
        ({"h": 120, "s": 50}, "007801f403e8"),
        ({"h": 120.4, "s": 49.96}, "007801f403e8"),
        ({"r": 255, "g": 0, "b": 0}, "000003e803e8"),
        ("#00ff00", "007803e803e8"),
        (" #00FF00 ", "007803e803e8"),
    ],
)
def test_colour_keeps_the_current_value(colour: object, encoded: str) -> None:
    assert sent(BULB, {"color": colour}, WHITE).dps == {"21": "colour", "24": encoded}


def test_colour_with_brightness() -> None:
    assert sent(BULB, {"color": {"h": 0, "s": 100}, "brightness": 128}, WHITE).dps == {
        "21": "colour",
        "24": "000003e801f9",
        "20": True,
    }


@pytest.mark.parametrize(
    ("current", "value"),
    [
        ({"22": 600}, "0258"),
        ({"22": 5000}, "03e8"),
        ({}, "03e8"),
        ({"22": True}, "03e8"),
        ({"24": "000000000005", "22": 600}, "0258"),
        ({"24": "0000000003e8", "22": 600}, "0258"),  # white mode (unknown): shines at DP 22
        ({"21": "white", "24": "0000000003a9", "22": 500}, "01f4"),
        ({"21": "colour", "24": "0000000003a9", "22": 500}, "03a9"),
        ({"21": "colour", "24": "000000000005", "22": 600}, "000a"),  # the lowest step
        ({"21": "scene", "24": "0000000003a9", "22": 500}, "01f4"),
    ],
)
def test_colour_keeps_the_brightness_shown(current: dict[str, object], value: str) -> None:
    assert sent(BULB, {"color": "#ff0000"}, current).dps["24"] == "000003e8" + value


def test_v1_colour() -> None:
    assert sent(BULB_V1, {"color": "#ff0000"}, {"5": "00000000000000", "3": 255}).dps == {
        "2": "colour",
        "5": "ff00000000ffff",
    }


@pytest.mark.parametrize(
    ("colour", "message"),
    [
        (
            "#12345",
            """color: '#12345' is not a colour (use {"h","s"}, {"r","g","b"} or "#rrggbb")""",
        ),
        (5, "color: 5 is not a colour"),
        ({"h": 10}, 'color: {"h": 10} is not a colour'),
        ({"h": 10, "s": 5, "v": 5}, "color: "),
        ({"h": 400, "s": 10}, "color.h: 400 is out of range 0-360"),
        ({"h": 10, "s": 100.5}, "color.s: 100.5 is out of range 0-100"),
        ({"h": "1", "s": 1}, "color.h: '1' is not a number"),
        ({"r": 1, "g": 2, "b": 300}, "color.b: 300 is out of range 0-255"),
    ],
)
def test_bad_colours(colour: object, message: str) -> None:
    assert refused(BULB, {"color": colour}).startswith(message)


def test_one_colour_mode_at_a_time() -> None:
    assert refused(BULB, {"color": "#ff0000", "color_temp": 200}) == (
        "color: cannot be set together with color_temp (one colour mode at a time)"
    )
    assert refused(RGBW, {"color": "#ff0000", "white": 200}) == (
        "color: cannot be set together with white (one colour mode at a time)"
    )


def test_colour_without_a_mode_dp() -> None:
    profile = profile_for("bulb", {"color_mode": None})
    assert sent(profile, {"color": "#ff0000"}, WHITE).dps == {"24": "000003e803e8"}


# --- colour temperature and white ------------------------------------------------------------


@pytest.mark.parametrize(("mireds", "device"), [(153, 1000), (370, 0), (250.4, 553)])
def test_colour_temperature(mireds: float, device: int) -> None:
    assert sent(BULB, {"color_temp": mireds}, COLOUR).dps == {"21": "white", "23": device}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (152, "color_temp: 152 is out of range 153-370 (mireds)"),
        (371, "color_temp: 371 is out of range 153-370 (mireds)"),
        ("warm", "color_temp: 'warm' is not a number"),
    ],
)
def test_bad_colour_temperature(value: object, message: str) -> None:
    assert refused(BULB, {"color_temp": value}) == message


def test_colour_temperature_without_a_mode_dp() -> None:
    profile = profile_for("bulb", {"color_mode": None})
    assert sent(profile, {"color_temp": 153}).dps == {"23": 1000}


def test_white_on_an_rgbw_bulb() -> None:
    assert sent(RGBW, {"white": 255}, COLOUR).dps == {"22": 1000, "21": "white", "20": True}
    assert sent(RGBW, {"white": 0}, COLOUR).dps == {"20": False, "21": "white"}
    assert sent(RGBW, {"white": 128, "brightness": 128}, COLOUR).dps == {
        "22": 505,
        "21": "white",
        "20": True,
    }


def test_white_and_brightness_must_agree() -> None:
    assert refused(RGBW, {"white": 100, "brightness": 50}) == (
        "white: conflicts with brightness (both set the white level)"
    )


def test_white_without_a_mode_dp() -> None:
    profile = profile_for("bulb", {"color_temp": None, "color_mode": None})
    assert sent(profile, {"white": 255}).dps == {"22": 1000, "20": True}
