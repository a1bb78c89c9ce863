"""Every device test that can run over the recorded status dumps does (python-kasa style)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setsmart.devices import DeviceProfile, detect_type, device_state, parse_set, profile_for

from .recorded import RECORDED, Recorded

WHEN = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def _select(keep: Callable[[Recorded], bool]) -> list[Recorded]:
    return [r for r in RECORDED if keep(r)]


def _names(records: list[Recorded]) -> list[str]:
    return [r.name for r in records]


def _params(records: list[Recorded]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("rec", records, ids=_names(records))


def _state(profile: DeviceProfile, dps: dict[str, object]) -> dict[str, object]:
    return device_state(profile, dps, energy_kwh=1.5, source="lan", last_seen=WHEN)


def _after(rec: Recorded, profile: DeviceProfile, payload: object) -> dict[str, object]:
    """The state once the device has taken the command."""
    command = parse_set(profile, payload, rec.dps)
    return _state(profile, {**rec.dps, **command.dps})


WITH_SWITCH = _select(lambda r: r.expected["gangs"] > 0)
WITH_BRIGHTNESS = _select(lambda r: "brightness" in r.expected["roles"])
WITH_COLOUR = _select(lambda r: "color" in r.expected["roles"])
WITH_TEMP = _select(lambda r: "color_temp" in r.expected["roles"])


def test_every_kind_has_a_fixture() -> None:
    kinds = {r.type for r in RECORDED}
    assert kinds == {"plug", "strip", "bulb", "bulb_v1", "sensor", "raw"}
    assert {r.expected["map"] for r in RECORDED} >= {"plug", "plug_legacy", "strip"}


@_params(RECORDED)
def test_detects_the_device_type(rec: Recorded) -> None:
    assert detect_type(rec.dps) == rec.type


@_params(RECORDED)
def test_profile_from_the_reported_dps(rec: Recorded) -> None:
    profile = profile_for("auto", None, rec.dps)
    assert profile.type == rec.type
    assert profile.map_name == rec.expected["map"]
    assert dict(profile.roles) == rec.expected["roles"]
    assert profile.gangs == rec.expected["gangs"]
    assert list(profile.sensors) == rec.expected["sensors"]
    assert list(profile.color_modes) == rec.expected["color_modes"]


@_params(RECORDED)
def test_naming_the_type_gives_the_same_profile_as_auto(rec: Recorded) -> None:
    assert profile_for(rec.type, {}, rec.dps) == profile_for("auto", {}, rec.dps)


@_params(RECORDED)
def test_state_document(rec: Recorded) -> None:
    profile = profile_for("auto", None, rec.dps)
    state = _state(profile, rec.dps)
    assert state == {
        **rec.expected["state"],
        "dps": rec.dps,
        "source": "lan",
        "last_seen": "2024-05-01T12:00:00Z",
    }
    assert json.loads(json.dumps(state)) == state


@_params(WITH_SWITCH)
@pytest.mark.parametrize("word", ["ON", "OFF"])
def test_state_command_is_reported_back(rec: Recorded, word: str) -> None:
    profile = profile_for("auto", None, rec.dps)
    state = _after(rec, profile, {"state": word})
    assert state["state"] == word
    gang_states = [v for k, v in state.items() if k.startswith("state_l")]
    assert gang_states == ([word] * profile.gangs if profile.is_strip else [])


@_params(WITH_SWITCH)
def test_toggle_flips_what_the_device_reports(rec: Recorded) -> None:
    profile = profile_for("auto", None, rec.dps)
    before = _state(profile, rec.dps)["state"]
    assert _after(rec, profile, "toggle")["state"] == ("OFF" if before == "ON" else "ON")


@_params(WITH_SWITCH)
def test_power_cycle_turns_off_and_arranges_the_way_back_on(rec: Recorded) -> None:
    profile = profile_for("auto", None, rec.dps)
    command = parse_set(profile, {"power_cycle": 30}, rec.dps)
    now = {**rec.dps, **command.dps}
    assert _state(profile, now)["state"] == "OFF"
    # Later: each countdown runs out and flips its switch; the daemon sends the rest.
    later = dict(now)
    for gang, switch in enumerate(profile.switch_dps, start=1):
        countdown = profile.countdown_dp(gang)
        if countdown is not None:
            assert command.dps[countdown] == 30
            later[switch] = True
    if command.restore_after is not None:
        delay, restore = command.restore_after
        assert delay == 30
        later.update(restore)
    final = _state(profile, later)
    assert final["state"] == "ON"
    assert all(v == "ON" for k, v in final.items() if k.startswith("state_l"))


@_params(WITH_BRIGHTNESS)
@given(level=st.integers(1, 255))
def test_brightness_set_is_reported_back(rec: Recorded, level: int) -> None:
    profile = profile_for("auto", None, rec.dps)
    state = _after(rec, profile, {"brightness": level})
    assert state["state"] == "ON"
    if profile.brightness_range == (10, 1000):
        assert state["brightness"] == level
    else:  # 231 device steps cannot hold 255 HA values: the nearest step comes back
        assert abs(state["brightness"] - level) <= 1  # type: ignore[operator]


@_params(WITH_COLOUR)
@given(h=st.integers(0, 360), s=st.integers(0, 100))
def test_colour_set_is_reported_back_at_the_same_brightness(rec: Recorded, h: int, s: int) -> None:
    """Home Assistant's `hs_color` alone: the brightness it shows stays, in any mode."""
    profile = profile_for("auto", None, rec.dps)
    state = _after(rec, profile, {"color": {"h": h, "s": s}})
    assert state["color"] == {"h": h, "s": s}
    assert state["color_mode"] == "hs"
    assert state["brightness"] == _state(profile, rec.dps)["brightness"]


@_params(WITH_TEMP)
@given(mireds=st.integers(153, 370))
def test_colour_temperature_set_keeps_the_brightness(rec: Recorded, mireds: int) -> None:
    profile = profile_for("auto", None, rec.dps)
    before = _state(profile, rec.dps)["brightness"]
    state = _after(rec, profile, {"color_temp": mireds})
    assert state["brightness"] == before
    if "color" in profile.roles:  # from colour mode, white comes on at the colour's level
        coloured = {**rec.dps, **parse_set(profile, {"color": "#ff8000", "brightness": 77}, {}).dps}
        shown = _state(profile, coloured)["brightness"]
        white = {**coloured, **parse_set(profile, {"color_temp": mireds}, coloured).dps}
        assert _state(profile, white)["brightness"] == shown
        assert _state(profile, white)["color_mode"] == "color_temp"


@_params(WITH_TEMP)
@given(mireds=st.integers(153, 370))
def test_colour_temperature_set_is_reported_back(rec: Recorded, mireds: int) -> None:
    profile = profile_for("auto", None, rec.dps)
    state = _after(rec, profile, {"color_temp": mireds})
    assert state["color_temp"] == mireds
    assert state["color_mode"] == "color_temp"
