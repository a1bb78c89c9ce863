"""One device through the cloud: `CloudRoute` against the fake Tuya cloud on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from setsmart.cloud import CloudClient
from setsmart.daemon.cloud_route import CloudRoute
from setsmart.daemon.logs import redact
from setsmart.daemon.runtime import RouteError
from tests.support.fake_cloud import FakeCloud, FakeDevice, Fault

PLUG_ID = "bfrouteplug000000001"
PLUG_KEY = "routeplugkey0001"
BULB_ID = "bfroutebulb000000001"
BULB_KEY = "routebulbkey0001"

pytestmark = pytest.mark.timeout(10)


@pytest.fixture
async def cloud() -> AsyncIterator[FakeCloud]:
    async with FakeCloud() as fake:
        fake.add_device(FakeDevice.plug(PLUG_ID, PLUG_KEY))
        fake.add_device(FakeDevice.bulb(BULB_ID, BULB_KEY))
        yield fake


@pytest.fixture
async def client(cloud: FakeCloud) -> AsyncIterator[CloudClient]:
    async with CloudClient(
        cloud.client_id, cloud.secret, "eu", cloud.base_url, 2.0, max_attempts=1
    ) as made:
        yield made


class Failures:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


def calls_to(cloud: FakeCloud) -> list[str]:
    return [f"{call.method} {call.path}" for call in cloud.calls if call.path != "/v1.0/token"]


async def test_reads_come_back_as_dp_ids(cloud: FakeCloud, client: CloudClient) -> None:
    route = CloudRoute(client, BULB_ID, "desk")
    assert await route.read() == {
        "20": False,
        "21": "white",
        "22": 1000,
        "23": 500,
        "24": "000003e803e8",
    }
    cloud.set_status(BULB_ID, "switch_led", True)
    assert (await route.read())["20"] is True
    # The specification is asked for once, then cached.
    assert calls_to(cloud) == [
        f"GET /v1.1/devices/{BULB_ID}/specifications",
        f"GET /v1.0/iot-03/devices/{BULB_ID}/status",
        f"GET /v1.0/iot-03/devices/{BULB_ID}/status",
    ]


async def test_writes_go_out_as_codes(cloud: FakeCloud, client: CloudClient) -> None:
    route = CloudRoute(client, PLUG_ID, "kitchen")
    await route.write({"1": True, "9": 60})
    assert cloud.device(PLUG_ID).status["switch_1"] is True
    assert cloud.device(PLUG_ID).status["countdown_1"] == 60
    sent = [call.body for call in cloud.calls if call.path.endswith("/commands")]
    assert sent == [
        {"commands": [{"code": "switch_1", "value": True}, {"code": "countdown_1", "value": 60}]}
    ]


async def test_what_the_cloud_cannot_take_is_refused_before_sending(
    cloud: FakeCloud, client: CloudClient
) -> None:
    failures = Failures()
    route = CloudRoute(client, PLUG_ID, "kitchen", on_failure=failures)
    with pytest.raises(RouteError, match=r"^kitchen: cannot send .*add_ele.* read-only"):
        await route.write({"17": 5})
    with pytest.raises(RouteError, match=r"countdown_1.*0 to 86400"):
        await route.write({"9": -1})
    assert not [call for call in cloud.calls if call.path.endswith("/commands")]
    assert failures.count == 0  # nothing went wrong with the cloud itself


async def test_an_offline_device(cloud: FakeCloud, client: CloudClient) -> None:
    failures = Failures()
    route = CloudRoute(client, PLUG_ID, "kitchen", on_failure=failures)
    assert await route.online() is True
    cloud.set_online(PLUG_ID, False)
    assert await route.online() is False
    with pytest.raises(RouteError) as caught:
        await route.write({"1": True})
    assert caught.value.device_offline
    assert str(caught.value) == "kitchen: the Tuya cloud says the device is offline"
    assert failures.count == 1


async def test_the_local_key_is_fetched_and_masked_in_logs(
    cloud: FakeCloud, client: CloudClient
) -> None:
    cloud.set_local_key(PLUG_ID, "brandnewkey00001")
    route = CloudRoute(client, PLUG_ID, "kitchen")
    assert await route.local_key() == "brandnewkey00001"
    assert "brandnewkey00001" not in redact("kitchen now uses brandnewkey00001")


async def test_no_local_key_in_the_cloud(cloud: FakeCloud, client: CloudClient) -> None:
    cloud.set_local_key(PLUG_ID, "")
    with pytest.raises(RouteError, match="no local key"):
        await CloudRoute(client, PLUG_ID, "kitchen").local_key()


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (Fault.HTML, ["kitchen: unexpected reply from the Tuya cloud", "text/html"]),
        (Fault.NOT_JSON, ["kitchen: unexpected reply", "not JSON"]),
        (Fault.MISSING_FIELDS, ["kitchen: unexpected reply", "'success'"]),
        (Fault.HTTP_500, ["kitchen: the Tuya cloud is busy (HTTP 500)"]),
        (Fault.PERMISSION_DENY, ["kitchen:", "region 'eu'", "data centre"]),
        (Fault.QUOTA_USED_UP, ["kitchen:", "trial quota is used up"]),
    ],
)
async def test_cloud_failures_are_one_readable_line(
    cloud: FakeCloud, client: CloudClient, fault: Fault, words: list[str]
) -> None:
    failures = Failures()
    route = CloudRoute(client, PLUG_ID, "kitchen", on_failure=failures)
    await route.read()  # token and specification in hand
    cloud.inject(fault, path="/status")
    with pytest.raises(RouteError) as caught:
        await route.read()
    message = str(caught.value)
    for word in words:
        assert word in message
    assert "\n" not in message
    for secret in (cloud.secret, *cloud.issued_tokens, PLUG_KEY):
        assert secret not in message
    assert failures.count == 1


async def test_a_wrong_secret_says_so(cloud: FakeCloud) -> None:
    async with CloudClient(
        cloud.client_id, "not-the-secret", "eu", cloud.base_url, 2.0, max_attempts=1
    ) as client:
        with pytest.raises(RouteError) as caught:
            await CloudRoute(client, PLUG_ID, "kitchen").read()
    assert "api_secret" in str(caught.value)
    assert "not-the-secret" not in str(caught.value)


async def test_firmware(cloud: FakeCloud, client: CloudClient) -> None:
    route = CloudRoute(client, PLUG_ID, "kitchen")
    (module,) = await route.firmware()
    assert (module.current_version, module.available) == ("1.1.5", False)
    assert await route.upgrade() is False  # nothing to upgrade
    firmware = cloud.device(PLUG_ID).firmware[0]
    firmware.upgrade_version, firmware.upgrade_status = "1.2.0", 1
    assert await route.upgrade(0) is True
    assert firmware.upgrade_status == 2


async def test_a_reply_that_cannot_be_decoded_is_a_readable_error() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        headers = {"content-encoding": "gzip", "content-type": "application/json"}
        return httpx.Response(200, headers=headers, content=b"not gzip at all")

    async with CloudClient(
        "someclientid", "somesecret", "eu", transport=httpx.MockTransport(broken)
    ) as client:
        with pytest.raises(RouteError) as caught:
            await CloudRoute(client, PLUG_ID, "kitchen").read()
    assert str(caught.value).startswith("kitchen: unexpected reply from the Tuya cloud")
    assert "could not be read" in str(caught.value)
