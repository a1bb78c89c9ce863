"""`setsmart cloud import` against the local fake cloud (every request's signature checked):
a complete configuration out, the cloud section kept as written, readable refusals."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from setsmart.config import Secret, load_config
from tests.cli.helpers import run_cli, write_config
from tests.support.fake_cloud import FakeCloud, FakeDevice, Fault

pytestmark = pytest.mark.timeout(60)

PLUG, BULB = "bfcliplug00000000001", "bfclibulb00000000002"
KEYS = {PLUG: "plugkey_0123456!", BULB: "bulbkey_6543210?"}


@pytest.fixture
async def cloud() -> AsyncIterator[FakeCloud]:
    async with FakeCloud() as fake:
        fake.add_device(FakeDevice.plug(PLUG, KEYS[PLUG], name="Kitchen Plug"))
        fake.add_device(FakeDevice.bulb(BULB, KEYS[BULB], name="Desk Bulb", product_id="bulb0001"))
        yield fake


def config_for(tmp_path: Path, cloud: FakeCloud, devices: str = "devices: []\n") -> Path:
    (tmp_path / "tuya_secret").write_text(cloud.secret + "\n")
    return write_config(
        tmp_path / "config.yaml",
        "# home\nmqtt:\n  host: broker.lan\n"
        f"cloud:\n  region: eu\n  endpoint: {cloud.base_url}\n"
        f"  api_key: {cloud.client_id}\n  api_secret_file: tuya_secret\n" + devices,
    )


def secrets_of(cloud: FakeCloud) -> list[str]:
    return [cloud.secret, *KEYS.values(), *cloud.issued_tokens]


async def test_a_complete_configuration_from_one_configured_device(
    tmp_path: Path, cloud: FakeCloud
) -> None:
    config = config_for(tmp_path, cloud, f"devices:\n  - id: {BULB}\n    name: lamp\n")
    target = tmp_path / "complete.yaml"
    done = await run_cli("cloud", "import", "-c", str(config), "-o", str(target))
    assert done.code == 0, done.err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = target.read_text()
    assert "  api_secret_file: tuya_secret\n" in text  # kept as written: the secret stays out
    assert cloud.secret not in text
    loaded = load_config(target, environ={})
    assert loaded.mqtt.host == "broker.lan"
    assert loaded.cloud is not None
    assert loaded.cloud.api_secret == Secret(cloud.secret)
    assert [(d.id, d.name, d.type, d.local_key) for d in loaded.devices] == [
        (BULB, "lamp", "auto", Secret(KEYS[BULB])),  # configured: kept as the user wrote it
        (PLUG, "kitchen_plug", "plug", Secret(KEYS[PLUG])),
    ]
    assert done.err.splitlines()[0] == "2 devices: 1 auto, 1 plug"
    assert f"wrote {target}" in done.err
    for secret in secrets_of(cloud):
        assert secret not in done.err


async def test_from_a_device_id_to_stdout(tmp_path: Path, cloud: FakeCloud) -> None:
    config = config_for(tmp_path, cloud)
    done = await run_cli("cloud", "import", "-c", str(config), "--device", PLUG)
    assert done.code == 0, done.err
    out = write_config(tmp_path / "out.yaml", done.out)
    names = {d.name: d.type for d in load_config(out, environ={}).devices}
    assert names == {"kitchen_plug": "plug", "desk_bulb": "bulb"}


async def test_without_a_device_to_start_from_it_says_what_to_give(
    tmp_path: Path, cloud: FakeCloud
) -> None:
    done = await run_cli("cloud", "import", "-c", str(config_for(tmp_path, cloud)))
    assert done.code == 2
    assert done.err.startswith("setsmart: which app account? give --device ID")
    assert cloud.count("/users/") == 0


async def test_no_cloud_section_is_a_configuration_error(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.yaml", "devices: []\n")
    done = await run_cli("cloud", "import", "-c", str(config), "--device", PLUG)
    assert done.code == 2
    assert done.err == (
        f"setsmart: {config.absolute()}: cloud: missing: `setsmart cloud import` asks the "
        "Tuya cloud project (add cloud: with region, api_key and api_secret)\n"
    )


@pytest.mark.parametrize(
    ("fault", "path", "expected"),
    [
        (
            Fault.SIGN_INVALID,
            None,
            "setsmart: the Tuya cloud refused the request signature: the API secret is wrong",
        ),
        (
            Fault.PERMISSION_DENY,
            "/users/",
            "setsmart: the Tuya cloud denied GET /v1.0/users/",
        ),
    ],
    ids=["1004", "1106"],
)
async def test_cloud_refusals_are_one_readable_line_without_secrets(
    tmp_path: Path, cloud: FakeCloud, fault: Fault, path: str | None, expected: str
) -> None:
    cloud.inject(fault, path=path, times=10)
    target = tmp_path / "never.yaml"
    done = await run_cli(
        "cloud",
        "import",
        "-c",
        str(config_for(tmp_path, cloud)),
        "--device",
        PLUG,
        "-o",
        str(target),
    )
    assert done.code == 2
    assert done.err.startswith(expected)
    assert len(done.err.splitlines()) == 1
    assert not target.exists()
    for secret in secrets_of(cloud):
        assert secret not in done.err
        assert secret not in done.out
    if fault is Fault.PERMISSION_DENY:
        assert "region 'eu'" in done.err
        assert "data centre" in done.err


async def test_a_used_up_quota_is_a_runtime_failure(tmp_path: Path, cloud: FakeCloud) -> None:
    cloud.inject(Fault.QUOTA_USED_UP, times=10)
    done = await run_cli(
        "cloud", "import", "-c", str(config_for(tmp_path, cloud)), "--device", PLUG
    )
    assert done.code == 1
    assert done.err.startswith("setsmart: the Tuya cloud trial quota is used up (code 28841004)")
