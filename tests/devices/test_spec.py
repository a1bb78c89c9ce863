"""Specifications of real products (tests/devices/specs/) to kinds and `dps:` layouts, the
three shapes the cloud answers in, and malformed specifications as one readable line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from setsmart.devices import profile_for
from setsmart.devices.fromspec import CATEGORY_KINDS, kind_of, profile_from_spec
from setsmart.devices.layout import DpLayout
from setsmart.devices.spec import DeviceSpec, SpecError, parse_spec

SPEC_DIR = Path(__file__).parent / "specs"
SPECS = {path.stem: json.loads(path.read_text("utf-8")) for path in sorted(SPEC_DIR.glob("*.json"))}


def spec_of(entry: dict[str, Any]) -> DeviceSpec:
    return parse_spec(entry["spec"], category=entry.get("category", ""))


def as_yaml(dps: object) -> dict[str, object]:
    assert isinstance(dps, dict)
    return {k: v.as_yaml() if isinstance(v, DpLayout) else v for k, v in dps.items()}


def test_every_kind_has_a_real_specification() -> None:
    kinds = {entry["expected"]["type"] for entry in SPECS.values()}
    assert kinds == {"plug", "strip", "switch", "dimmer", "bulb", "cover", "fan", "climate"} | {
        "sensor"
    }
    assert all(entry["source"] and entry["url"].startswith("https://") for entry in SPECS.values())


@pytest.mark.parametrize("name", SPECS)
def test_specification_gives_the_kind_and_the_layout(name: str) -> None:
    entry = SPECS[name]
    found = profile_from_spec(spec_of(entry))
    assert (found.type, as_yaml(found.dps), found.notes) == (
        entry["expected"]["type"],
        entry["expected"]["dps"],
        (),
    )


@pytest.mark.parametrize("name", [n for n in SPECS if "status" in SPECS[n]])
def test_the_layout_maps_what_the_device_reports(name: str) -> None:
    entry = SPECS[name]
    found = profile_from_spec(spec_of(entry))
    profile = profile_for(found.type, found.dps, entry["status"])
    for role, value in found.dps.items():
        dp = str(value.id if isinstance(value, DpLayout) else value)
        assert profile.dp(role) == dp
        assert dp in entry["status"], f"{role} on DP {dp}, which the device does not report"


def test_the_thermostat_reads_its_setpoint_with_the_specification_scale() -> None:
    entry = SPECS["climate_essentials_tuyalocal4199"]
    found = profile_from_spec(spec_of(entry))
    layout = profile_for(found.type, found.dps, entry["status"]).layout("temp_set")
    assert layout is not None
    assert (layout.id, layout.real(entry["status"]["16"]), layout.bounds()) == ("16", 5.0, (5, 35))


def test_a_specification_in_the_three_shapes_is_the_same() -> None:
    v11 = spec_of(SPECS["cover_nordice_tuyalocal4065"])
    model_shape = {
        "model": {
            "services": [
                {
                    "properties": [
                        {
                            "abilityId": dp.id,
                            "code": dp.code,
                            "accessMode": "rw" if dp.writable else "ro",
                            "typeSpec": {"type": dp.type.lower(), **dp.values},
                        }
                        for dp in v11.dps
                    ]
                }
            ]
        }
    }
    mapping = {
        str(dp.id): {"code": dp.code, "type": dp.type, "values": dp.values} for dp in v11.dps
    }
    assert parse_spec(v11.to_json()) == v11
    assert parse_spec(model_shape, category="cl") == v11
    assert parse_spec(mapping, category="cl").codes == v11.codes


@pytest.mark.parametrize(
    ("category", "kind"),
    [("kg", "switch"), ("tdq", "switch"), ("tgkg", "dimmer"), ("clkg", "cover"), ("wkf", "climate")]
    + [(c, "sensor") for c in ("ywbj", "rqbj", "cobj", "ldcg", "co2bj", "pm25")],
)
def test_categories_name_the_contract_kinds(category: str, kind: str) -> None:
    assert CATEGORY_KINDS[category] == kind
    spec = parse_spec({"category": category, "status": [{"code": "x", "dp_id": 1, "type": "Raw"}]})
    assert kind_of(spec) == kind


def test_one_socket_is_a_plug_two_are_a_strip() -> None:
    def socket(*codes: str) -> DeviceSpec:
        items = [{"code": c, "dp_id": n, "type": "Boolean"} for n, c in enumerate(codes, 1)]
        return parse_spec({"category": "cz", "functions": items})

    assert kind_of(socket("switch_1")) == "plug"
    assert kind_of(socket("switch_1", "switch_2")) == "strip"
    assert kind_of(socket("child_lock")) == "auto"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "a specification must be a JSON object, got a list"),
        ({"category": "kg", "status": []}, "the specification lists no DPs"),
        ({"status": {"code": "x"}}, "status must be a list, got a dict"),
        ({"status": [{"code": "switch", "dp_id": 0, "type": "Boolean"}]}, "DP id 0 is not"),
        ({"status": [{"dp_id": 1, "type": "Boolean"}]}, "status[0] (DP 1) has no code"),
        ({"status": [{"code": "x", "dp_id": 1, "type": "Float"}]}, "unknown type 'Float'"),
        (
            {"status": [{"code": "mode", "dp_id": 2, "type": "Enum", "values": "{}"}]},
            "status[0] (mode): an Enum needs a non-empty range",
        ),
        (
            {"status": [{"code": "t", "dp_id": 2, "type": "Integer", "values": "{min"}]},
            "status[0] (t): values are not JSON",
        ),
        (
            {
                "status": [
                    {"code": "t", "dp_id": 2, "type": "Integer", "values": {"min": 9, "max": 1}}
                ]
            },
            "min 9 is above max 1",
        ),
        (
            {
                "functions": [{"code": "a", "dp_id": 2, "type": "Boolean"}],
                "status": [{"code": "b", "dp_id": 2, "type": "Boolean"}],
            },
            "status[0]: DP 2 is both a and b",
        ),
        ({"model": "{not json"}, "model is not JSON text"),
        ({"model": {"services": [{}]}}, "services[0] has no list of properties"),
    ],
)
def test_a_malformed_specification_is_one_line_naming_the_fault(data: object, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
