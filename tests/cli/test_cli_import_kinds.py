"""`setsmart cloud import` and `setsmart import tinytuya` for a device of every kind: the
specifications of real products (tests/devices/specs/) served by the fake cloud, or
written as tinytuya's `mapping`; the YAML written names the kind and its `dps:` layout,
and loads back into the same profile."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from setsmart.config import load_config
from setsmart.devices import profile_for
from setsmart.devices.layout import DpLayout
from setsmart.devices.spec import parse_spec
from tests.cli.helpers import run_cli, write_config
from tests.support.fake_cloud import FakeCloud, FakeDevice, FakeDp

pytestmark = pytest.mark.timeout(60)

SPEC_DIR = Path(__file__).parent.parent / "devices" / "specs"
SPECS = {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(SPEC_DIR.glob("*.json"))}


def device_id(number: int) -> str:
    return f"bfkinds{number:013d}"


def local_key(number: int) -> str:
    return f"kindskey{number:08d}"


def yaml_dps(dps: object) -> dict[str, object]:
    assert isinstance(dps, dict)
    return {k: v.as_yaml() if isinstance(v, DpLayout) else v for k, v in dps.items()}


def fake_device(number: int, name: str, entry: dict[str, Any]) -> FakeDevice:
    spec = parse_spec(entry["spec"], category=entry.get("category", ""))
    dps = [FakeDp(dp.code, dp.id, dp.type, dict(dp.values), dp.writable) for dp in spec.dps]
    return FakeDevice(
        device_id(number),
        local_key(number),
        name,
        category=spec.category,
        product_id=f"kindsproduct{number:04d}",  # no library entry: the spec decides
        dps=dps,
    )


@pytest.fixture
async def cloud() -> AsyncIterator[FakeCloud]:
    async with FakeCloud() as fake:
        for number, (name, entry) in enumerate(SPECS.items()):
            fake.add_device(fake_device(number, name, entry))
        yield fake


async def test_cloud_import_writes_the_kind_and_layout_of_every_kind(
    tmp_path: Path, cloud: FakeCloud
) -> None:
    (tmp_path / "tuya_secret").write_text(cloud.secret + "\n")
    config = write_config(
        tmp_path / "config.yaml",
        f"cloud:\n  region: eu\n  endpoint: {cloud.base_url}\n"
        f"  api_key: {cloud.client_id}\n  api_secret_file: tuya_secret\ndevices: []\n",
    )
    target = tmp_path / "home.yaml"
    done = await run_cli(
        "cloud", "import", "-c", str(config), "-o", str(target), "--device", device_id(0)
    )
    assert done.code == 0, done.err
    loaded = {d.name: d for d in load_config(target, environ={}).devices}
    assert len(loaded) == len(SPECS)
    assert "auto" not in {device.type for device in loaded.values()}
    for number, (name, entry) in enumerate(SPECS.items()):
        device = loaded[name]
        assert device.id == device_id(number)
        assert (device.type, yaml_dps(device.dps)) == (
            entry["expected"]["type"],
            entry["expected"]["dps"],
        ), name
        if "status" in entry:  # the YAML alone gives the profile the specification gives
            from_yaml = profile_for(device.type, device.dps, entry["status"])
            expected = entry["expected"]
            from_spec = profile_for(expected["type"], expected["dps"], entry["status"])
            assert from_yaml == from_spec


async def test_tinytuya_import_writes_the_same_from_the_mapping(tmp_path: Path) -> None:
    devices = []
    for number, (name, entry) in enumerate(SPECS.items()):
        spec = parse_spec(entry["spec"], category=entry.get("category", ""))
        devices.append(
            {
                "name": name,
                "id": device_id(number),
                "key": local_key(number),
                "category": spec.category,
                "product_id": f"kindsproduct{number:04d}",
                "mapping": {
                    str(dp.id): {"code": dp.code, "type": dp.type, "values": dict(dp.values)}
                    for dp in spec.dps
                },
            }
        )
    source = tmp_path / "devices.json"
    source.write_text(json.dumps(devices, ensure_ascii=False), encoding="utf-8")
    target = tmp_path / "home.yaml"
    done = await run_cli("import", "tinytuya", str(source), "-o", str(target))
    assert done.code == 0, done.err
    loaded = {d.name: d for d in load_config(target, environ={}).devices}
    for name, entry in SPECS.items():
        assert (loaded[name].type, yaml_dps(loaded[name].dps)) == (
            entry["expected"]["type"],
            entry["expected"]["dps"],
        ), name


async def test_a_product_the_cloud_has_no_specification_for_comes_from_the_library(
    tmp_path: Path,
) -> None:
    # The essentials thermostat's product id, without a DP list: the library names its layout.
    devices = [{"name": "hall", "id": device_id(1), "key": local_key(1), "category": "wk"}]
    devices[0]["product_id"] = "v6k5nh9tnahpgo31"
    source = tmp_path / "devices.json"
    source.write_text(json.dumps(devices))
    done = await run_cli("import", "tinytuya", str(source))
    assert done.code == 0, done.err
    (tmp_path / "out.yaml").write_text(done.out)
    (device,) = load_config(tmp_path / "out.yaml", environ={}).devices
    assert device.type == "climate"
    assert yaml_dps(device.dps)["temp_set"] == {
        "id": 16,
        "scale": 1,
        "min": 50,
        "max": 350,
        "step": 5,
        "unit": "℃",
    }
    assert "hall: type and dps: from the product library (essentials Wallthermostat)" in done.err
