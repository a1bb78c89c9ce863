"""Sub-devices and their gateways in the YAML: what loads, and one line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from setsmart.config import DeviceConfig, Secret, dump_config, summary, summary_fields

from .conftest import Load, Problems

HUB = """
devices:
  - id: bfhub000000000000001
    name: hub
    local_key: 0123456789abcdef
    host: 192.168.1.20
    version: "3.4"
"""


def test_children_name_their_gateway_and_node_id(load: Load) -> None:
    config = load(
        HUB
        + """
  - {id: bfzig000000000000001, name: back_door, type: sensor, gateway: hub,
     node_id: a4c1384bf1c2d3e4}
  - {id: bfzig000000000000002, name: porch_plug, type: plug, gateway: hub,
     node_id: a4c1380000000001, sleep: 3600}
"""
    )
    hub, door, plug = config.devices
    assert (hub.gateway, hub.node_id, hub.local_key) == (None, None, Secret("0123456789abcdef"))
    assert door == DeviceConfig(
        id="bfzig000000000000001",
        name="back_door",
        type="sensor",
        gateway="hub",
        node_id="a4c1384bf1c2d3e4",
    )
    assert (plug.gateway, plug.node_id, plug.sleep, plug.local_key, plug.host) == (
        "hub",
        "a4c1380000000001",
        3600.0,
        None,
        None,
    )


def test_a_dumped_child_loads_again_the_same(load: Load) -> None:
    config = load(
        HUB + "  - {id: bfzig1, name: door, type: sensor, gateway: hub, node_id: '0011'}\n"
    )
    text = dump_config(config)
    assert text.endswith("  name: door\n  type: sensor\n  gateway: hub\n  node_id: '0011'\n")
    assert load(text).devices == config.devices


ERRORS = [
    pytest.param(
        HUB + "  - {id: bfzig1, name: door, gateway: hubb, node_id: a4c1384bf1c2d3e4}\n",
        [
            "config.yaml:8: devices[1].gateway: no device named 'hubb' is configured "
            "(did you mean 'hub'?)"
        ],
        id="unknown-gateway-close",
    ),
    pytest.param(
        HUB + "  - {id: bfzig1, name: door, gateway: router, node_id: a4c1384bf1c2d3e4}\n",
        [
            "config.yaml:8: devices[1].gateway: no device named 'router' is configured "
            "(devices: door, hub)"
        ],
        id="unknown-gateway",
    ),
    pytest.param(
        """
        devices:
          - {id: bfhub1, name: hub}
          - {id: bfzig1, name: door, gateway: hub, node_id: a4c1384bf1c2d3e4}
        """,
        [
            "config.yaml:4: devices[1].gateway: 'hub' has no local_key (cloud only): a gateway "
            "must be a LAN device, its sub-devices are reached through its session"
        ],
        id="cloud-only-gateway",
    ),
    pytest.param(
        HUB
        + """
  - {id: bfzig1, name: repeater, gateway: hub, node_id: a4c1380000000001}
  - {id: bfzig2, name: door, gateway: repeater, node_id: a4c1384bf1c2d3e4}
""",
        [
            "config.yaml:10: devices[2].gateway: 'repeater' is itself a sub-device (behind "
            "'hub'): a gateway must be a LAN device"
        ],
        id="child-as-gateway",
    ),
    pytest.param(
        HUB + "  - {id: bfzig1, name: door, gateway: door, node_id: a4c1384bf1c2d3e4}\n",
        [
            "config.yaml:8: devices[1].gateway: names the device itself: a sub-device's "
            "gateway is another device"
        ],
        id="own-gateway",
    ),
    pytest.param(
        HUB
        + """
  - id: bfzig1
    name: door
    node_id: a4c1384bf1c2d3e4
  - id: bfzig2
    name: plug
    gateway: hub
