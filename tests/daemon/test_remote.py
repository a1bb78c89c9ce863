"""`setsmart status` and `setsmart set` through a running daemon (an MQTT 5 request with a
response topic and correlation data), and straight to the device when none answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from setsmart.config.loader import load_config
from setsmart.daemon.control import device_set, device_status
from setsmart.mqtt.remote import find_daemon
from setsmart.mqtt.topics import Topics
from setsmart.sim import SimDevice
from tests.daemon.harness import KEY, Dev, config_text, daemon
from tests.support.broker import running_broker

pytestmark = pytest.mark.timeout(30)


async def test_status_and_set_go_through_the_running_daemon(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice("bfremote0000000000001", KEY, "3.4", "plug", host="127.0.0.81") as plug,
    ):
        text = config_text(broker, [Dev("plug", plug)])
        async with daemon(tmp_path, text):
            config = load_config(tmp_path / "config.yaml")
            (device,) = config.devices
            topics = Topics.from_config(config)
            async with find_daemon(config.mqtt, topics, config.lan.timeout) as remote:
                assert remote is not None  # the daemon answers: no second LAN connection
            after = await device_set(config, device, {"state": "OFF"})
            assert after["state"] == "OFF"
            assert plug.dps["1"] is False
            assert (await device_status(config, device))["state"] == "OFF"
            await device_set(config, device, {"state": "ON"})
            assert plug.dps["1"] is True


async def test_without_a_daemon_set_goes_to_the_device(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice("bfremote0000000000002", KEY, "3.4", "plug", host="127.0.0.82") as plug,
    ):
        (tmp_path / "config.yaml").write_text(config_text(broker, [Dev("plug", plug)]))
        config = load_config(tmp_path / "config.yaml")
        (device,) = config.devices
        async with find_daemon(config.mqtt, Topics.from_config(config), 1.0) as remote:
            assert remote is None
        after = await device_set(config, device, {"state": "OFF"})
        assert after["state"] == "OFF"
        assert plug.dps["1"] is False
