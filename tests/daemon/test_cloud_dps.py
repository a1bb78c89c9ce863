"""DP ids and values between the LAN's form and the cloud's (pure)."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from setsmart.cloud.models import DpSpec, Specification
from setsmart.daemon.cloud_dps import CloudDpCodec, CloudDpError

HSV_V2 = {
    "h": {"min": 0, "max": 360, "step": 1},
    "s": {"min": 0, "max": 1000, "step": 1},
    "v": {"min": 0, "max": 1000, "step": 1},
}
HSV_V1 = {
    "h": {"min": 0, "max": 360, "step": 1},
    "s": {"min": 0, "max": 255, "step": 1},
    "v": {"min": 0, "max": 255, "step": 1},
}


def spec(*functions: DpSpec, status: tuple[DpSpec, ...] = ()) -> Specification:
    return Specification("dj", functions, status)


SWITCH = DpSpec("switch_led", 20, "Boolean", {})
MODE = DpSpec("work_mode", 21, "Enum", {"range": ["white", "colour", "scene"]})
BRIGHT = DpSpec("bright_value_v2", 22, "Integer", {"min": 10, "max": 1000})
COLOUR = DpSpec("colour_data_v2", 24, "Json", HSV_V2)
POWER = DpSpec("cur_power", 19, "Integer", {"min": 0, "max": 50000, "scale": 1})
BULB = CloudDpCodec.from_specification(
    spec(SWITCH, MODE, BRIGHT, COLOUR, status=(SWITCH, MODE, BRIGHT, COLOUR, POWER))
)


def test_codes_become_dp_ids_and_unknown_codes_are_left_out() -> None:
    status: list[dict[str, Any]] = [
        {"code": "switch_led", "value": True},
        {"code": "work_mode", "value": "colour"},
        {"code": "bright_value_v2", "value": 500},
        {"code": "cur_power", "value": 123},
        {"code": "not_in_the_spec", "value": 1},
    ]
    assert BULB.to_dps(status) == {"20": True, "21": "colour", "22": 500, "19": 123}


@pytest.mark.parametrize(
    ("dp", "cloud", "lan"),
    [
        (SWITCH, "true", True),
        (SWITCH, 0, False),
        (BRIGHT, "250", 250),
        (BRIGHT, 250.0, 250),
        (BRIGHT, 2.5, 2.5),  # not whole: kept as it is
        (MODE, "scene", "scene"),
        (SWITCH, "maybe", "maybe"),  # odd values are kept, not dropped
        (MODE, ["a"], '["a"]'),
        (BRIGHT, None, None),
    ],
)
def test_values_are_read_leniently(dp: DpSpec, cloud: object, lan: object) -> None:
    assert BULB.to_dps([{"code": dp.code, "value": cloud}]) == {str(dp.dp_id): lan}


def test_a_cloud_colour_becomes_the_bulbs_hex() -> None:
    as_object = {"h": 120, "s": 1000, "v": 500}
    expected = "007803e801f4"
    assert BULB.to_dps([{"code": "colour_data_v2", "value": as_object}]) == {"24": expected}
    as_text = json.dumps(as_object)
    assert BULB.to_dps([{"code": "colour_data_v2", "value": as_text}]) == {"24": expected}
    # A v1 bulb: s and v go to 255, the LAN form has 14 digits (RGB first).
    v1 = CloudDpCodec.from_specification(spec(DpSpec("colour_data", 5, "Json", HSV_V1)))
    dps = v1.to_dps([{"code": "colour_data", "value": {"h": 0, "s": 255, "v": 255}}])
    assert dps == {"5": "ff00000000ffff"}
    # Hex already, or a JSON object that is not a colour: kept.
    assert BULB.to_dps([{"code": "colour_data_v2", "value": expected}]) == {"24": expected}
    other = {"code": "colour_data_v2", "value": {"scene": 1}}
    assert BULB.to_dps([other]) == {"24": '{"scene":1}'}


def test_dps_become_typed_commands() -> None:
    commands = BULB.to_commands({"20": True, "21": "white", "22": 1000, "24": "007803e801f4"})
    assert commands == [
        {"code": "switch_led", "value": True},
        {"code": "work_mode", "value": "white"},
        {"code": "bright_value_v2", "value": 1000},
        {"code": "colour_data_v2", "value": {"h": 120, "s": 1000, "v": 500}},
    ]


def test_a_colour_without_an_hsv_description_is_sent_as_it_is() -> None:
    plain = CloudDpCodec.from_specification(spec(DpSpec("colour_data_v2", 24, "Json", {})))
    assert plain.to_commands({"24": "007803e801f4"}) == [
        {"code": "colour_data_v2", "value": "007803e801f4"}
    ]


@pytest.mark.parametrize(
    ("dps", "words"),
    [
        ({"99": True}, ["DP 99", "not in the device's cloud specification"]),
        ({"19": 5}, ["DP 19", "cur_power", "read-only"]),
        ({"20": "yes"}, ["switch_led", "true or false", "'yes'"]),
        ({"22": 5}, ["bright_value_v2", "10 to 1000", "5"]),
        ({"22": "bright"}, ["whole number"]),
        ({"22": True}, ["whole number"]),
        ({"21": "disco"}, ["white, colour, scene", "'disco'"]),
        ({"21": 3}, ["one of"]),
    ],
)
def test_what_the_cloud_would_refuse_is_refused_readably(
    dps: dict[str, Any], words: list[str]
) -> None:
    with pytest.raises(CloudDpError) as caught:
        BULB.to_commands(dps)
    for word in words:
        assert word in str(caught.value)


def test_numbers_accepted_as_text_and_booleans_as_numbers() -> None:
    assert BULB.to_commands({"20": 1, "22": "500"}) == [
        {"code": "switch_led", "value": True},
        {"code": "bright_value_v2", "value": 500},
    ]


def test_the_first_code_given_for_a_dp_id_wins() -> None:
    codec = CloudDpCodec.from_specification(
        spec(DpSpec("switch_1", 1, "Boolean", {}), status=(DpSpec("switch", 1, "Boolean", {}),))
    )
    assert codec.to_commands({"1": True}) == [{"code": "switch_1", "value": True}]
    assert codec.to_dps([{"code": "switch", "value": False}]) == {"1": False}


def test_the_codec_is_pure() -> None:
    source = Path(__file__).parents[2] / "src/setsmart/daemon/cloud_dps.py"
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert not {name for name in imported if name.split(".")[0] in ("asyncio", "httpx", "socket")}
