"""A gateway and its Zigbee sub-devices from tinytuya's devices.json: each child written
behind its gateway (``gateway:``, ``node_id:``), or left out with one line saying why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from setsmart.config import DeviceConfig, Secret, load_config, summary
from setsmart.config.importers import (
    ImportResult,
    import_summary,
    load_tinytuya,
    parse_tinytuya,
    render_config,
)

GATEWAY = Path(__file__).parents[1] / "fixtures" / "tinytuya" / "wizard_gateway.json"
GW_ID = "bfa1b2c3d4e5f6gw0001zz"
GW_KEY = "gwSharedKey_0001"


def entries() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(GATEWAY.read_text())
    return loaded


def convert(items: list[dict[str, Any]], existing: tuple[DeviceConfig, ...] = ()) -> ImportResult:
    return parse_tinytuya(json.dumps(items), file="devices.json", existing=existing)


def child(number: int, **extra: object) -> dict[str, Any]:
    """A sub-device entry as the wizard writes one (key: the gateway's)."""
    return {
        "name": f"Sensor {number}",
        "id": f"bfzigbee00000000000{number:03d}",
        "key": GW_KEY,
        "category": "mcs",
        "sub": True,
        "node_id": f"a4c13800000000{number:02d}",
        **extra,
    }


def test_the_wizards_gateway_and_children_load_and_check(tmp_path: Path) -> None:
    result = load_tinytuya(GATEWAY)
    got = [
        (d.name, d.type, d.gateway, d.node_id, d.local_key, d.host, d.version)
        for d in result.devices
    ]
    assert got == [
        ("zigbee_gateway", "auto", None, None, Secret(GW_KEY), "192.168.1.20", "3.3"),
        ("back_door", "sensor", "zigbee_gateway", "a4c1384bf1c2d3e4", None, None, None),
        ("hall_climate", "sensor", "zigbee_gateway", "a4c1380000000002", None, None, None),
        ("porch_plug", "plug", "zigbee_gateway", "a4c1380000000003", None, None, None),
        ("kettle", "plug", None, None, Secret("kettleKey_000001"), "192.168.1.21", "3.4"),
    ]
    assert result.skipped == ()
    assert result.imported == 5
    assert import_summary(result).splitlines()[0] == (
        "5 devices: 1 auto, 2 plug, 2 sensor; 3 behind gateway zigbee_gateway"
    )
    path = tmp_path / "imported.yaml"
    text = render_config(result)
    assert GW_KEY not in text.split("name: back_door", 1)[1].split("name: kettle")[0]
    path.write_text(text)
    loaded = load_config(path, environ={})
    assert loaded.devices == result.devices
    assert "gateway zigbee_gateway: 3 sub-devices\n  back_door: sensor," in summary(loaded)


@pytest.mark.parametrize("parent", [{"parent": ""}, {}], ids=["parent-empty", "no-parent"])
def test_a_child_without_parent_is_matched_by_the_one_device_with_its_key(
    parent: dict[str, str],
) -> None:
    gateway, *_ = entries()
    result = convert([child(1, **parent), gateway])
    assert [(d.name, d.gateway) for d in result.devices] == [
        ("zigbee_gateway", None),
        ("sensor_1", "zigbee_gateway"),
    ]


def test_a_gateway_id_left_by_cloud_getdevices_is_read_like_parent() -> None:
    gateway, *_ = entries()
    other = {**gateway, "id": "bfothergateway0000001", "name": "Other"}  # same key
    result = convert([gateway, other, child(1, gateway_id="bfothergateway0000001")])
    assert {d.name: d.gateway for d in result.devices}["sensor_1"] == "other"


def test_two_devices_with_the_childs_key_leave_it_out_with_one_line() -> None:
    gateway, *_ = entries()
    twin = {**gateway, "id": "bfsecondgateway000001", "name": "Attic gateway"}
    result = convert([gateway, twin, child(1, parent="")])
    assert [d.name for d in result.devices] == ["zigbee_gateway", "attic_gateway"]
    lines = import_summary(result).splitlines()
    assert lines[1:] == [
        "skipped 1:",
        "  Sensor 1 (bfzigbee00000000000001): a Zigbee/Bluetooth sub-device: its gateway is "
        "not named and 2 devices share its local key (zigbee_gateway, attic_gateway): add it "
        "by hand with gateway: and node_id:",
        "note: 2 device(s) came without a DP mapping: type auto (detected from the DPs they "
        "report)",
    ]
    assert GW_KEY not in import_summary(result)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (
            child(1, parent="bfnotinthefile0000001"),
            "its gateway bfnotinthefile0000001 is neither in devices.json nor configured",
        ),
        (
            child(1, key="someOtherKey0001"),
            "its gateway is not named and no device in devices.json or configured shares its "
            "local key",
        ),
        (
            child(1, key=""),
            "its gateway is not named and it has no local key to find it by",
        ),
        (
            {**child(1, parent=GW_ID), "node_id": ""},
            "a sub-device of zigbee_gateway without a node_id (its address on the gateway)",
        ),
        (
            child(1, parent=GW_ID, node_id="a4c1 3800"),
            "its node_id must not contain spaces, quotes or backslashes, got 'a4c1 3800'",
        ),
        (
            child(1, parent="bfzigbee00000000000002"),
            "its gateway bfzigbee00000000000002 (sensor_2) is itself a sub-device",
        ),
    ],
    ids=["parent-absent", "no-key-match", "no-key", "no-node-id", "bad-node-id", "child-parent"],
)
def test_a_child_whose_gateway_or_address_cannot_be_told_is_skipped(
    entry: dict[str, Any], reason: str
) -> None:
    gateway, *_ = entries()
    result = convert([gateway, child(2, parent=GW_ID), entry])
    assert [d.name for d in result.devices] == ["zigbee_gateway", "sensor_2"]
    assert [(s.id, s.reason) for s in result.skipped] == [
        ("bfzigbee00000000000001", f"a Zigbee/Bluetooth sub-device: {reason}")
    ]


