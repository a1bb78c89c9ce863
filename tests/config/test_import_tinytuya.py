"""`tinytuya wizard`'s devices.json as setsmart configuration: real files, bad files, and
a round trip through the YAML loader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from setsmart.config import ConfigError, DeviceConfig, Secret, load_config
from setsmart.config.importers import (
    ImportResult,
    import_summary,
    load_tinytuya,
    parse_tinytuya,
    render_config,
)
from setsmart.devices.layout import DpLayout

FIXTURES = Path(__file__).parents[1] / "fixtures" / "tinytuya"
BULBS = FIXTURES / "wizard_bulbs.json"
MAPPINGS = FIXTURES / "wizard_mappings.json"


def by_name(result: ImportResult) -> dict[str, DeviceConfig]:
    return {device.name: device for device in result.devices}


def convert(entries: list[dict[str, Any]], file: str = "devices.json") -> ImportResult:
    return parse_tinytuya(json.dumps(entries), file=file)


def device_notes(result: ImportResult) -> list[str]:
    """The notes about single devices (not the count of devices without a DP mapping)."""
    return [note for note in result.notes if "without a DP mapping" not in note]


def round_trip(result: ImportResult, tmp_path: Path) -> tuple[DeviceConfig, ...]:
    path = tmp_path / "imported.yaml"
    path.write_text(render_config(result, header="imported"))
    return load_config(path, environ={}).devices


def test_wizard_without_mappings_keeps_ids_keys_hosts_and_versions(tmp_path: Path) -> None:
    result = load_tinytuya(BULBS)
    source = json.loads(BULBS.read_text())
    assert [d.id for d in result.devices] == [entry["id"] for entry in source]
    assert [d.name for d in result.devices] == [
        "test_bulb",
        "hall_bulb_3",
        "hall_bulb_1",
        "hall_bulb_2",
        "hall_bulb_4",
    ]
    for device, entry in zip(result.devices, source, strict=True):
        assert device.local_key == Secret(entry["key"])
        assert device.host == entry["ip"]
        assert device.version == "3.3"
        # dj without a mapping: v1 or v2 is not told, but the product library knows them
        assert device.type == "bulb"
        assert device.dps == {}
    assert result.skipped == ()
    assert any("from the product library" in note for note in result.notes)
    assert round_trip(result, tmp_path) == result.devices


EXPECTED = {
    # name: (id, type, dps, host, version, has key)
    "grote_vriezer": ("bf2815c3b03c2afccbfu7g", "plug", {}, "192.168.1.32", "3.3", False),
    # category dlq is no kind's, but the product library knows the product (a DIN rail
    # switch metering like a socket)
    "carril_din_1": ("bf7ed421221e9996b9l2ir", "plug", {}, None, None, True),
    "regleta_salon": ("bf0e5c7d9a1b2c3d4e5f6g", "strip", {}, "192.168.1.60", "3.4", True),
    "led_strip_kitchen": ("bf5d1c2b3a4958677f8e9d", "bulb", {}, "192.168.1.61", "3.5", True),
    "kuche_lampe": ("bf6a7b8c9d0e1f2a3b4c5d", "bulb", {}, "192.168.1.62", "3.3", True),
    "smart_bulb_v1": ("0123456789abcdef0123", "bulb_v1", {}, "192.168.1.63", "3.1", True),
    "old_plug": (
        "01234567890123456789",
        "plug",
        {"current": 4, "power": 5, "voltage": 6, "countdown": 2},
        "192.168.1.64",
        "3.1",
        True,
    ),
    # cur_power has scale 0 here (W, not tenths of W): written with its layout
    "wasmachine": (
        "bf70bcfbcbd7072000q5jn",
        "plug",
        {"power": DpLayout("19", scale=0, min=0, max=8000, unit="W")},
        None,
        None,
        True,
    ),
    # no mapping, but the product (wrz6vzch8htux2zp) is in the product library
    "bridge_2": ("bf00000000000000dup001", "plug", {}, None, "3.3", True),
    "bridge_3": ("bf00000000000000dup002", "plug", {}, None, "3.3", True),
}


def test_wizard_with_mappings_gives_types_overrides_and_safe_names(tmp_path: Path) -> None:
    result = load_tinytuya(MAPPINGS)
    got = {
        d.name: (d.id, d.type, dict(d.dps), d.host, d.version, d.local_key is not None)
        for d in result.devices
    }
    assert got == EXPECTED
    assert round_trip(result, tmp_path) == result.devices


def test_local_keys_with_yaml_punctuation_survive_the_round_trip(tmp_path: Path) -> None:
    result = load_tinytuya(MAPPINGS)
    strip = by_name(result)["regleta_salon"]
    assert strip.local_key == Secret("a'b\"c#d: e{f}[g]")
    loaded = {d.name: d for d in round_trip(result, tmp_path)}
    assert loaded["regleta_salon"].local_key == strip.local_key


def test_a_sub_device_whose_gateway_is_not_in_the_file_is_skipped_with_the_reason() -> None:
    result = load_tinytuya(MAPPINGS)
    assert [(s.name, s.id) for s in result.skipped] == [("Door sensor", "bf1234567890abcdefzig1")]
    assert result.skipped[0].reason == (
        "a Zigbee/Bluetooth sub-device: its gateway bfgateway0000000000001 is neither in "
        f"{MAPPINGS} nor configured"
    )
    assert "bf1234567890abcdefzig1" not in {d.id for d in result.devices}


@pytest.mark.parametrize(
    "marks",
    [{"sub": True}, {"node_id": "a4c1384bf1c2d3e4"}, {"parent": ""}],
    ids=["sub", "node_id", "parent"],
)
def test_any_sub_device_mark_skips_the_entry(marks: dict[str, object]) -> None:
    result = convert([{"id": "bfsub000000000000001", "name": "Sensor", "key": "", **marks}])
    assert result.devices == ()
    assert len(result.skipped) == 1


def test_public_addresses_are_explained_and_library_types_said() -> None:
    result = load_tinytuya(MAPPINGS)
    notes = "\n".join(result.notes)
    assert "carril_din_1: type and dps: from the product library" in notes
    assert "85.214.132.117" not in notes  # the note names the device, not the address
    assert any(n.startswith("wasmachine: the address") and "public" in n for n in result.notes)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3.3", "3.3"),
        (3.3, "3.3"),
        ("3.30", "3.3"),
        (3.4, "3.4"),
        ("3.5", "3.5"),
        (3.1, "3.1"),
        ("", None),
        (0.0, None),
        (0, None),
        (None, None),
    ],
)
def test_versions_as_tinytuya_writes_them(raw: object, expected: str | None) -> None:
    result = convert([{"id": "bfversion00000000001", "name": "plug", "version": raw}])
    assert result.devices[0].version == expected
    assert device_notes(result) == []


@pytest.mark.parametrize("raw", ["4.0", 2.9, "three", True])
def test_unknown_versions_are_left_out_with_a_note(raw: object) -> None:
    result = convert([{"id": "bfversion00000000001", "name": "plug", "version": raw}])
    assert result.devices[0].version is None
    assert device_notes(result) == [
        f"plug: protocol version {raw!r} is not one setsmart knows: left out (probed)",
    ]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Kitchen Plug"], ["kitchen_plug"]),
        (["Küche · Stehlampe (links)"], ["kuche_stehlampe_links"]),
        (["Straße", "Ærø Øl"], ["strasse", "aero_ol"]),
        (["lamp", "Lamp", "LAMP!"], ["lamp", "lamp_2", "lamp_3"]),
        (["bridge"], ["bridge_2"]),
        (["", "   "], ["wifi_plug", "wifi_plug_2"]),  # no name: the product's
        (["x" * 80, "x" * 80], ["x" * 64, "x" * 62 + "_2"]),
    ],
)
def test_names_are_topic_safe_and_unique(names: list[str], expected: list[str]) -> None:
    entries = [
        {"id": f"bfname00000000000{i:03d}", "name": name, "product_name": "WiFi Plug"}
        for i, name in enumerate(names)
    ]
    assert [d.name for d in convert(entries).devices] == expected


def test_names_without_a_latin_spelling_fall_back_to_the_product_then_the_id() -> None:
    result = convert(
        [
            {"id": "bfcyrillic0000000001", "name": "Гостиная лампа", "product_name": "Smart Bulb"},
            {"id": "bfchinese00000abc123", "name": "客厅灯", "product_name": "智能灯泡"},
        ]
    )
    assert [d.name for d in result.devices] == ["smart_bulb", "device_abc123"]


def test_bad_local_keys_are_left_out_without_showing_them() -> None:
    result = convert([{"id": "bfbadkey000000000001", "name": "plug", "key": "tooShort123"}])
    assert result.devices[0].local_key is None
    assert device_notes(result) == [
        "plug: the local key must be 16 characters, got 11: left out (cloud only until set)",
    ]
    assert "tooShort123" not in import_summary(result)


def test_devices_without_a_key_are_cloud_only_and_the_summary_says_so() -> None:
    result = load_tinytuya(MAPPINGS)
    assert by_name(result)["grote_vriezer"].local_key is None
    first = import_summary(result).splitlines()[0]
    assert first.startswith("10 devices: ")
    assert "6 plug, 1 strip, 2 bulb, 1 bulb_v1" in first
    assert first.endswith("1 without a local key (cloud only): grote_vriezer")


def test_a_duplicate_id_keeps_the_first_entry() -> None:
    result = convert(
        [
            {"id": "bfsame00000000000001", "name": "first"},
            {"id": "bfsame00000000000001", "name": "second"},
        ]
    )
    assert [d.name for d in result.devices] == ["first"]
    assert [s.name for s in result.skipped] == ["second"]
    assert "listed twice" in result.skipped[0].reason


def test_the_devices_wrapper_tinytuya_also_reads_is_accepted() -> None:
    text = json.dumps({"devices": [{"id": "bfwrapped00000000001", "name": "plug"}]})
    assert [d.id for d in parse_tinytuya(text, file="d.json").devices] == ["bfwrapped00000000001"]


def test_an_empty_list_imports_nothing() -> None:
    result = convert([])
    assert result.devices == ()
    assert import_summary(result) == "0 devices"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "{not json",
            "devices.json:1: not JSON (Expecting property name enclosed in double quotes)",
        ),
        ('{"id": "x"}', "devices.json: must be a JSON list of devices, got an object"),
        ('"hello"', "devices.json: must be a JSON list of devices, got a string"),
        ("[1]", "devices.json: [0]: must be an object with at least an id, got a int"),
        (
            '[{"id": "bfok0000000000000001"}, {"name": "Lamp", "key": "0123456789abcdef"}]',
            "devices.json: [1]: has no id (name 'Lamp'): every device needs its Tuya device id",
        ),
        ('[{"id": ""}]', "devices.json: [0]: has no id: every device needs its Tuya device id"),
        ('[{"id": 42}]', "devices.json: [0]: has no id: every device needs its Tuya device id"),
    ],
)
def test_bad_files_give_one_readable_error_naming_the_file(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_tinytuya(text, file="devices.json")
    assert str(caught.value).startswith(message)
    assert len(str(caught.value).splitlines()) == 1
    assert "0123456789abcdef" not in str(caught.value)


def test_every_entry_at_fault_is_listed() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_tinytuya('[{"name": "a"}, {"id": "bf1"}, "x"]', file="devices.json")
    assert [line.split(": ")[1] for line in str(caught.value).splitlines()] == ["[0]", "[2]"]


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_tinytuya(tmp_path / "missing.json")
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'[\n{"id": "bf1", "name": "K\xfcche"}]')
    with pytest.raises(ConfigError, match=r"latin.json:2: the file is not UTF-8 text"):
        load_tinytuya(latin)


def test_ids_that_cannot_be_topics_are_skipped() -> None:
    result = convert(
        [{"id": "bf 1/2", "name": "odd"}, {"id": "bfgood00000000000001", "name": "ok"}]
    )
    assert [d.name for d in result.devices] == ["ok"]
    assert (
        result.skipped[0].reason == "its id must not contain spaces, '/', '+' or '#', got 'bf 1/2'"
    )


@pytest.mark.parametrize(
    ("entry", "host"),
    [
        ({"ip": "192.168.1.5", "last_ip": "192.168.1.6"}, "192.168.1.5"),
        ({"ip": "", "last_ip": "192.168.1.6"}, "192.168.1.6"),
        ({"ip": "0.0.0.0", "last_ip": "10.0.0.7"}, "10.0.0.7"),
        ({"ip": "unknown", "last_ip": " 172.16.0.9 "}, "172.16.0.9"),
        ({"ip": "fe80::1"}, "fe80::1"),
        ({"ip": 1234}, None),
        ({}, None),
    ],
)
def test_the_first_usable_lan_address_is_the_host(
    entry: dict[str, object], host: str | None
) -> None:
    assert convert([{"id": "bfhost00000000000001", "name": "p", **entry}]).devices[0].host == host


def test_a_configured_device_without_a_key_gets_the_imported_one() -> None:
    existing = (DeviceConfig(id="bfkeyless0000000001", name="plug"),)
    text = json.dumps([{"id": "bfkeyless0000000001", "name": "Plug", "key": "0123456789abcdef"}])
    result = parse_tinytuya(text, file="devices.json", existing=existing)
    assert result.devices == (
        DeviceConfig(id="bfkeyless0000000001", name="plug", local_key=Secret("0123456789abcdef")),
    )
    assert result.notes == ("plug: local key added from devices.json",)
