"""The MQTT bridge against a real mosquitto: what it publishes arrives whole and in order,
what it receives reaches `on_message` in order, across bursts, big payloads and a broker
restart (our own MQTT 5 session: `setsmart.mqtt.session`, `setsmart.mqtt.connection`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

from setsmart.config import MqttConfig
from setsmart.mqtt.bridge import Incoming, MqttBridge
from tests.lan.helpers import wait_until
from tests.support.broker import Broker, restart_and_reconnect, running_broker
from tests.support.mqtt_client import recorder

STATUS = "t/bridge/state"


@contextlib.asynccontextmanager
async def running_bridge(broker: Broker, received: list[Incoming]) -> AsyncIterator[MqttBridge]:
    bridge = MqttBridge(
        MqttConfig(host=broker.host, port=broker.port, client_id="bridge-under-test"),
        status_topic=STATUS,
        subscriptions=["t/in/#"],
        on_message=received.append,
    )
    task = asyncio.create_task(bridge.run())
    try:
        async with asyncio.timeout(10):
            await bridge.connected.wait()
        yield bridge
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_burst_of_publishes_arrives_complete_and_in_order(tmp_path: Path) -> None:
    # Far more QoS 1 messages than a broker lets await their PUBACK at once. The order is
    # checked per QoS: the broker itself lets QoS 0 ones overtake QoS 1 ones on their way
    # to a subscriber whose own window is full.
    async with (
        running_broker(tmp_path) as broker,
        recorder(broker.host, broker.port, "t/out/#") as rec,
        running_bridge(broker, []) as bridge,
    ):
        for n in range(2000):
            qos = n % 2
            bridge.publish(f"t/out/q{qos}/{n % 7}", f"{n}", qos=qos, retain=n % 3 == 0)
        assert await bridge.flush(10.0)
        await wait_until(lambda: len(rec.on_prefix("t/out/")) >= 2000, within=10)
        for qos in (0, 1):
            got = rec.on_prefix(f"t/out/q{qos}/")
            assert [int(m.payload) for m in got] == list(range(qos, 2000, 2))
            assert all(m.topic == f"t/out/q{qos}/{int(m.payload) % 7}" for m in got)


async def test_a_payload_bigger_than_the_socket_buffer_is_written_whole(tmp_path: Path) -> None:
    big = bytes(range(256)) * 65_536  # 16 MiB
    async with (
        running_broker(tmp_path) as broker,
        recorder(broker.host, broker.port, "t/out/#") as rec,
        running_bridge(broker, []) as bridge,
    ):
        assert broker.process is not None
        # A broker that reads nothing for a while: the socket fills, the rest must wait
        # for it to drain.
        os.kill(broker.process.pid, signal.SIGSTOP)
        try:
            bridge.publish("t/out/big", big, qos=1)
            bridge.publish("t/out/after", "next", qos=0)
            await asyncio.sleep(0.2)
        finally:
            os.kill(broker.process.pid, signal.SIGCONT)
        assert await bridge.flush(10.0)
        after = await rec.wait_for("t/out/after")
        assert after.payload == b"next"
        (message,) = rec.on("t/out/big")
        assert message.payload == big
        assert rec.messages.index(message) < rec.messages.index(after)


async def test_incoming_messages_reach_on_message_in_order(tmp_path: Path) -> None:
    received: list[Incoming] = []
    async with (
        running_broker(tmp_path) as broker,
        running_bridge(broker, received),
        recorder(broker.host, broker.port) as client,
    ):
        for n in range(300):
            await client.publish(f"t/in/{n % 3}", f"{n}")
        await client.publish("t/in/ask", "?", response_topic="t/reply", correlation=b"\x01id")
        await wait_until(lambda: len(received) >= 301, within=10)
    assert [int(m.payload) for m in received[:300]] == list(range(300))
    assert received[1].topic == "t/in/1"
    ask = received[300]
    assert (ask.topic, ask.payload, ask.response_topic, ask.correlation) == (
        "t/in/ask",
        b"?",
        "t/reply",
        b"\x01id",
    )


async def test_messages_flow_both_ways_again_after_a_broker_restart(tmp_path: Path) -> None:
    received: list[Incoming] = []
    async with running_broker(tmp_path) as broker, running_bridge(broker, received) as bridge:
        await restart_and_reconnect(broker, bridge)
        async with recorder(broker.host, broker.port, "t/out/#") as rec:
            bridge.publish("t/out/again", "after the restart")
            assert (await rec.wait_for("t/out/again")).payload == b"after the restart"
            await rec.publish("t/in/again", "hello")
            await wait_until(lambda: bool(received), within=10)
    assert [(m.topic, m.payload) for m in received] == [("t/in/again", b"hello")]


async def test_retained_messages_wait_for_on_connect_then_arrive(tmp_path: Path) -> None:
    seen: list[str] = []
    kept = [f"old news {n}" for n in range(20)]
    async with running_broker(tmp_path) as broker:
        async with recorder(broker.host, broker.port) as client:
            for n, news in enumerate(kept):
                await client.publish(f"t/in/kept/{n}", news, retain=True)
        bridge = MqttBridge(
            MqttConfig(host=broker.host, port=broker.port, client_id="bridge-under-test"),
            status_topic=STATUS,
            subscriptions=["t/in/#"],
            on_message=lambda message: seen.append(message.payload.decode()),
            on_connect=lambda: seen.append("connected"),
        )
        task = asyncio.create_task(bridge.run())
        try:
            await wait_until(lambda: len(seen) > len(kept), within=10)
            async with recorder(broker.host, broker.port) as client:
                await client.publish("t/in/live", "news")
            await wait_until(lambda: seen[-1] == "news", within=10)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert seen == ["connected", *kept, "news"]
