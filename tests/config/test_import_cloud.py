"""The cloud import: the conversion of what the OpenAPI answers (pure), and the fetch
through a real client against the local fake cloud (signatures checked)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from setsmart.cloud import CloudAuthError, CloudClient, CloudPermissionError
from setsmart.cloud.models import parse_device, parse_specification
from setsmart.config import DeviceConfig, Secret, load_config
from setsmart.config.importers import ImportSourceError, render_config
from setsmart.config.importers.cloud import CloudInventory, import_cloud
from setsmart.daemon.cloud_commands import fetch_cloud_devices, find_uid, import_from_cloud
from tests.support.fake_cloud import DEFAULT_USER_UID, FakeCloud, FakeDevice, Fault

pytestmark = pytest.mark.timeout(20)

PLUG_A, PLUG_B, BULB = "bfplugaaaaaaaaaaaaa1", "bfplugbbbbbbbbbbbbb2", "bfbulbcccccccccccccc3"
KEYS = {PLUG_A: "plugAkey01234567", PLUG_B: "plugBkey01234567", BULB: "bulbCkey01234567"}


def spec(category: str, *dps: tuple[str, int, str, dict[str, object]]) -> object:
    return {
        "category": category,
        "functions": [],
        "status": [
            {"code": code, "dp_id": dp, "type": kind, "values": json.dumps(values)}
            for code, dp, kind, values in dps
        ],
    }


# make-all/tuya-local#669 (energeeks strip, pc) and #453 (E14 bulb, dj), as the
# specifications endpoint answers; the device records as GET /v1.0/users/{uid}/devices
# lists them (make-all/tuya-local#1958 for the keyless one; ip is the public address).
STRIP_SPEC = spec(
    "pc",
    *(("switch_" + str(n), n, "Boolean", {}) for n in (1, 2, 3, 4)),
    ("switch_usb1", 7, "Boolean", {}),
    *(
        ("countdown_" + str(n), n + 8, "Integer", {"unit": "s", "min": 0, "max": 86400})
        for n in (1, 2, 3, 4)
    ),
)
BULB_SPEC = spec(
    "dj",
    ("switch_led", 20, "Boolean", {}),
    ("work_mode", 21, "Enum", {"range": ["white", "colour", "scene", "music"]}),
    ("bright_value_v2", 22, "Integer", {"min": 10, "max": 1000, "scale": 0, "step": 1}),
    ("temp_value_v2", 23, "Integer", {"min": 0, "max": 1000, "scale": 0, "step": 1}),
)


def record(device_id: str, name: str, category: str, key: str, **extra: object) -> object:
    return {
        "id": device_id,
        "name": name,
        "local_key": key,
        "uid": DEFAULT_USER_UID,
        "ip": "85.214.132.117",
        "category": category,
        "product_id": f"product_{category}",
        "product_name": extra.pop("product_name", "Smart device"),
        "online": True,
        "sub": False,
        **extra,
    }


def test_cloud_records_become_typed_devices(tmp_path: Path) -> None:
    devices = (
        parse_device(record("bfstrip0000000000001", "Regleta Salón", "pc", "a'b\"c#d: e{f}[g]")),
        parse_device(record("bfbulb00000000000001", "E14 Bulb", "dj", "bulbkey012345678")),
        parse_device(record("bfad3c3e69b23ff09bj0m5", "PC", "cz", "", product_name="电脑")),
    )
    inventory = CloudInventory(
        devices,
        {
            "bfstrip0000000000001": parse_specification(STRIP_SPEC),
            "bfbulb00000000000001": parse_specification(BULB_SPEC),
            "bfad3c3e69b23ff09bj0m5": None,
        },
    )
    result = import_cloud(inventory)
    assert [(d.name, d.type, d.host, d.local_key is None) for d in result.devices] == [
        ("regleta_salon", "strip", None, False),
        ("e14_bulb", "bulb", None, False),
        ("pc", "auto", None, True),  # no key: cloud only
    ]
    assert any("public" in note for note in result.notes)
    out = tmp_path / "cloud.yaml"
    out.write_text(render_config(result))
    assert load_config(out, environ={}).devices == result.devices


@dataclass(frozen=True)
class SubDeviceRecord:
    """A device record with the fields the cloud sends for sub-devices."""

    id: str
    name: str
    local_key: str
    uid: str
    ip: str
    category: str
    product_id: str
    product_name: str
    sub: bool
    node_id: str
    gateway_id: str


def test_a_sub_device_whose_gateway_is_not_listed_is_skipped() -> None:
    sensor = SubDeviceRecord(
        "bfzig000000000000001",
        "Door",
        "gwkey01234567890",
        "u",
        "",
        "mcs",
        "p",
        "",
        True,
        "a4c1384bf1c2d3e4",
        "bfgateway00000000001",
    )
    result = import_cloud(CloudInventory((sensor,), {}))
    assert result.devices == ()
    assert result.skipped[0].reason == (
        "a Zigbee/Bluetooth sub-device: its gateway bfgateway00000000001 is neither in the "
        "Tuya cloud nor configured"
    )


@pytest.fixture
async def cloud() -> AsyncIterator[FakeCloud]:
    async with FakeCloud() as fake:
        fake.add_device(FakeDevice.plug(PLUG_A, KEYS[PLUG_A], name="Kitchen Plug"))
        fake.add_device(FakeDevice.plug(PLUG_B, KEYS[PLUG_B], name="Kitchen plug"))
        fake.add_device(
            FakeDevice.bulb(BULB, KEYS[BULB], name="Desk Bulb", product_id="bulbproduct00001")
        )
        yield fake


@pytest.fixture
async def client(cloud: FakeCloud) -> AsyncIterator[CloudClient]:
    async with CloudClient(
        cloud.client_id, cloud.secret, "eu", endpoint=cloud.base_url, max_attempts=1
    ) as c:
        yield c


async def test_the_account_is_found_from_any_of_its_devices(
    cloud: FakeCloud, client: CloudClient
) -> None:
    assert await find_uid(client, [BULB]) == DEFAULT_USER_UID
    assert await find_uid(client, ["bfnotinproject000001", PLUG_A]) == DEFAULT_USER_UID


async def test_no_device_to_start_from_is_a_usage_error(client: CloudClient) -> None:
    with pytest.raises(ImportSourceError, match="give --device ID"):
        await find_uid(client, [])
    with pytest.raises(
        ImportSourceError, match="gave no app account for device bfnotinproject000001"
    ):
        await find_uid(client, ["bfnotinproject000001"])


async def test_one_specification_call_per_product(cloud: FakeCloud, client: CloudClient) -> None:
    inventory = await fetch_cloud_devices(client, [DEFAULT_USER_UID])
    assert {d.id for d in inventory.devices} == {PLUG_A, PLUG_B, BULB}
    assert cloud.count("/specifications") == 2  # the two plugs share a product
    result = import_cloud(inventory)
    got = {d.id: (d.name, d.type, d.local_key) for d in result.devices}
    assert got == {
        PLUG_A: ("kitchen_plug", "plug", Secret(KEYS[PLUG_A])),
        PLUG_B: ("kitchen_plug_2", "plug", Secret(KEYS[PLUG_B])),
        BULB: ("desk_bulb", "bulb", Secret(KEYS[BULB])),
    }
    assert all(d.host == "127.0.0.1" for d in result.devices)  # the fake's devices are local


async def test_a_product_without_specification_is_imported_as_auto(
    cloud: FakeCloud, client: CloudClient
) -> None:
    cloud.inject(2009, path=f"/v1.1/devices/{BULB}/specifications", msg="not support this device")
    inventory = await fetch_cloud_devices(client, [DEFAULT_USER_UID])
    result = import_cloud(inventory)
    assert {d.id: d.type for d in result.devices}[BULB] == "auto"
    assert any(note.startswith("Desk Bulb: no DP specification") for note in result.notes)


@pytest.mark.parametrize(
    ("fault", "error"),
    [(Fault.PERMISSION_DENY, CloudPermissionError), (Fault.SIGN_INVALID, CloudAuthError)],
)
async def test_account_wide_refusals_end_the_import(
    cloud: FakeCloud, client: CloudClient, fault: Fault, error: type[Exception]
) -> None:
    cloud.inject(fault, path="/specifications")
    with pytest.raises(error):
        await fetch_cloud_devices(client, [DEFAULT_USER_UID])


async def test_the_whole_import_merges_with_the_configured_devices(
    cloud: FakeCloud, client: CloudClient
) -> None:
    existing = (
        DeviceConfig(id=BULB, name="lamp", type="bulb", local_key=Secret("oldkey0123456789")),
    )
    result = await import_from_cloud(client, existing=existing)
    assert [(d.name, d.local_key) for d in result.devices] == [
        ("lamp", Secret(KEYS[BULB])),
        ("kitchen_plug", Secret(KEYS[PLUG_A])),
        ("kitchen_plug_2", Secret(KEYS[PLUG_B])),
    ]
    assert result.imported == 3
    assert cloud.count(f"/v1.0/devices/{BULB}") == 1  # the uid came from the configured device


async def test_an_explicit_uid_needs_no_device_lookup(
    cloud: FakeCloud, client: CloudClient
) -> None:
    result = await import_from_cloud(client, uid=DEFAULT_USER_UID)
    assert len(result.devices) == 3
    assert cloud.count("/v1.0/devices/") == 0
