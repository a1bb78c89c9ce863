"""Where a `type: auto` device's kind and layout come from: the specification, then the
product library (unless the device contradicts it), then recognition from the reported
DPs, with the YAML `dps:` over all; every status dump of real products replayed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from setsmart.devices import DpMapError, detect_type, profile_for
from setsmart.devices.library import find_product, load_library, parse_library
from setsmart.devices.recognise import THRESHOLD, recognise
from setsmart.devices.sources import LIBRARY, RECOGNITION, SPECIFICATION, resolve
from setsmart.devices.spec import parse_spec

from .recorded import RECORDED

HERE = Path(__file__).parent
REPORTED = {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(HERE.glob("reported/*.json"))}
SPECS = {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(HERE.glob("specs/*.json"))}
FIXTURES = HERE.parent / "fixtures" / "tinytuya"
#: Product ids the tinytuya fixtures made up for products their sources do not name.
MADE_UP = frozenset(
    {"ledcontroller001", "e14rgbcwbulb0001", "oldbulbproduct01", "oldplugproduct01"}
    | {"energeeksstrip01", "zigbeedoor000001"}
    # wizard_gateway.json's gateway, its children and the plug beside them
    | {"zigbeegateway001", "zigbeeth05z00001", "zigbeeplug000001", "wifiplug00000001"}
)


# -- the product library -----------------------------------------------------------------


def test_the_library_covers_every_kind_and_the_common_sensors() -> None:
    library = load_library()
    kinds = {product.type for product in library.values()}
    assert kinds >= {"plug", "strip", "switch", "dimmer", "bulb", "cover", "fan", "climate"}
    sensors = {
        role for product in library.values() if product.type == "sensor" for role in product.layouts
    }
    assert sensors >= {"va_temperature", "doorcontact_state", "pir", "watersensor_state"}
    assert all(product.source.strip() for product in library.values())


def test_the_library_has_every_real_product_of_the_fixtures() -> None:
    keys = {entry["product_key"] for entry in REPORTED.values() if "product_key" in entry}
    keys |= {entry["product_id"] for entry in SPECS.values() if "product_id" in entry}
    for path in FIXTURES.glob("*.json"):
        keys |= {d["product_id"] for d in json.loads(path.read_text("utf-8"))} - MADE_UP
    keys -= {"fcp4pmzxlnfjmibg"}  # the TIO thermostat: left to recognition, on purpose
    missing = sorted(key for key in keys if find_product(key) is None)
    assert missing == []


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"type": "auto", "source": "x"}, "type 'auto' is not a kind"),
        ({"type": "plug"}, "every entry names its public source"),
        ({"type": "sensor", "source": "x", "dps": {"temprature": 1}}, "unknown role"),
        ({"type": "plug", "source": "x", "colour": 1}, "unknown key 'colour'"),
    ],
)
def test_a_bad_library_entry_is_refused_naming_it(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(DpMapError) as caught:
        parse_library({"products": {"abcdefgh12345678": entry}})
    assert str(caught.value).startswith("product library: abcdefgh12345678: ")
    assert message in str(caught.value)


# -- recognition -------------------------------------------------------------------------


@pytest.mark.parametrize("rec", RECORDED, ids=[r.name for r in RECORDED])
def test_recognition_over_the_recorded_fixtures(rec: Any) -> None:
    assert detect_type(rec.dps) == rec.type


@pytest.mark.parametrize("name", REPORTED)
def test_recognition_from_what_real_products_report(name: str) -> None:
    entry = REPORTED[name]
    found = recognise(entry["dps"])
    assert found.type == entry["expected"]["recognised"]
    assert found.confidence >= THRESHOLD
    profile = profile_for(found.type, found.dps, entry["dps"])
    assert profile.type == found.type
    assert set(profile.roles.values()) <= set(entry["dps"])


@pytest.mark.parametrize("name", REPORTED)
def test_with_its_product_key_a_device_gets_the_library_kind(name: str) -> None:
    entry = REPORTED[name]
    found = resolve("auto", {}, entry["dps"], product_key=entry.get("product_key"))
    assert found.type == entry["expected"]["type"]
    in_library = find_product(entry.get("product_key")) is not None
    assert (found.origin, found.message) == ((LIBRARY if in_library else RECOGNITION), None)


def test_the_recognised_thermostat_reads_its_temperatures_in_tenths() -> None:
    dps = REPORTED["climate_tio_tuyalocal6239"]["dps"]
    found = recognise(dps)
    profile = profile_for(found.type, found.dps, dps)
    current, setpoint = profile.layout("temp_current"), profile.layout("temp_set")
    assert current is not None
    assert setpoint is not None
    assert (current.real(dps["24"]), setpoint.real(dps["16"])) == (24.0, 15.5)


@pytest.mark.parametrize(
    ("dps", "reason"),
    [
        ({"1": "alarm"}, "leak, smoke or gas alarm"),
        ({"101": "abc", "102": 7}, "its DPs fit no kind setsmart knows"),
        ({}, "its DPs fit no kind setsmart knows"),
    ],
)
def test_below_the_threshold_it_stays_raw_and_says_what_would_fix_it(
    dps: dict[str, object], reason: str
) -> None:
    found = resolve("auto", {}, dps, product_key="unknownproduct01")
    assert found.type == "raw"
    assert found.message is not None
    assert reason in found.message
    assert "it runs as raw. To fix it, give it type: " in found.message
    assert found.message.endswith("or add a product library entry for product key unknownproduct01")
    assert "\n" not in found.message


def test_a_guess_below_the_threshold_suggests_its_own_dps_block() -> None:
    found = resolve("auto", {}, {"1": "alarm"})
    assert found.message is not None
    assert "give it type: sensor and dps: {watersensor_state: 1} if that is right" in found.message


# -- the order ---------------------------------------------------------------------------


def test_a_library_entry_the_device_contradicts_is_refused_in_one_line() -> None:
    # A plug reporting under the product key of a PIR sensor (pir/none on DP 1).
    found = resolve("auto", {}, {"1": True, "9": 0}, product_key="7i8vqgkql9wjn9gj")
    assert (found.type, found.origin) == ("plug", RECOGNITION)
    assert found.message == (
        "the product library's entry for WiFi PIR Motion Sensor BS-DW002 (7i8vqgkql9wjn9gj) "
        "does not fit: DP 1 (pir) reports True, not one of pir, none; recognised as plug instead"
    )


def test_a_library_entry_with_other_values_or_dps_is_refused() -> None:
    dps = {"1": True, "2": False}  # a strip's report, under the thermostat's product key
    found = resolve("auto", {}, dps, product_key="v6k5nh9tnahpgo31")
    assert found.type == "strip"
    assert found.message == (
        "the product library's entry for essentials Wallthermostat (v6k5nh9tnahpgo31) does "
        "not fit: DP 2 (mode) reports False, not one of auto, manual; recognised as strip instead"
    )
    found = resolve("auto", {}, {"1": True}, product_key="v6k5nh9tnahpgo31")
    assert found.message is not None
    assert "does not fit: it names DP 2 (mode), which the device does not report" in found.message


def test_the_specification_comes_before_the_library_and_recognition() -> None:
    entry = SPECS["switch_somgoms_1gang_tuyalocal253"]
    spec = parse_spec(entry["spec"])
    dps = {"1": True, "7": 0, "14": "last", "16": False}
    found = resolve("auto", {}, dps, spec=spec, product_key="wrz6vzch8htux2zp")
    assert (found.type, found.origin, found.dps) == (
        "switch",
        SPECIFICATION,
        {"state_l1": 1, "countdown_l1": 7},
    )


def test_the_yaml_dps_overrides_every_source_whatever_name_it_uses() -> None:
    dps = REPORTED["climate_essentials_tuyalocal4199"]["dps"]
    override = {"current_heating_setpoint": {"id": 16, "scale": 0}}
    found = resolve("auto", override, dps, product_key="v6k5nh9tnahpgo31")
    assert found.origin == LIBRARY
    assert found.dps["current_heating_setpoint"] == {"id": 16, "scale": 0}
    assert "temp_set" not in found.dps
    layout = profile_for(found.type, found.dps, dps).layout("temp_set")
    assert layout is not None
    assert (layout.id, layout.scale) == ("16", 0)


def test_a_configured_kind_is_taken_as_it_is() -> None:
    found = resolve("cover", {"position": 9}, {"1": True}, product_key="wrz6vzch8htux2zp")
    assert (found.type, dict(found.dps), found.message) == ("cover", {"position": 9}, None)
