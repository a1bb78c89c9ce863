"""Nothing lost in a reconnect: another client (the phone app) takes the device's one
connection, a command arrives at that moment, and it is carried out once the daemon's
session is back (within `lan.timeout`), not refused as "device is offline"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from setsmart.daemon.machine import Route
from setsmart.protocol import Version
from setsmart.sim import SimDevice
from tests.daemon.harness import BASE, KEY, Dev, config_text, daemon
from tests.lan.helpers import wait_until
from tests.sim.wire import WireClient
from tests.support.broker import running_broker
from tests.support.mqtt_client import Received, recorder

pytestmark = pytest.mark.timeout(60)


def state_of(message: Received) -> dict[str, object]:
    document = message.json()
    assert isinstance(document, dict)
    return document


def lan_config(text: str) -> str:
    # Room for a reconnect on a loaded CI machine: the backoff's first pause (up to
    # 0.5 s), the handshake and the first read.
    return text.replace("  timeout: 1\n", "  timeout: 3\n")


@pytest.mark.parametrize(("version", "host"), [("3.3", "127.0.0.97"), ("3.5", "127.0.0.98")])
async def test_a_set_during_a_taken_connection_is_carried_out(
    tmp_path: Path, version: Version, host: str
) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice(
            "bfreconnect000000001", KEY, version, "plug", host=host, dps={"1": False}
        ) as plug,
        recorder(broker.host, broker.port, f"{BASE}/#", "reply/#") as mqtt,
        daemon(tmp_path, lan_config(config_text(broker, [Dev("plug", plug)]))),
    ):
        await mqtt.wait_for(f"{BASE}/plug", lambda m: state_of(m)["state"] == "OFF")
        mark = mqtt.mark()
        async with await WireClient.connect(plug) as phone:  # the daemon's session is dropped
            await mqtt.publish(
                f"{BASE}/plug/set", json.dumps({"state": "ON"}), response_topic="reply/set"
            )
            assert (await mqtt.wait_for("reply/set", since=mark)).json() == {"status": "ok"}
            assert await phone.closed_by_device()  # the daemon took the connection back
        assert plug.dps["1"] is True
        on = await mqtt.wait_for(f"{BASE}/plug", lambda m: state_of(m)["state"] == "ON", since=mark)
        assert state_of(on)["source"] == "lan"
        assert plug.stats.replaced >= 2
        errors = [m.json() for m in mqtt.messages[mark:] if m.topic == f"{BASE}/bridge/log"]
        assert not [e for e in errors if e["level"] == "error" and "offline" in e["message"]]
        availability = [
            m.payload for m in mqtt.messages[mark:] if m.topic.endswith("/availability")
        ]
        assert b"offline" not in availability


async def test_a_get_during_a_taken_connection_publishes_the_state(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice("bfreconnect000000002", KEY, "3.4", "plug", host="127.0.0.96") as plug,
        recorder(broker.host, broker.port, f"{BASE}/#", "reply/#") as mqtt,
        daemon(tmp_path, lan_config(config_text(broker, [Dev("plug", plug)]))),
    ):
        await mqtt.wait_for(f"{BASE}/plug")
        async with await WireClient.connect(plug) as phone:
            await plug.set_dps({"1": True})  # switched in the app while it holds the line
            mark = mqtt.mark()
            await mqtt.publish(f"{BASE}/plug/get", "", response_topic="reply/get")
            assert (await mqtt.wait_for("reply/get", since=mark)).json() == {"status": "ok"}
            assert await phone.closed_by_device()
        got = await mqtt.wait_for(f"{BASE}/plug", since=mark)
        assert state_of(got)["state"] == "ON"


@pytest.mark.parametrize(("version", "host"), [("3.3", "127.0.0.87"), ("3.5", "127.0.0.88")])
async def test_a_set_as_an_offline_device_comes_back_waits_for_its_session(
    tmp_path: Path, version: Version, host: str
) -> None:
    """The device was offline and is back: the daemon's connection is open but the
    session's first read is not answered yet when a command arrives. The command waits
    for the session and is carried out, not refused as "device is offline"."""
    device_id = f"bfreconnect00000000{host[-1]}"
    async with (
        running_broker(tmp_path) as broker,
        SimDevice(device_id, KEY, version, "plug", host=host, dps={"1": False}) as plug,
        recorder(broker.host, broker.port, f"{BASE}/#", "reply/#") as mqtt,
        daemon(tmp_path, lan_config(config_text(broker, [Dev("plug", plug)]))) as supervisor,
    ):
        availability = f"{BASE}/plug/availability"
        await mqtt.wait_for(availability, lambda m: m.payload == b"online")
        mark = mqtt.mark()
        plug.refuse = True  # unplugged
        plug.drop_clients()
        await mqtt.wait_for(availability, lambda m: m.payload == b"offline", since=mark, within=20)
        runtime = supervisor.devices["plug"].runtime
        plug.delay = 0.5  # back, and slow to answer: the session starts slowly
        plug.refuse = False
        await wait_until(lambda: runtime.link is not None and runtime.link.connected, within=30)
        assert runtime.machine.route is Route.OFFLINE  # the session's first read is out
        mark = mqtt.mark()
        await mqtt.publish(
            f"{BASE}/plug/set", json.dumps({"state": "ON"}), response_topic="reply/set"
        )
        assert (await mqtt.wait_for("reply/set", since=mark)).json() == {"status": "ok"}
        assert plug.dps["1"] is True
        await mqtt.wait_for(availability, lambda m: m.payload == b"online", since=mark)
        on = await mqtt.wait_for(f"{BASE}/plug", lambda m: state_of(m)["state"] == "ON", since=mark)
        assert state_of(on)["source"] == "lan"


async def test_a_power_cycle_without_a_countdown_turns_the_device_back_on(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice(
            "bfreconnect000000003", KEY, "3.3", "plug_legacy", host="127.0.0.95", dps={"1": True}
        ) as plug,
        recorder(broker.host, broker.port, f"{BASE}/#", "reply/#") as mqtt,
        daemon(tmp_path, config_text(broker, [Dev("plug", plug)])),
    ):
        await mqtt.wait_for(f"{BASE}/plug", lambda m: state_of(m)["state"] == "ON")
        mark = mqtt.mark()
        payload = json.dumps({"power_cycle": 0.3})
        await mqtt.publish(f"{BASE}/plug/set", payload, response_topic="reply/cycle")
        assert (await mqtt.wait_for("reply/cycle", since=mark)).json() == {"status": "ok"}
        await mqtt.wait_for(f"{BASE}/plug", lambda m: state_of(m)["state"] == "OFF", since=mark)
        await mqtt.wait_for(f"{BASE}/plug", lambda m: state_of(m)["state"] == "ON", since=mark)
        assert plug.dps["1"] is True


async def test_a_metering_plug_whose_power_is_cut_goes_offline(tmp_path: Path) -> None:
    """Energy refreshes more often than heartbeats (as the defaults, 5 s and 10 s) get no
    answer from a plug without power: its heartbeats still go out, miss, and end the
    session, and the plug is offline once the grace is over."""
    async with (
        running_broker(tmp_path) as broker,
        SimDevice("bfreconnect000000004", KEY, "3.3", "plug", host="127.0.0.89") as plug,
        recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
        daemon(
            tmp_path,
            config_text(broker, [Dev("plug", plug)]).replace(
                "  energy_poll: 1\n", "  energy_poll: 0.3\n"
            ),
        ),
    ):
        availability = f"{BASE}/plug/availability"
        await mqtt.wait_for(availability, lambda m: m.payload == b"online")
        await mqtt.wait_for(f"{BASE}/plug", lambda m: "power" in state_of(m))
        mark = mqtt.mark()
        plug.dark = True  # the connection stays open; nothing answers any more
        # Two missed beats (1 s apart, 1 s each to time out), then the 5 s grace.
        await mqtt.wait_for(availability, lambda m: m.payload == b"offline", since=mark, within=20)
        logged = [m.json() for m in mqtt.messages[mark:] if m.topic == f"{BASE}/bridge/log"]
        assert any("HEART_BEAT" in entry["message"] for entry in logged), logged
