"""Home Assistant restarts, devices removed from the config, energy kept across restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from setsmart.config import load_config
from setsmart.sim import SimDevice
from tests.daemon.harness import BASE, KEY, PREFIX, Dev, config_text, daemon
from tests.support.broker import running_broker
from tests.support.mqtt_client import recorder

pytestmark = pytest.mark.timeout(90)


async def test_discovery_is_sent_again_when_home_assistant_comes_online(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice("bflife00000000000001", KEY, "3.3", "plug", host="127.0.0.51") as plug,
        recorder(broker.host, broker.port, f"{PREFIX}/#") as mqtt,
        daemon(tmp_path, config_text(broker, [Dev("plug", plug)])),
    ):
        topic = f"{PREFIX}/switch/{plug.device_id}/switch/config"
        first = await mqtt.wait_for(topic)
        document = first.json()
        assert document["unique_id"] == f"setsmart_{plug.device_id}_switch"
        assert document["command_topic"] == f"{BASE}/plug/set"
        mark = mqtt.mark()
        await mqtt.publish(f"{PREFIX}/status", "online")  # Home Assistant's birth message
        again = await mqtt.wait_for(topic, since=mark)
        assert again.json() == document


async def test_a_removed_device_loses_its_retained_topics(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice("bflife00000000000002", KEY, "3.4", "plug", host="127.0.0.52") as kept,
        SimDevice("bflife00000000000003", KEY, "3.4", "plug", host="127.0.0.53") as dropped,
    ):
        both = config_text(broker, [Dev("kept", kept), Dev("dropped", dropped)])
        async with recorder(broker.host, broker.port, f"{BASE}/#", f"{PREFIX}/#") as mqtt:
            async with daemon(tmp_path, both):
                await mqtt.wait_for(f"{PREFIX}/sensor/{dropped.device_id}/power/config")
                await mqtt.wait_for(f"{BASE}/dropped")
            # The next run no longer has it: everything it published is cleared.
            mark = mqtt.mark()
            async with daemon(tmp_path, config_text(broker, [Dev("kept", kept)])):
                for topic in (
                    f"{PREFIX}/sensor/{dropped.device_id}/power/config",
                    f"{PREFIX}/switch/{dropped.device_id}/switch/config",
                    f"{BASE}/dropped",
                    f"{BASE}/dropped/availability",
                ):
                    cleared = await mqtt.wait_for(topic, lambda m: m.payload == b"", since=mark)
                    assert cleared.payload == b""
                await mqtt.wait_for(
                    f"{BASE}/kept/availability", lambda m: m.payload == b"online", since=mark
                )
        # And nothing of it is left retained on the broker.
        async with recorder(
            broker.host, broker.port, f"{BASE}/dropped/#", f"{PREFIX}/+/{dropped.device_id}/#"
        ) as late:
            await asyncio.sleep(0.5)
            assert late.messages == []


async def test_energy_total_survives_a_restart(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice(
            "bflife00000000000004",
            KEY,
            "3.3",
            "plug",
            host="127.0.0.54",
            dps={"1": True},
            load_watts=3_600_000,
        ) as plug,
        recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
    ):
        text = config_text(broker, [Dev("heater", plug)])
        async with daemon(tmp_path, text):
            # 3.6 MW: the simulated meter adds whole Wh reports quickly.
            counted = await mqtt.wait_for(
                f"{BASE}/heater", lambda m: m.json().get("energy", 0) > 0, within=20
            )
            before = counted.json()["energy"]
        mark = mqtt.mark()
        async with daemon(tmp_path, text):
            after = await mqtt.wait_for(f"{BASE}/heater", since=mark)
            assert after.json()["energy"] >= before


async def test_a_brief_drop_does_not_flap_availability(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice("bflife00000000000005", KEY, "3.4", "plug", host="127.0.0.55") as plug,
        recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
        daemon(tmp_path, config_text(broker, [Dev("plug", plug)])),
    ):
        await mqtt.wait_for(f"{BASE}/plug/availability", lambda m: m.payload == b"online")
        mark = mqtt.mark()
        for _ in range(2):  # the phone app grabs the connection, twice
            connections = plug.stats.connections
            plug.drop_clients()
            async with asyncio.timeout(10):
                while plug.stats.connections == connections:  # noqa: ASYNC110 (no hook to await)
                    await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        flips = [m.payload for m in mqtt.messages[mark:] if m.topic == f"{BASE}/plug/availability"]
        assert b"offline" not in flips
        mark = mqtt.mark()
        await mqtt.publish(f"{BASE}/plug/set", "ON")
        await mqtt.wait_for(f"{BASE}/plug", lambda m: m.json()["state"] == "ON", since=mark)


async def test_commands_follow_the_devices_and_the_base_topic_of_a_reload(
    tmp_path: Path,
) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice("bflife00000000000006", KEY, "3.4", "plug", host="127.0.0.56") as old,
        SimDevice("bflife00000000000007", KEY, "3.4", "plug", host="127.0.0.57") as new,
        recorder(broker.host, broker.port, f"{BASE}/#", "moved/#", "reply/#") as mqtt,
        daemon(tmp_path, config_text(broker, [Dev("old", old)])) as supervisor,
    ):
        await mqtt.wait_for(f"{BASE}/old/availability", lambda m: m.payload == b"online")

        # `old` is replaced by `new`: commands reach `new`, and `old` is no longer known.
        path = tmp_path / "config.yaml"
        path.write_text(config_text(broker, [Dev("new", new)]))
        supervisor.reload(load_config(path))
        await mqtt.wait_for(f"{BASE}/new/availability", lambda m: m.payload == b"online")
        await mqtt.publish(f"{BASE}/new/set", "ON", response_topic="reply/new")
        assert (await mqtt.wait_for("reply/new")).json() == {"status": "ok"}
        assert new.dps.get("1") is True
        await mqtt.publish(f"{BASE}/old/get", "", response_topic="reply/old")
        reply = (await mqtt.wait_for("reply/old")).json()
        assert reply == {"status": "error", "error": "no device named 'old' is configured"}

        # A new base topic: commands are taken there, no longer on the old one.
        path.write_text(
            config_text(broker, [Dev("new", new)]).replace(
                f"base_topic: {BASE}", "base_topic: moved"
            )
        )
        supervisor.reload(load_config(path))
        await mqtt.wait_for("moved/new/availability", lambda m: m.payload == b"online")
        await mqtt.publish(f"{BASE}/new/set", "OFF")
        await mqtt.publish("moved/new/set", "TOGGLE", response_topic="reply/moved")
        assert (await mqtt.wait_for("reply/moved")).json() == {"status": "ok"}
        assert new.dps.get("1") is False  # toggled from ON: the first OFF was not taken
