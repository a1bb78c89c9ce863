"""The daemon end to end: simulated devices over real sockets, a real mosquitto broker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from setsmart.sim import SimDevice
from tests.daemon.harness import BASE, KEY, PREFIX, Dev, config_text, daemon
from tests.support.broker import restart_and_reconnect, running_broker
from tests.support.mqtt_client import Received, recorder

pytestmark = pytest.mark.timeout(90)


def state_of(message: Received | None) -> dict[str, object]:
    assert message is not None
    document = message.json()
    assert isinstance(document, dict)
    return document


async def test_devices_of_every_kind_are_mirrored(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice(
            "bfe2eplug00000000001", KEY, "3.3", "plug", host="127.0.0.21", dps={"1": True}
        ) as plug,
        SimDevice("bfe2estrip0000000001", KEY, "3.4", "strip", host="127.0.0.22") as strip,
        SimDevice("bfe2ebulb0000000001", KEY, "3.5", "bulb", host="127.0.0.23") as bulb,
        SimDevice("bfe2ebulbv100000001", KEY, "3.1", "bulb_v1", host="127.0.0.24") as old_bulb,
    ):
        devices = [
            Dev("plug", plug),
            Dev("strip", strip),
            Dev("bulb", bulb, "bulb"),
            Dev("old_bulb", old_bulb, "bulb_v1"),
        ]
        async with daemon(tmp_path, config_text(broker, devices)):
            async with recorder(broker.host, broker.port, f"{BASE}/#", f"{PREFIX}/#") as mqtt:
                for dev in devices:
                    await mqtt.wait_for(
                        f"{BASE}/{dev.name}/availability", lambda m: m.payload == b"online"
                    )
                    await mqtt.wait_for(f"{BASE}/{dev.name}")
                plug_state = state_of(mqtt.last(f"{BASE}/plug"))
                assert plug_state["state"] == "ON"
                assert {
                    "power",
                    "voltage",
                    "current",
                    "dps",
                    "source",
                    "last_seen",
                } <= plug_state.keys()
                assert plug_state["source"] == "lan"
                strip_state = state_of(mqtt.last(f"{BASE}/strip"))
                assert {"state_l1", "state_l2", "state_l3", "state_l4"} <= strip_state.keys()
                bulb_state = state_of(mqtt.last(f"{BASE}/bulb"))
                assert "brightness" in bulb_state
                assert (await mqtt.wait_for(f"{BASE}/bridge/state")).payload == b"online"
                listed = await mqtt.wait_for(
                    f"{BASE}/bridge/devices",
                    lambda m: (
                        len(m.json()) == 4 and all(d["connection"] == "lan" for d in m.json())
                    ),
                )
                assert {d["name"] for d in listed.json()} == {"plug", "strip", "bulb", "old_bulb"}
                await mqtt.wait_for(f"{PREFIX}/switch/{plug.device_id}/switch/config")
                await mqtt.wait_for(f"{PREFIX}/sensor/{plug.device_id}/power/config")
                await mqtt.wait_for(f"{PREFIX}/light/{bulb.device_id}/light/config")

            # A subscriber arriving late still gets every retained state.
            async with recorder(broker.host, broker.port, f"{BASE}/+") as late:
                message = await late.wait_for(f"{BASE}/plug")
                assert message.retain
                assert state_of(message)["state"] == "ON"


async def test_set_and_push_round_trip(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice(
            "bfe2eset000000000001", KEY, "3.4", "plug", host="127.0.0.25", dps={"1": False}
        ) as plug,
        recorder(broker.host, broker.port, f"{BASE}/#", "burst/#") as mqtt,
        daemon(tmp_path, config_text(broker, [Dev("plug", plug)])),
    ):
        await mqtt.wait_for(f"{BASE}/plug", lambda m: state_of(m)["state"] == "OFF")
        await mqtt.publish(f"{BASE}/plug/set", "ON")
        await mqtt.wait_for(f"{BASE}/plug", lambda m: state_of(m)["state"] == "ON")
        assert plug.dps.get("1") is True
        mark = mqtt.mark()
        await mqtt.publish(f"{BASE}/plug/set", json.dumps({"state": "TOGGLE"}))
        await mqtt.wait_for(f"{BASE}/plug", lambda m: state_of(m)["state"] == "OFF", since=mark)
        assert plug.dps.get("1") is False
        mark = mqtt.mark()
        await plug.set_dps({"1": True})  # someone pressed the button
        await mqtt.wait_for(f"{BASE}/plug", lambda m: state_of(m)["state"] == "ON", since=mark)
        # A burst of commands is carried out in order, none lost: each is answered.
        mark = mqtt.mark()
        values = ("OFF", "ON", "OFF", "ON", "OFF")
        for index, value in enumerate(values):
            await mqtt.publish(f"{BASE}/plug/set", value, response_topic=f"burst/{index}")
        for index in range(len(values)):
            reply = await mqtt.wait_for(f"burst/{index}", since=mark)
            assert reply.json() == {"status": "ok"}
        assert plug.dps.get("1") is False


async def test_get_publishes_the_state_now(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice("bfe2eget000000000001", KEY, "3.3", "plug", host="127.0.0.26") as plug,
        recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
        daemon(tmp_path, config_text(broker, [Dev("plug", plug)])),
    ):
        await mqtt.wait_for(f"{BASE}/plug")
        mark = mqtt.mark()
        await mqtt.publish(f"{BASE}/plug/get", "")
        await mqtt.wait_for(f"{BASE}/plug", since=mark)


BAD_PAYLOADS: list[tuple[bytes, str]] = [
    (b"{not json", "JSON"),
    (b"[1, 2]", "array"),
    (b"null", "null"),
    (b'{"state": 5}', "state"),
    (b'{"brigthness": 10}', "brigthness"),
    (b'{"brightness": 300}', "300"),
    (b"\xff\xfe\x00", "UTF-8"),
    (b"x" * 300_000, "300"),
    (b'{"color": "#12345"}', "color"),
    (b"", "empty"),
]


async def test_bad_commands_change_nothing_and_are_answered(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice("bfe2ebad000000000001", KEY, "3.3", "bulb", host="127.0.0.27") as bulb,
        recorder(broker.host, broker.port, f"{BASE}/#", "reply/#") as mqtt,
        daemon(tmp_path, config_text(broker, [Dev("lamp", bulb, "bulb")])),
    ):
        await mqtt.wait_for(f"{BASE}/lamp/availability", lambda m: m.payload == b"online")
        before = dict(bulb.dps)
        for index, (payload, hint) in enumerate(BAD_PAYLOADS):
            correlation = f"c{index}".encode()
            mark = mqtt.mark()
            await mqtt.publish(
                f"{BASE}/lamp/set",
                payload,
                response_topic=f"reply/{index}",
                correlation=correlation,
            )
            log = await mqtt.wait_for(f"{BASE}/bridge/log", since=mark)
            entry = log.json()
            assert isinstance(entry, dict)
            assert entry["level"] == "error"
            assert entry["device"] == "lamp"
            assert entry["topic"] == f"{BASE}/lamp/set"
            assert hint.lower() in entry["message"].lower(), entry
            reply = await mqtt.wait_for(f"reply/{index}")
            assert reply.json() == {"status": "error", "error": entry["message"]}
            assert reply.correlation == correlation
        assert bulb.dps == before

        await mqtt.publish(f"{BASE}/nosuch/set", "ON", response_topic="reply/x")
        reply = await mqtt.wait_for("reply/x")
        assert "nosuch" in reply.json()["error"]

        await mqtt.publish(
            f"{BASE}/lamp/set",
            '{"brightness": 100}',
            response_topic="reply/ok",
            correlation=b"ok",
        )
        reply = await mqtt.wait_for("reply/ok")
        assert reply.json() == {"status": "ok"}
        assert reply.correlation == b"ok"


async def test_a_wrong_key_is_reported_while_others_work(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice("bfe2ekey000000000001", KEY, "3.4", "plug", host="127.0.0.28") as bad,
        SimDevice("bfe2ekey000000000002", KEY, "3.4", "plug", host="127.0.0.29") as good,
    ):
        devices = [Dev("bad", bad, key="fedcba9876543210"), Dev("good", good)]
        async with (
            recorder(broker.host, broker.port, f"{BASE}/#", "reply/#") as mqtt,
            daemon(tmp_path, config_text(broker, devices)),
        ):
            await mqtt.wait_for(f"{BASE}/good/availability", lambda m: m.payload == b"online")
            log = await mqtt.wait_for(
                f"{BASE}/bridge/log", lambda m: m.json().get("device") == "bad"
            )
            assert "wrong local key" in log.json()["message"]
            assert "fedcba9876543210" not in log.payload.decode()
            offline = await mqtt.wait_for(f"{BASE}/bad/availability")
            assert offline.payload == b"offline"
            await mqtt.publish(f"{BASE}/bad/set", "ON", response_topic="reply/bad")
            reply = await mqtt.wait_for("reply/bad")
            assert "offline" in reply.json()["error"]


async def test_outage_and_return(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker:
        plug = SimDevice("bfe2eout000000000001", KEY, "3.3", "plug", host="127.0.0.30")
        await plug.start()
        try:
            async with (
                recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
                daemon(tmp_path, config_text(broker, [Dev("plug", plug)])),
            ):
                await mqtt.wait_for(f"{BASE}/plug/availability", lambda m: m.payload == b"online")
                port = plug.port
                mark = mqtt.mark()
                await plug.stop()
                await mqtt.wait_for(
                    f"{BASE}/plug/availability",
                    lambda m: m.payload == b"offline",
                    since=mark,
                    within=20,
                )
                plug = SimDevice(
                    "bfe2eout000000000001",
                    KEY,
                    "3.3",
                    "plug",
                    host="127.0.0.30",
                    port=port,
                    dps={"1": True},
                )
                mark = mqtt.mark()
                await plug.start()
                await mqtt.wait_for(
                    f"{BASE}/plug/availability",
                    lambda m: m.payload == b"online",
                    since=mark,
                    within=20,
                )
                await mqtt.wait_for(f"{BASE}/plug", lambda m: state_of(m)["state"] == "ON")
        finally:
            await plug.stop()


async def test_broker_restart_republishes_everything(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice("bfe2ebrk000000000001", KEY, "3.5", "plug", host="127.0.0.31") as plug,
        daemon(tmp_path, config_text(broker, [Dev("plug", plug)])) as supervisor,
    ):
        async with recorder(broker.host, broker.port, f"{BASE}/#") as mqtt:
            await mqtt.wait_for(f"{BASE}/plug")
        await restart_and_reconnect(broker, supervisor.bridge)
        async with recorder(broker.host, broker.port, f"{BASE}/#") as mqtt:
            assert (await mqtt.wait_for(f"{BASE}/bridge/state")).payload == b"online"
            assert (await mqtt.wait_for(f"{BASE}/plug")).retain
            assert (await mqtt.wait_for(f"{BASE}/plug/availability")).payload == b"online"
            await mqtt.publish(f"{BASE}/plug/set", "OFF")
            await mqtt.wait_for(f"{BASE}/plug", lambda m: state_of(m)["state"] == "OFF")