""",
        [
            "config.yaml:11: devices[1].node_id: needs gateway: (the name of the gateway "
            "this sub-device is behind)",
            "config.yaml:14: devices[2].gateway: needs node_id: (the sub-device's cid on "
            "its gateway)",
        ],
        id="half-a-child",
    ),
    pytest.param(
        HUB
        + """
  - {id: bfzig1, name: door, gateway: hub, node_id: a4c1384bf1c2d3e4}
  - {id: bfzig2, name: window, gateway: hub, node_id: a4c1384bf1c2d3e4}
""",
        [
            "config.yaml:10: devices[2].node_id: 'a4c1384bf1c2d3e4' is already used behind "
            "gateway 'hub' by devices[1] (line 9)"
        ],
        id="node-id-twice",
    ),
    pytest.param(
        HUB
        + """
  - id: bfzig1
    name: door
    gateway: hub
    node_id: a4c1384bf1c2d3e4
    local_key: 0123456789abcdef
    host: 192.168.1.20
    port: 6668
    version: "3.4"
""",
        [
            f"config.yaml:{line}: devices[1].{key}: a sub-device has none of its own: it is "
            "reached through gateway 'hub' (local_key, host, port and version are the gateway's)"
            for line, key in ((13, "local_key"), (14, "host"), (15, "port"), (16, "version"))
        ],
        id="session-keys-on-a-child",
    ),
    pytest.param(
        HUB + "  - {id: bfzig1, name: door, gateway: 'my hub', node_id: a4c1384bf1c2d3e4}\n",
        ["config.yaml:8: devices[1].gateway: must be 1-64 of A-Z a-z 0-9 _ -, got 'my hub'"],
        id="bad-gateway-name-said-once",
    ),
]


@pytest.mark.parametrize(("text", "expected"), ERRORS)
def test_each_mistake_is_one_line(problems: Problems, text: str, expected: list[str]) -> None:
    assert problems(text) == expected


def test_a_node_id_may_repeat_behind_another_gateway(load: Load) -> None:
    config = load(
        HUB
        + """
  - {id: bfhub2, name: hub2, local_key: fedcba9876543210}
  - {id: bfzig1, name: door, gateway: hub, node_id: a4c1384bf1c2d3e4}
  - {id: bfzig2, name: window, gateway: hub2, node_id: a4c1384bf1c2d3e4}
"""
    )
    assert [d.gateway for d in config.devices] == [None, None, "hub", "hub2"]


def test_check_config_lists_children_under_their_gateway(load: Load) -> None:
    config = load(
        HUB
        + """
  - {id: bfplug1, name: kettle, type: plug, local_key: fedcba9876543210}
  - {id: bfzig1, name: back_door, type: sensor, gateway: hub, node_id: a4c1384bf1c2d3e4}
  - {id: bfzig2, name: porch_plug, type: plug, gateway: hub, node_id: a4c1380000000001}
  - {id: bfcloud, name: fan, type: fan}
"""
    )
    lines = summary(config).splitlines()
    assert lines[-4:] == [
        "devices: 5 (1 auto, 2 plug, 1 fan, 1 sensor); 1 without a local key (cloud only); "
        "2 behind 1 gateway",
        "gateway hub: 2 sub-devices",
        "  back_door: sensor, node_id a4c1384bf1c2d3e4",
        "  porch_plug: plug, node_id a4c1380000000001",
    ]
    assert summary_fields(config)["gateway hub"] == (
        "2 sub-devices: back_door (sensor, node_id a4c1384bf1c2d3e4), "
        "porch_plug (plug, node_id a4c1380000000001)"
    )


def test_the_readmes_gateway_example_loads(load: Load) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("### Configuring gateways", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = load(example)
    assert [(d.name, d.gateway, d.node_id) for d in config.devices] == [
        ("hub", None, None),
        ("back_door", "hub", "a4c1384bf1c2d3e4"),
        ("porch_plug", "hub", "a4c1380000000003"),
    ]
