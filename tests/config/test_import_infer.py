"""Types and DP overrides inferred from a device's category and DP mapping, checked
against the profile the daemon will build from the same DPs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from setsmart.config.importers.infer import infer_device
from setsmart.config.importers.model import DpInfo
from setsmart.devices import detect_type, device_state, profile_for
from setsmart.devices.layout import DpLayout

BOOL = "Boolean"
WHEN = datetime(2024, 5, 1, tzinfo=UTC)
COUNTDOWN = {"unit": "s", "min": 0, "max": 86400, "scale": 0, "step": 1}


def mapping(*dps: tuple[int, str, str] | tuple[int, str, str, dict[str, Any]]) -> dict[int, DpInfo]:
    return {dp[0]: DpInfo(dp[1], dp[2], dp[3] if len(dp) > 3 else {}) for dp in dps}


PLUG = mapping(
    (1, "switch_1", BOOL),
    (9, "countdown_1", "Integer", COUNTDOWN),
    (17, "add_ele", "Integer", {"min": 0, "max": 50000, "scale": 3}),
    (18, "cur_current", "Integer", {"unit": "mA", "min": 0, "max": 30000, "scale": 0}),
    (19, "cur_power", "Integer", {"unit": "W", "min": 0, "max": 50000, "scale": 1}),
    (20, "cur_voltage", "Integer", {"unit": "V", "min": 0, "max": 5000, "scale": 1}),
)


def observed(dps: Mapping[int, DpInfo]) -> dict[str, object]:
    samples = {"Boolean": False, "Integer": 0, "Enum": "white"}
    return {str(dp): samples.get(info.type, "") for dp, info in dps.items()}


def roles_at_run_time(
    kind: str, overrides: Mapping[str, object], dps: Mapping[int, DpInfo]
) -> dict[str, str]:
    seen = observed(dps)
    resolved = detect_type(seen) if kind == "auto" else kind
    return dict(profile_for(resolved, overrides, seen).roles)


def test_a_standard_metering_plug_needs_no_overrides() -> None:
    inference = infer_device("cz", PLUG)
    assert (inference.type, dict(inference.dps), inference.notes) == ("plug", {}, ())
    assert roles_at_run_time("plug", {}, PLUG) == {
        "state": "1",
        "countdown": "9",
        "energy": "17",
        "current": "18",
        "power": "19",
        "voltage": "20",
    }


def test_metering_on_other_dps_becomes_overrides_the_profile_accepts() -> None:
    dps = mapping(
        (1, "switch_1", BOOL),
        (9, "countdown_1", "Integer", COUNTDOWN),
        (101, "cur_voltage", "Integer", {"unit": "V", "scale": 1}),
        (102, "cur_current", "Integer", {"unit": "mA", "scale": 0}),
        (103, "cur_power", "Integer", {"unit": "W", "scale": 1}),
        (104, "add_ele", "Integer", {"scale": 3}),
    )
    inference = infer_device("cz", dps)
    assert inference.type == "plug"
    assert dict(inference.dps) == {"energy": 104, "current": 102, "power": 103, "voltage": 101}
    roles = roles_at_run_time("plug", inference.dps, dps)
    assert (roles["power"], roles["voltage"], roles["current"], roles["energy"]) == (
        "103",
        "101",
        "102",
        "104",
    )


def test_a_plug_switch_elsewhere_than_dp_1_is_mapped() -> None:
    dps = mapping((16, "switch", BOOL), (42, "countdown", "Integer", COUNTDOWN))
    inference = infer_device("cz", dps)
    assert (inference.type, dict(inference.dps)) == ("plug", {"state": 16, "countdown": 42})
    assert roles_at_run_time("plug", inference.dps, dps)["state"] == "16"


def test_strips_with_usb_on_dp_7_use_the_shipped_map() -> None:
    dps = mapping(
        *((n, f"switch_{n}", BOOL) for n in (1, 2, 3)),
        (7, "switch_usb1", BOOL),
        *((n + 8, f"countdown_{n}", "Integer", COUNTDOWN) for n in (1, 2, 3)),
        (15, "countdown_usb1", "Integer", COUNTDOWN),
    )
    inference = infer_device("pc", dps)
    assert (inference.type, dict(inference.dps)) == ("strip", {})
    roles = roles_at_run_time("strip", {}, dps)
    assert [roles[f"state_l{n}"] for n in (1, 2, 3, 4)] == ["1", "2", "3", "7"]


def test_strip_switches_outside_the_map_are_listed_gang_by_gang() -> None:
    dps = mapping((1, "switch_1", BOOL), (2, "switch_2", BOOL), (101, "switch_usb1", BOOL))
    inference = infer_device("pc", dps)
    assert inference.type == "strip"
    assert dict(inference.dps) == {"state_l1": 1, "state_l2": 2, "state_l3": 101}
    roles = roles_at_run_time("strip", inference.dps, dps)
    assert [roles[f"state_l{n}"] for n in (1, 2, 3)] == ["1", "2", "101"]


def test_one_switch_and_one_usb_switch_make_a_two_gang_strip() -> None:
    # make-all/tuya-local#1993: "smart plug with usb", switch_1 and switch_usb1 (pc)
    dps = mapping((1, "switch_1", BOOL), (7, "switch_usb1", BOOL))
    assert infer_device("pc", dps).type == "strip"


@pytest.mark.parametrize("category", ["dj", "dd", "fwd", "xdd"])
def test_lights_with_dps_20_to_24_are_v2_bulbs(category: str) -> None:
    dps = mapping(
        (20, "switch_led", BOOL),
        (21, "work_mode", "Enum", {"range": ["white", "colour"]}),
        (22, "bright_value_v2", "Integer", {"min": 10, "max": 1000}),
    )
    inference = infer_device(category, dps)
    assert (inference.type, dict(inference.dps)) == ("bulb", {})
    assert roles_at_run_time("bulb", {}, dps)["brightness"] == "22"


def test_lights_with_dps_1_to_5_are_v1_bulbs() -> None:
    dps = mapping(
        (1, "led_switch", BOOL),
        (2, "work_mode", "Enum", {"range": ["white", "colour"]}),
        (3, "bright_value", "Integer", {"min": 25, "max": 255}),
    )
    assert infer_device("dj", dps).type == "bulb_v1"
    assert roles_at_run_time("bulb_v1", {}, dps)["brightness"] == "3"


@pytest.mark.parametrize(
    ("category", "dps"),
    [
        ("dj", mapping((101, "switch_led", BOOL))),  # a light code, but off the usual DPs
        ("qt", mapping((1, "switch_1", BOOL))),  # a category setsmart does not know
        ("cz", mapping((1, "child_lock", BOOL))),  # a plug without a switch code
        ("cz", {}),
        ("cz", None),
    ],
)
def test_everything_else_is_auto(category: str, dps: dict[int, DpInfo] | None) -> None:
    assert infer_device(category, dps).type == "auto"


def test_meters_on_a_light_are_mapped_wherever_they_are() -> None:
    dps = mapping(
        (20, "switch_led", BOOL), (22, "bright_value_v2", "Integer"), (19, "cur_power", "Integer")
    )
    inference = infer_device("dj", dps)
    assert (inference.type, dict(inference.dps)) == ("bulb", {"power": 19})
    assert roles_at_run_time("bulb", inference.dps, dps)["power"] == "19"


def test_a_layout_the_map_cannot_take_is_left_to_the_user_with_a_note() -> None:
    # Power on DP 9, where the plug map keeps its countdown: overrides cannot drop a role.
    dps = mapping((1, "switch_1", BOOL), (9, "cur_power", "Integer", {"unit": "W", "scale": 1}))
    inference = infer_device("cz", dps)
    assert (inference.type, dict(inference.dps)) == ("plug", {})
    assert len(inference.notes) == 1
    assert inference.notes[0].startswith("its DP layout does not fit the type's map")
    assert "9 cur_power" in inference.notes[0]


@pytest.mark.parametrize(
    ("code", "values", "raw", "reads"),
    [
        ("cur_power", {"unit": "W", "scale": 0}, 42, ("power", 42.0)),
        ("cur_voltage", {"unit": "V", "scale": 2}, 23012, ("voltage", 230.1)),
        ("cur_current", {"unit": "A", "scale": 2}, 150, ("current", 1.5)),
        ("add_ele", {"scale": 4}, 12345, ("energy", 1.234)),
    ],
)
def test_meters_in_other_units_get_their_layout_and_read_right(
    code: str, values: dict[str, Any], raw: int, reads: tuple[str, float]
) -> None:
    usual = {"cur_power": 19, "cur_voltage": 20, "cur_current": 18, "add_ele": 17}
    dp = usual[code]
    dps = mapping((1, "switch_1", BOOL), (dp, code, "Integer", values))
    inference = infer_device("cz", dps)
    role, real = reads
    layout = inference.dps[role]
    assert isinstance(layout, DpLayout)
    assert (layout.id, layout.scale, inference.notes) == (str(dp), values["scale"], ())
    profile = profile_for("plug", inference.dps, {"1": True, str(dp): raw})
    assert profile.dp(role) == str(dp)
    if role != "energy":  # energy is a running total kept by the daemon
        observed = {"1": True, str(dp): raw}
        state = device_state(profile, observed, energy_kwh=None, source="lan", last_seen=WHEN)
        assert state[role] == real


@pytest.mark.parametrize(
    ("code", "values"),
    [
        ("cur_current", {"unit": "mA", "scale": 0}),
        ("cur_current", {"scale": 0}),
        ("cur_power", {"unit": "W", "scale": 1}),
        ("cur_voltage", {"unit": "V", "scale": 1}),
        ("add_ele", {"scale": 3}),
    ],
)
def test_meters_in_the_map_units_need_no_overrides(code: str, values: dict[str, Any]) -> None:
    usual = {"cur_power": 19, "cur_current": 18, "cur_voltage": 20, "add_ele": 17}
    dps = mapping((1, "switch_1", BOOL), (usual[code], code, "Integer", values))
    assert (dict(infer_device("cz", dps).dps), infer_device("cz", dps).notes) == ({}, ())


def test_a_library_entry_that_drops_roles_is_written_with_nulls() -> None:
    # The shipped library's Bseed 2-gang switch has no meter where the switch map keeps
    # one (make-all/tuya-local#3933): the import says so with nulls the YAML keeps.
    inference = infer_device("kg", None, "oayppk7skuax4j6i")
    assert inference.type == "switch"
    assert {role: inference.dps[role] for role in ("energy", "current", "power")} == {
        "energy": None,
        "current": None,
        "power": None,
    }
    reported = {"1": False, "2": False, "7": 0, "8": 0, "17": "", "18": "", "19": ""}
    profile = profile_for("switch", inference.dps, reported)
    assert profile.switch_dps == ("1", "2")
    assert not {"energy", "current", "power"} & profile.roles.keys()
