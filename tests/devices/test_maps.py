"""Role names, `dps:` overrides and the shipped JSON maps."""

from __future__ import annotations

import pytest

from setsmart.devices import ROLE_NAMES, DpMapError, validate_overrides
from setsmart.devices.dpmap import MAP_NAMES, load_map, parse_map
from setsmart.devices.roles import parse_gang_role, valid_roles_text


def test_role_names_are_the_state_keys() -> None:
    assert {"state", "power", "voltage", "current", "energy", "brightness"} <= ROLE_NAMES
    assert {
        "color_temp",
        "color",
        "color_mode",
        "countdown",
        "state_l1",
        "countdown_l16",
    } <= ROLE_NAMES
    assert "state_l17" not in ROLE_NAMES
    assert "state_l0" not in ROLE_NAMES


def test_valid_roles_text_lists_them_compactly() -> None:
    assert valid_roles_text() == (
        "brightness, color, color_mode, color_temp, countdown, countdown_l1..countdown_l16, "
        "current, effect, energy, power, state, state_l1..state_l16, voltage"
    )


@pytest.mark.parametrize(
    ("name", "parsed"),
    [
        ("state_l2", ("state", 2)),
        ("countdown_l16", ("countdown", 16)),
        ("state_l17", None),
        ("state_l01", None),
        ("state", None),
        ("power_l1", None),
    ],
)
def test_parse_gang_role(name: str, parsed: tuple[str, int] | None) -> None:
    assert parse_gang_role(name) == parsed


def test_overrides_are_normalised_to_wire_ids() -> None:
    assert validate_overrides({"power": 19, "voltage": "20", "energy": None}) == {
        "power": "19",
        "voltage": "20",
        "energy": None,
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pwr": 19}, "dps: unknown role 'pwr' (valid: brightness, color, color_mode, "),
        ({19: 19}, "dps: unknown role 19 (valid: "),
        ({"power": "abc"}, "dps.power: 'abc' is not a DP id (a number from 1 to 255)"),
        ({"power": 0}, "dps.power: 0 is not a DP id"),
        ({"power": 256}, "dps.power: 256 is not a DP id"),
        ({"power": "019"}, "dps.power: '019' is not a DP id"),
        ({"power": True}, "dps.power: True is not a DP id"),
        ({"power": 1.5}, "dps.power: 1.5 is not a DP id"),
    ],
)
def test_bad_overrides_name_the_key(overrides: dict[object, object], message: str) -> None:
    with pytest.raises(DpMapError) as caught:
        validate_overrides(overrides)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("name", MAP_NAMES)
def test_every_shipped_map_loads(name: str) -> None:
    dp_map = load_map(name)
    assert dp_map.name == name
    assert set(dp_map.roles) <= ROLE_NAMES
    assert set(dp_map.scale) <= set(dp_map.roles) | {"energy"}


def test_shipped_maps_hold_the_documented_dps() -> None:
    assert dict(load_map("plug").roles) == {
        "state": "1",
        "countdown": "9",
        "energy": "17",
        "current": "18",
        "power": "19",
        "voltage": "20",
    }
    assert dict(load_map("plug").scale) == {
        "power": 10,
        "voltage": 10,
        "current": 1000,
        "energy": 1000,
    }
    strip = load_map("strip")
    assert strip.gangs[:4] == (("1", "9"), ("2", "10"), ("3", "11"), ("4", "12"))
    assert strip.gangs[-1] == ("7", "15")
    assert strip.default_gangs == 4
    bulb, bulb_v1 = load_map("bulb"), load_map("bulb_v1")
    assert (bulb.roles["brightness"], bulb.brightness_range, bulb.color_temp_range) == (
        "22",
        (10, 1000),
        (0, 1000),
    )
    assert (bulb_v1.roles["color"], bulb_v1.brightness_range, bulb_v1.color_temp_range) == (
        "5",
        (25, 255),
        (0, 255),
    )


def test_unknown_map_name() -> None:
    with pytest.raises(DpMapError, match=r"no DP map named 'socket' \(maps: plug, plug_legacy, "):
        load_map("socket")


def test_minimal_map_takes_defaults() -> None:
    dp_map = parse_map("tiny", {"roles": {"state": 1}})
    assert dict(dp_map.roles) == {"state": "1"}
    assert dict(dp_map.scale) == {}
    assert dp_map.gangs == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "map x: must be a JSON object"),
        ({"rolez": {}}, "map x: unknown key 'rolez'"),
        ({"roles": []}, "map x: roles: must be a JSON object"),
        ({"roles": {"pwr": "1"}}, "map x: unknown role 'pwr'"),
        ({"roles": {"power": "x"}}, "map x: roles.power: 'x' is not a DP id"),
        ({"scale": {"power": 0}}, "map x: scale.power: must be an integer >= 1, got 0"),
        ({"scale": {"power": True}}, "map x: scale.power: must be an integer >= 1, got True"),
        ({"gangs": "1"}, "map x: gangs: each gang must be [switch DP, countdown DP], got '1'"),
        ({"gangs": [["1"]]}, "map x: gangs: each gang must be [switch DP, countdown DP]"),
        ({"gangs": [["1", "x"]]}, "map x: gangs: 'x' is not a DP id"),
        ({"default_gangs": 2, "gangs": [["1", "9"]]}, "map x: default_gangs 2 exceeds the 1 gangs"),
        ({"default_gangs": -1}, "map x: default_gangs: must be an integer >= 0, got -1"),
        ({"color_format": "rgb"}, "map x: color_format must be one of"),
        (
            {"brightness_range": [10]},
            "map x: brightness_range: must be [low, high] with 0 <= low < high",
        ),
        ({"color_temp_range": [5, 5]}, "map x: color_temp_range: must be [low, high]"),
        ({"color_temp_range": [0, "9"]}, "map x: color_temp_range: must be [low, high]"),
        ({"color_temp_range": "0-9"}, "map x: color_temp_range: must be [low, high]"),
    ],
)
def test_bad_map_files_are_refused(data: object, message: str) -> None:
    with pytest.raises(DpMapError) as caught:
        parse_map("x", data)
    assert str(caught.value).startswith(message)
