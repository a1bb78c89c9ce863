"""Firmware over the HTTP API (the bridge requests), with the local fake cloud."""

from __future__ import annotations

from pathlib import Path

from tests.daemon.harness import BASE
from tests.daemon.test_cloud_e2e import (
    ONLY_ID,
    ONLY_KEY,
    cloud_only_device,
    daemon,
    full_config,
    is_online,
)
from tests.http.test_e2e_http import answer, client, http_section
from tests.support.broker import free_tcp_port, running_broker
from tests.support.fake_cloud import FakeCloud, FakeDevice
from tests.support.mqtt_client import recorder


async def test_firmware_is_checked_and_upgraded_through_http(tmp_path: Path) -> None:
    port = free_tcp_port()
    async with running_broker(tmp_path) as broker, FakeCloud() as cloud:
        device = cloud.add_device(FakeDevice.plug(ONLY_ID, ONLY_KEY))
        text = full_config(broker, cloud, cloud_only=[cloud_only_device("attic")], poll=30)
        async with (
            recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
            daemon(tmp_path, text + http_section(port)),
            client(port) as http,
        ):
            await mqtt.wait_for(f"{BASE}/attic/availability", is_online)
            status, checked = await answer(
                await http.post("/api/bridge/firmware/check", json={"device": "attic"})
            )
            assert status == 200, checked
            assert isinstance(checked, dict)
            [found] = checked["data"]
            assert found["device"] == "attic"
            assert found["update_available"] is False
            status, refused = await answer(
                await http.post("/api/bridge/firmware/upgrade", json={"devices": ["attic"]})
            )
            assert status == 503
            assert isinstance(refused, dict)
            assert "no firmware upgrade is available" in refused["error"]

            device.firmware[0].upgrade_version = "1.2.0"
            device.firmware[0].upgrade_status = 1
            status, done = await answer(
                await http.post("/api/bridge/firmware/upgrade", json={"devices": "all"})
            )
            assert status == 200, done
            assert device.firmware[0].upgrade_status == 2
            assert isinstance(done, dict)
            assert done["data"][0]["upgrading"] is True
            await mqtt.wait_for(f"{BASE}/attic/firmware", lambda m: m.json()["upgrading"])
            status, refused = await answer(
                await http.post("/api/bridge/firmware/upgrade", json={"devices": ["nope"]})
            )
            assert status == 404


async def test_an_upgrade_by_product_key_takes_only_that_products_devices(tmp_path: Path) -> None:
    port = free_tcp_port()
    other_id = "bf0onlycloudother001"
    async with running_broker(tmp_path) as broker, FakeCloud() as cloud:
        attic = cloud.add_device(FakeDevice.plug(ONLY_ID, ONLY_KEY, product_id="atticplug0000001"))
        shed = cloud.add_device(FakeDevice.plug(other_id, ONLY_KEY, product_id="shedplug00000001"))
        for device in (attic, shed):
            device.firmware[0].upgrade_version = "1.2.0"
            device.firmware[0].upgrade_status = 1
        devices = [cloud_only_device("attic"), cloud_only_device("shed", other_id)]
        text = full_config(broker, cloud, cloud_only=devices, poll=30)
        async with (
            recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
            daemon(tmp_path, text + http_section(port)),
            client(port) as http,
        ):
            await mqtt.wait_for(f"{BASE}/shed/availability", is_online)
            request: dict[str, object] = {"devices": "all", "product_key": "shedplug00000001"}
            status, done = await answer(
                await http.post("/api/bridge/firmware/upgrade", json=request)
            )
            assert status == 200, done
            assert isinstance(done, dict)
            assert [found["device"] for found in done["data"]] == ["shed"]
            assert (attic.firmware[0].upgrade_status, shed.firmware[0].upgrade_status) == (1, 2)

            request = {"devices": ["attic"], "product_key": "shedplug00000001"}
            status, refused = await answer(
                await http.post("/api/bridge/firmware/upgrade", json=request)
            )
            assert status == 400
            assert isinstance(refused, dict)
            assert refused["error"] == (
                "firmware/upgrade: no such device is of product 'shedplug00000001'"
            )
            assert attic.firmware[0].upgrade_status == 1
