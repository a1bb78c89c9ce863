"""A test's own MQTT client: records what it receives, waits for topics, publishes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from setsmart.mqtt.connection import Endpoint, MqttConnection, connect
from setsmart.mqtt.session import ConnectOptions, Message


@dataclass
class Received:
    topic: str
    payload: bytes
    retain: bool
    correlation: bytes | None = None

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class Recorder:
    connection: MqttConnection
    messages: list[Received] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def last(self, topic: str) -> Received | None:
        for message in reversed(self.messages):
            if message.topic == topic:
                return message
        return None

    def on(self, topic: str) -> list[Received]:
        return [m for m in self.messages if m.topic == topic]

    def on_prefix(self, prefix: str) -> list[Received]:
        return [m for m in self.messages if m.topic.startswith(prefix)]

    def mark(self) -> int:
        """A point in the stream: `wait_for(..., since=mark)` ignores what came before it."""
        return len(self.messages)

    async def wait_for(
        self,
        topic: str,
        predicate: Callable[[Received], bool] = lambda _: True,
        *,
        since: int = 0,
        within: float = 10.0,
    ) -> Received:
        """The first message on `topic` after `since` that satisfies `predicate`."""
        async with asyncio.timeout(within):
            while True:
                for message in self.messages[since:]:
                    if message.topic == topic and predicate(message):
                        return message
                self._changed.clear()
                await self._changed.wait()

    async def publish(
        self,
        topic: str,
        payload: bytes | str,
        *,
        response_topic: str | None = None,
        correlation: bytes | None = None,
        retain: bool = False,
    ) -> None:
        """A QoS 1 publish, returning once the broker has acknowledged it."""
        await self.connection.window()
        self.connection.publish(
            topic,
            payload.encode() if isinstance(payload, str) else payload,
            qos=1,
            retain=retain,
            response_topic=response_topic,
            correlation=correlation,
        )
        await self.connection.settled()

    def record(self, message: Message) -> None:
        self.messages.append(
            Received(message.topic, message.payload, message.retain, message.correlation)
        )
        self._changed.set()


@contextlib.asynccontextmanager
async def recorder(
    host: str,
    port: int,
    *topics: str,
    username: str | None = None,
    password: str | None = None,
    tls: ssl.SSLContext | None = None,
) -> AsyncIterator[Recorder]:
    """A client subscribed to `topics` (QoS 1), recording every message it receives."""
    options = ConnectOptions(
        client_id=f"test-{secrets.token_hex(4)}", username=username, password=password
    )
    messages: list[Received] = []
    rec: Recorder | None = None

    def on_message(message: Message) -> None:
        if rec is not None:
            rec.record(message)

    connection = await connect(Endpoint(host, port, tls), options, on_message)
    rec = Recorder(connection, messages)
    try:
        if topics:
            await connection.subscribe(topics)
        yield rec
    finally:
        connection.close()
