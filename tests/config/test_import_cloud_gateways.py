"""`setsmart cloud import` with a gateway and its sub-devices, through a real client
against the local fake cloud: the account's list marks children with ``sub``, ``node_id``
and, not always, ``gateway_id`` (PROTOCOL.md, "Gateways and sub-devices"); each child
carries its gateway's local key."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from setsmart.cloud import CloudClient
from setsmart.cloud.models import parse_device
from setsmart.config import Secret
from setsmart.config.importers import import_summary
from setsmart.config.importers.cloud import CloudInventory, import_cloud
from setsmart.daemon.cloud_commands import fetch_cloud_devices, import_from_cloud
from setsmart.devices.layout import DpLayout
from tests.support.fake_cloud import DEFAULT_USER_UID, FakeCloud, FakeDevice, FakeDp

pytestmark = pytest.mark.timeout(20)

HUB, PLUG = "bfcloudhub0000000001", "bfcloudplug000000001"
DOOR, CLIMATE, ZPLUG = "bfclouddoor000000001", "bfcloudclimate000001", "bfcloudzplug00000001"
HUB_KEY, PLUG_KEY = "hubKey_012345678", "plugKey_01234567"
PERCENT = {"unit": "%", "min": 0, "max": 100, "scale": 0, "step": 1}


def hub() -> FakeDevice:
    """A Zigbee gateway (category wg2) without DPs of its own."""
    return FakeDevice(HUB, HUB_KEY, "Zigbee Gateway", category="wg2", product_id="gateway000001")


def children() -> list[FakeDevice]:
    """A door sensor (DP ids of make-all/tuya-local's Treatlife WCS-10), a TH05Z climate
    sensor (make-all/tuya-local#2885) and a Zigbee socket (standard cz DPs); only the door
    sensor's record names its gateway."""
    door = FakeDevice(
        DOOR,
        HUB_KEY,
        "Back door",
        category="mcs",
        product_id="zigbeedoor000001",
        ip="",
        dps=[
            FakeDp("doorcontact_state", 1, "Boolean", writable=False),
            FakeDp("battery_percentage", 2, "Integer", PERCENT, writable=False),
        ],
        sub=True,
        node_id="a4c1384bf1c2d3e4",
        gateway_id=HUB,
    )
    climate = FakeDevice(
        CLIMATE,
        HUB_KEY,
        "Hall climate",
        category="wsdcg",
        product_id="zigbeeth05z00001",
        ip="",
        dps=[
            FakeDp(
                "va_temperature",
                1,
                "Integer",
                {"unit": "℃", "min": -200, "max": 600, "scale": 1, "step": 1},
                writable=False,
            ),
            FakeDp("va_humidity", 2, "Integer", PERCENT, writable=False),
            FakeDp("battery_percentage", 4, "Integer", PERCENT, writable=False),
        ],
        sub=True,
        node_id="a4c1380000000002",
    )
    zplug = FakeDevice.plug(
        ZPLUG,
        HUB_KEY,
        "Porch plug",
        product_id="zigbeeplug000001",
        ip="",
        sub=True,
        node_id="a4c1380000000003",
    )
    return [door, climate, zplug]


@pytest.fixture
async def cloud() -> AsyncIterator[FakeCloud]:
    async with FakeCloud() as fake:
        fake.add_device(hub())
        for device in children():
            fake.add_device(device)
        fake.add_device(FakeDevice.plug(PLUG, PLUG_KEY, "Kettle", product_id="wifiplug000001"))
        yield fake


@pytest.fixture
async def client(cloud: FakeCloud) -> AsyncIterator[CloudClient]:
    async with CloudClient(
        cloud.client_id, cloud.secret, "eu", endpoint=cloud.base_url, max_attempts=1
    ) as c:
        yield c


async def test_children_are_imported_behind_their_gateway_with_their_specifications(
    cloud: FakeCloud, client: CloudClient
) -> None:
    inventory = await fetch_cloud_devices(client, [DEFAULT_USER_UID])
    assert cloud.count("/specifications") == 5  # one per product, the children's too
    result = import_cloud(inventory)
    got = [
        (d.id, d.name, d.type, d.gateway, d.node_id, d.local_key, d.host) for d in result.devices
    ]
    assert got == [
        (HUB, "zigbee_gateway", "auto", None, None, Secret(HUB_KEY), "127.0.0.1"),
        (DOOR, "back_door", "sensor", "zigbee_gateway", "a4c1384bf1c2d3e4", None, None),
        (CLIMATE, "hall_climate", "sensor", "zigbee_gateway", "a4c1380000000002", None, None),
        (ZPLUG, "porch_plug", "plug", "zigbee_gateway", "a4c1380000000003", None, None),
        (PLUG, "kettle", "plug", None, None, Secret(PLUG_KEY), "127.0.0.1"),
    ]
    # the spec's scale is kept: a child's layout is written like any device's
    scaled = DpLayout("1", scale=1, min=-200, max=600, unit="℃")
    assert result.devices[2].dps == {"va_temperature": scaled}
    assert result.skipped == ()


async def test_a_child_whose_gateway_is_not_in_the_account_is_one_line() -> None:
    async with FakeCloud() as cloud:
        for device in children():
            cloud.add_device(device)
        cloud.add_device(FakeDevice.plug(PLUG, PLUG_KEY, "Kettle", product_id="wifiplug000001"))
        async with CloudClient(
            cloud.client_id, cloud.secret, "eu", endpoint=cloud.base_url, max_attempts=1
        ) as client:
            result = await import_from_cloud(client, uid=DEFAULT_USER_UID)
    assert [d.name for d in result.devices] == ["kettle"]
    lines = import_summary(result).splitlines()
    assert lines[1:4] == [
        "skipped 3:",
        f"  Back door ({DOOR}): a Zigbee/Bluetooth sub-device: its gateway {HUB} is neither "
        "in the Tuya cloud nor configured",
        f"  Hall climate ({CLIMATE}): a Zigbee/Bluetooth sub-device: its gateway is not named "
        "and no device in the Tuya cloud or configured shares its local key",
    ]
    assert HUB_KEY not in import_summary(result)


def test_the_records_sub_device_fields_are_read() -> None:
    # A sub-device as GET /v1.0/users/{uid}/devices lists it (PROTOCOL.md): sub, node_id,
    # and here no gateway_id; its local key is its gateway's.
    record = {
        "id": DOOR,
        "name": "Back door",
        "local_key": HUB_KEY,
        "uid": DEFAULT_USER_UID,
        "ip": "",
        "category": "mcs",
        "product_id": "zigbeedoor000001",
        "product_name": "Door sensor",
        "online": True,
        "sub": True,
        "node_id": "a4c1384bf1c2d3e4",
    }
    device = parse_device(record)
    assert (device.sub, device.node_id, device.gateway_id) == (True, "a4c1384bf1c2d3e4", "")
    gateway = parse_device({**record, "id": HUB, "name": "Hub", "sub": False, "node_id": None})
    assert (gateway.sub, gateway.node_id) == (False, "")
    result = import_cloud(CloudInventory((device, gateway), {}))
    assert [(d.name, d.gateway, d.node_id) for d in result.devices] == [
        ("hub", None, None),
        ("back_door", "hub", "a4c1384bf1c2d3e4"),
    ]
