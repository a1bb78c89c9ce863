"""Many devices at once: everything each one publishes still arrives, and what sums up
every device (`B/bridge/devices`) is not rebuilt for each of them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from setsmart.daemon.supervisor import Supervisor
from setsmart.mqtt.discovery import discovery_documents, encode_discovery
from setsmart.sim import SimFleet, make_local_key
from tests.daemon.harness import BASE, PREFIX, Dev, config_text, daemon
from tests.support.broker import restart_and_reconnect, running_broker
from tests.support.mqtt_client import Recorder, recorder

pytestmark = pytest.mark.timeout(120)

COUNT = 60
FIRST_HOST = "127.0.120.1"  # away from the other daemon tests' 127.0.0.x


async def all_online(mqtt: Recorder, names: list[str], within: float = 60.0) -> None:
    async with asyncio.timeout(within):
        for name in names:
            await mqtt.wait_for(
                f"{BASE}/{name}/availability", lambda m: m.payload == b"online", within=within
            )


async def test_many_devices_publish_everything_and_one_summary_at_a_time(
    tmp_path: Path,
) -> None:
    fleet = SimFleet.generate(
        COUNT, kinds=("plug", "strip", "bulb", "bulb_v1"), first_host=FIRST_HOST, port=6668
    )
    devs = [Dev(f"dev{n:02d}", device, key=make_local_key(n)) for n, device in enumerate(fleet)]
    names = [dev.name for dev in devs]
    async with (
        running_broker(tmp_path) as broker,
        recorder(broker.host, broker.port, f"{BASE}/#", f"{PREFIX}/#") as mqtt,
        # Connected to MQTT before the devices are up: they all come online while the
        # daemon publishes live (offline it only updates its cache).
        daemon(tmp_path, config_text(broker, devs)) as supervisor,
        fleet,
    ):
        await all_online(mqtt, names)
        listed = await mqtt.wait_for(
            f"{BASE}/bridge/devices",
            lambda m: [d["connection"] for d in m.json()] == ["lan"] * COUNT,
        )
        assert [d["name"] for d in listed.json()] == names
        await expect_every_document(broker.host, broker.port, supervisor, names)
        summaries = mqtt.on(f"{BASE}/bridge/devices")
        # One per interval at most (a second or so), where it was one per device event.
        assert len(summaries) < COUNT / 4


async def expect_every_document(
    broker_host: str, broker_port: int, supervisor: Supervisor, names: list[str]
) -> None:
    """A subscriber arriving now gets every device's discovery documents, retained and
    exactly as built from the device."""
    assert await supervisor.bridge.flush(30)
    async with recorder(broker_host, broker_port, f"{PREFIX}/#") as late:
        for name in names:
            runtime = supervisor.devices[name].runtime
            assert runtime.profile is not None
            documents = discovery_documents(runtime.config, runtime.profile, supervisor.topics)
            assert documents
            for topic, document in documents.items():
                received = await late.wait_for(topic)
                assert received.retain
                assert received.payload == encode_discovery(document).encode()


async def test_every_document_is_sent_again_after_a_broker_restart_and_for_home_assistant(
    tmp_path: Path,
) -> None:
    fleet = SimFleet.generate(
        12, kinds=("plug", "strip", "bulb", "bulb_v1"), first_host="127.0.121.1", port=6668
    )
    devs = [Dev(f"dev{n:02d}", device, key=make_local_key(n)) for n, device in enumerate(fleet)]
    names = [dev.name for dev in devs]
    async with (
        running_broker(tmp_path) as broker,
        fleet,
        daemon(tmp_path, config_text(broker, devs)) as supervisor,
    ):
        async with recorder(broker.host, broker.port, f"{BASE}/#") as mqtt:
            await all_online(mqtt, names)
        await expect_every_document(broker.host, broker.port, supervisor, names)
        await restart_and_reconnect(broker, supervisor.bridge)
        await expect_every_document(broker.host, broker.port, supervisor, names)
        async with recorder(broker.host, broker.port, f"{PREFIX}/#") as ha:
            mark = ha.mark()
            await ha.publish(f"{PREFIX}/status", "online")  # Home Assistant's birth message
            for name in names:
                runtime = supervisor.devices[name].runtime
                assert runtime.profile is not None
                documents = discovery_documents(runtime.config, runtime.profile, supervisor.topics)
                for topic in documents:
                    # Sent live, again (the retained copy came at subscription).
                    await ha.wait_for(topic, lambda m: not m.retain, since=mark)
