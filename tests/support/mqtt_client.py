"""A test's own MQTT client: records what it receives, waits for topics, publishes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties


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
    client: aiomqtt.Client
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
    ) -> None:
        properties = None
        if response_topic is not None:
            properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            properties.ResponseTopic = response_topic
            if correlation is not None:
                properties.CorrelationData = correlation
        await self.client.publish(topic, payload, qos=1, properties=properties)

    async def _pump(self) -> None:
        async for message in self.client.messages:
            payload = (
                message.payload
                if isinstance(message.payload, bytes)
                else str(message.payload).encode()
            )
            props = message.properties
            correlation = getattr(props, "CorrelationData", None) if props is not None else None
            self.messages.append(
                Received(str(message.topic), payload, bool(message.retain), correlation)
            )
            self._changed.set()


@contextlib.asynccontextmanager
async def recorder(host: str, port: int, *topics: str) -> AsyncIterator[Recorder]:
    async with aiomqtt.Client(host, port, protocol=aiomqtt.ProtocolVersion.V5) as client:
        rec = Recorder(client)
        for topic in topics:
            await client.subscribe(topic, qos=1)
        task = asyncio.create_task(rec._pump())
        try:
            yield rec
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
