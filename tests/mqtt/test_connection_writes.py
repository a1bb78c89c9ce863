"""When the connection writes: a publish at once, a batch (the bridge's queue) once at the
end of the loop's turn, all of it in one write, in order, and at once past 64 KiB."""

from __future__ import annotations

import asyncio
from typing import Any

import mqtt5

from setsmart.mqtt.connection import MqttConnection
from setsmart.mqtt.session import ConnectOptions, Session
from tests.mqtt.test_session import wire


class RecordingTransport(asyncio.Transport):
    """The socket's side: each write kept as the bytes it carried."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []

    def writelines(self, list_of_data: Any) -> None:
        self.writes.append(b"".join(list_of_data))

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass


def topics_in(data: bytes) -> list[str]:
    topics, offset = [], 0
    while offset < len(data):
        packet, size = mqtt5.read(memoryview(data)[offset:])
        assert isinstance(packet, mqtt5.PublishPacket)
        topics.append(packet.topic)
        offset += size
    return topics


async def open_connection() -> tuple[MqttConnection, RecordingTransport]:
    connection = MqttConnection(Session(ConnectOptions("c")), lambda _: None, lambda _: None)
    transport = RecordingTransport()
    connection.connection_made(transport)
    connection.data_received(wire(mqtt5.ConnAckPacket()))
    transport.writes.clear()  # the CONNECT
    return connection, transport


async def test_a_publish_is_written_at_once() -> None:
    connection, transport = await open_connection()
    connection.publish("a/state", b"{}")
    assert [topics_in(data) for data in transport.writes] == [["a/state"]]


async def test_a_batch_is_one_write_when_the_turn_ends_in_order() -> None:
    connection, transport = await open_connection()
    for n in range(5):
        connection.publish(f"t/{n}", b"x" * 100, batch=True, qos=n % 2)
    assert transport.writes == []
    await asyncio.sleep(0)
    assert [topics_in(data) for data in transport.writes] == [[f"t/{n}" for n in range(5)]]
    connection.publish("now", b"y")  # then at once again
    assert topics_in(transport.writes[-1]) == ["now"]


async def test_a_publish_written_at_once_takes_the_waiting_batch_before_it() -> None:
    connection, transport = await open_connection()
    connection.publish("first", b"x", batch=True)
    connection.publish("second", b"y")
    await asyncio.sleep(0)
    assert [topics_in(data) for data in transport.writes] == [["first", "second"]]


async def test_a_large_batch_is_written_without_waiting() -> None:
    connection, transport = await open_connection()
    connection.publish("big", b"z" * (64 * 1024), batch=True)
    assert [topics_in(data) for data in transport.writes] == [["big"]]