def test_a_cloud_only_gateway_leaves_its_children_out() -> None:
    gateway, *_ = entries()
    result = convert([{**gateway, "key": ""}, child(1, parent=GW_ID, key="")])
    assert [s.reason for s in result.skipped] == [
        "a Zigbee/Bluetooth sub-device: its gateway zigbee_gateway has no local key (cloud "
        "only): give the gateway its local_key, then import again"
    ]


def test_a_node_id_twice_behind_one_gateway_keeps_the_first() -> None:
    gateway, *_ = entries()
    result = convert(
        [gateway, child(1, parent=GW_ID), child(2, parent=GW_ID, node_id="a4c1380000000001")]
    )
    assert [d.name for d in result.devices] == ["zigbee_gateway", "sensor_1"]
    assert result.skipped[0].reason == (
        "a Zigbee/Bluetooth sub-device: node_id a4c1380000000001 is already sensor_1's behind "
        "zigbee_gateway"
    )


def test_children_go_behind_a_configured_gateway_under_its_configured_name() -> None:
    existing = (
        DeviceConfig(id="bfkept00000000000001", name="desk", local_key=Secret("deskKey_00000001")),
        DeviceConfig(id=GW_ID, name="hub", local_key=Secret(GW_KEY)),
        DeviceConfig(id="bfkept00000000000002", name="lamp", type="bulb"),
    )
    result = convert([child(1), child(2, parent=GW_ID)], existing=existing)
    assert [(d.name, d.gateway) for d in result.devices] == [
        ("desk", None),
        ("hub", None),
        ("sensor_1", "hub"),
        ("sensor_2", "hub"),
        ("lamp", None),
    ]
    assert result.imported == 2


def test_a_configured_child_is_kept_as_written_and_gets_no_key() -> None:
    gateway, *_ = entries()
    configured = (
        DeviceConfig(id=GW_ID, name="hub", local_key=Secret(GW_KEY)),
        DeviceConfig(
            id="bfzigbee00000000000001", name="front", type="sensor", gateway="hub", node_id="01"
        ),
    )
    result = convert([gateway, child(1, parent=GW_ID)], existing=configured)
    assert result.devices == configured
    assert result.notes == ()
    assert result.imported == 2
