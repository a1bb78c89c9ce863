"""A gateway with three Zigbee children imported as a user does it, from tinytuya's
devices.json and from the cloud; `setsmart check-config` then accepts the file and lists
the children under their gateway."""

from __future__ import annotations

from pathlib import Path

import pytest

from setsmart.config import load_config
from tests.cli.helpers import run_cli, write_config
from tests.config.test_import_cloud_gateways import HUB_KEY, PLUG, PLUG_KEY, children, hub
from tests.support.fake_cloud import FakeCloud, FakeDevice

pytestmark = pytest.mark.timeout(60)

GATEWAY = Path(__file__).parents[1] / "fixtures" / "tinytuya" / "wizard_gateway.json"
FAMILY = [
    "gateway zigbee_gateway: 3 sub-devices",
    "  back_door: sensor, node_id a4c1384bf1c2d3e4",
    "  hall_climate: sensor, node_id a4c1380000000002",
    "  porch_plug: plug, node_id a4c1380000000003",
]


async def checked(path: Path) -> list[str]:
    """The lines `setsmart check-config` prints for ``path`` (which it must accept)."""
    check = await run_cli("check-config", "-c", str(path))
    assert check.code == 0, check.err
    return check.out.splitlines()


async def test_from_devices_json(tmp_path: Path) -> None:
    target = tmp_path / "devices.yaml"
    done = await run_cli("import", "tinytuya", str(GATEWAY), "-o", str(target))
    assert done.code == 0, done.err
    assert done.err.splitlines()[0] == (
        "5 devices: 1 auto, 2 plug, 2 sensor; 3 behind gateway zigbee_gateway"
    )
    text = target.read_text()
    assert text.count("gwSharedKey_0001") == 1  # the gateway's key, never a child's
    assert "  gateway: zigbee_gateway\n  node_id: a4c1384bf1c2d3e4\n" in text
    lines = await checked(target)
    assert "devices: 5 (1 auto, 2 plug, 2 sensor); 3 behind 1 gateway" in lines
    start = lines.index(FAMILY[0])
    assert lines[start : start + 4] == FAMILY


async def test_from_the_cloud(tmp_path: Path) -> None:
    async with FakeCloud() as cloud:
        cloud.add_device(hub())
        for device in children():
            cloud.add_device(device)
        cloud.add_device(FakeDevice.plug(PLUG, PLUG_KEY, "Kettle", product_id="wifiplug000001"))
        (tmp_path / "tuya_secret").write_text(cloud.secret + "\n")
        config = write_config(
            tmp_path / "config.yaml",
            f"cloud:\n  region: eu\n  endpoint: {cloud.base_url}\n"
            f"  api_key: {cloud.client_id}\n  api_secret_file: tuya_secret\n"
            f"devices:\n  - id: {PLUG}\n    name: kettle\n",
        )
        target = tmp_path / "complete.yaml"
        done = await run_cli("cloud", "import", "-c", str(config), "-o", str(target))
    assert done.code == 0, done.err
    assert target.read_text().count(HUB_KEY) == 1
    assert [d.name for d in load_config(target, environ={}).devices] == [
        "kettle",
        "zigbee_gateway",
        "back_door",
        "hall_climate",
        "porch_plug",
    ]
    lines = await checked(target)
    start = lines.index(FAMILY[0])
    assert lines[start : start + 4] == FAMILY
