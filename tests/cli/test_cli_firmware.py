"""`setsmart firmware NAME [--upgrade]` against the local fake cloud."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.cli.helpers import run_cli, write_config
from tests.support.fake_cloud import FakeCloud, FakeDevice, FakeFirmware, Fault

pytestmark = pytest.mark.timeout(60)

PLUG = "bffwplug000000000001"
KEY = "plugkey_0123456!"


@pytest.fixture
async def cloud() -> AsyncIterator[FakeCloud]:
    async with FakeCloud() as fake:
        plug = fake.add_device(FakeDevice.plug(PLUG, KEY, name="Kitchen Plug"))
        plug.firmware = [
            FakeFirmware(0, "1.1.5", "1.2.0", upgrade_status=1),
            FakeFirmware(9, "1.0.0", module_desc="MCU"),
        ]
        yield fake


def config_for(tmp_path: Path, cloud: FakeCloud | None) -> Path:
    section = (
        ""
        if cloud is None
        else f"cloud:\n  region: eu\n  endpoint: {cloud.base_url}\n"
        f"  api_key: {cloud.client_id}\n  api_secret: {cloud.secret}\n"
    )
    return write_config(
        tmp_path / "config.yaml",
        section + f"devices:\n  - id: {PLUG}\n    name: kitchen\n    local_key: '{KEY}'\n",
    )


async def test_versions_of_each_module(tmp_path: Path, cloud: FakeCloud) -> None:
    done = await run_cli("firmware", "kitchen", "-c", str(config_for(tmp_path, cloud)))
    assert done.code == 0, done.err
    assert done.out.splitlines() == [
        f"kitchen ({PLUG}), firmware as the Tuya cloud knows it:",
        "  Wi-Fi module (0)  1.1.5       1.2.0 available",
        "  MCU (9)           1.0.0       up to date",
        "to upgrade: setsmart firmware kitchen --upgrade",
    ]
    assert cloud.count("/confirm-upgrade") == 0


async def test_json_by_device_id(tmp_path: Path, cloud: FakeCloud) -> None:
    done = await run_cli("firmware", PLUG, "--json", "-c", str(config_for(tmp_path, cloud)))
    assert done.code == 0, done.err
    assert json.loads(done.out) == {
        "name": "kitchen",
        "id": PLUG,
        "modules": [
            {
                "module": "wifi",
                "type": 0,
                "current": "1.1.5",
                "available": "1.2.0",
                "status": "available",
            },
            {"module": "mcu", "type": 9, "current": "1.0.0", "available": None, "status": "none"},
        ],
        "upgrade_started": [],
    }


async def test_upgrade_starts_the_modules_that_have_one(tmp_path: Path, cloud: FakeCloud) -> None:
    done = await run_cli("firmware", "kitchen", "--upgrade", "-c", str(config_for(tmp_path, cloud)))
    assert done.code == 0, done.err
    assert done.out.splitlines()[-1].startswith(
        "started the upgrade of kitchen: Wi-Fi module 1.1.5 -> 1.2.0."
    )
    assert [m.upgrade_status for m in cloud.device(PLUG).firmware] == [2, 0]
    assert cloud.count("/confirm-upgrade", method="POST") == 1

    again = await run_cli(
        "firmware", "kitchen", "--upgrade", "-c", str(config_for(tmp_path, cloud))
    )
    assert again.code == 0, again.err
    assert "upgrading to 1.2.0" in again.out
    assert again.out.splitlines()[-1] == "an upgrade is already running on kitchen"
    assert cloud.count("/confirm-upgrade", method="POST") == 1

    cloud.finish_upgrade(PLUG)
    done_now = await run_cli(
        "firmware", "kitchen", "--upgrade", "-c", str(config_for(tmp_path, cloud))
    )
    assert "  Wi-Fi module (0)  1.2.0       upgraded" in done_now.out
    assert (
        done_now.out.splitlines()[-1] == "nothing to upgrade on kitchen: its firmware is up to date"
    )
    assert cloud.count("/confirm-upgrade", method="POST") == 1


async def test_without_a_cloud_section(tmp_path: Path) -> None:
    config = config_for(tmp_path, None)
    done = await run_cli("firmware", "kitchen", "-c", str(config))
    assert done.code == 2
    assert done.err.startswith(
        f"setsmart: {config.absolute()}: cloud: missing: `setsmart firmware`"
    )


async def test_an_unknown_device(tmp_path: Path, cloud: FakeCloud) -> None:
    done = await run_cli("firmware", "garage", "-c", str(config_for(tmp_path, cloud)))
    assert done.code == 2
    assert "garage" in done.err
    assert "known: kitchen" in done.err
    assert cloud.calls == []


@pytest.mark.parametrize(
    ("fault", "code", "expected"),
    [
        (Fault.SIGN_INVALID, 2, "the API secret is wrong (sign invalid); check cloud.api_secret"),
        (Fault.PERMISSION_DENY, 2, "(permission deny) in region 'eu': check the data centre"),
        (Fault.PLAN_EXPIRED, 1, "the Tuya cloud plan has expired (code 28841002)"),
    ],
    ids=["1004", "1106", "28841002"],
)
async def test_cloud_refusals(
    tmp_path: Path, cloud: FakeCloud, fault: Fault, code: int, expected: str
) -> None:
    cloud.inject(fault, times=10)
    done = await run_cli("firmware", "kitchen", "--upgrade", "-c", str(config_for(tmp_path, cloud)))
    assert done.code == code
    assert done.out == ""
    assert expected in done.err
    assert len(done.err.splitlines()) == 1
    for secret in (cloud.secret, KEY, *cloud.issued_tokens):
        assert secret not in done.err
