"""The CLI's way through a running daemon: read a state, send a `/set`, over MQTT.

A device usually takes one local connection, and the daemon holds it: when a daemon
answers on the configured broker (its `bridge/state` is retained `online`), `status` and
`set` go through it instead of opening a second connection to the device.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from setsmart.config import MqttConfig
from setsmart.errors import SetsmartError
from setsmart.mqtt.bridge import NO_DELAY, tls_context
from setsmart.mqtt.topics import Topics

_LOOK = 2.0  # seconds to find a daemon before going direct


class RemoteError(SetsmartError):
    """The daemon refused or did not answer."""


class Remote:
    """A connection to the broker through which a running daemon is asked."""

    def __init__(self, client: aiomqtt.Client, topics: Topics, time_limit: float) -> None:
        self.client = client
        self.topics = topics
        self.time_limit = time_limit

    async def state(self, name: str) -> dict[str, object]:
        """The device's retained state; asks for a fresh read when there is none yet."""
        topic = self.topics.state(name)
        await self.client.subscribe(topic, qos=1)
        try:
            return await self._next_state(topic, within=_LOOK)
        except TimeoutError:
            await self.client.publish(self.topics.get(name), b"", qos=1)
            try:
                return await self._next_state(topic, within=self.time_limit)
            except TimeoutError:
                raise RemoteError(f"{name}: the daemon has no state for this device yet") from None

    async def set(self, name: str, payload: object) -> dict[str, object]:
        """Send a `/set` and wait for the daemon's answer; returns the state after it."""
        reply_topic = f"{self.topics.base}/cli/{secrets.token_hex(8)}"
        correlation = secrets.token_bytes(8)
        await self.client.subscribe(reply_topic, qos=1)
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.ResponseTopic = reply_topic
        properties.CorrelationData = correlation
        body = payload if isinstance(payload, str) else json.dumps(payload)
        await self.client.publish(self.topics.set(name), body, qos=1, properties=properties)
        try:
            async with asyncio.timeout(self.time_limit + _LOOK):
                async for message in self.client.messages:
                    if str(message.topic) == reply_topic:
                        answer = json.loads(_text(message.payload))
                        break
        except TimeoutError:
            raise RemoteError(f"{name}: the daemon did not answer the command") from None
        if answer.get("status") != "ok":
            raise RemoteError(str(answer.get("error", "the daemon refused the command")))
        return await self.state(name)

    async def _next_state(self, topic: str, *, within: float) -> dict[str, object]:
        async with asyncio.timeout(within):
            async for message in self.client.messages:
                if str(message.topic) == topic and message.payload:
                    document = json.loads(_text(message.payload))
                    if isinstance(document, dict):
                        return document
        raise TimeoutError  # pragma: no cover (the iterator only ends by raising)


def _text(payload: object) -> str:
    return payload.decode() if isinstance(payload, bytes | bytearray) else str(payload)


@contextlib.asynccontextmanager
async def find_daemon(
    settings: MqttConfig, topics: Topics, time_limit: float
) -> AsyncIterator[Remote | None]:
    """A Remote when a daemon is online on the broker, else None (go direct)."""
    client = aiomqtt.Client(
        settings.host,
        settings.port,
        username=settings.username.reveal() if settings.username else None,
        password=settings.password.reveal() if settings.password else None,
        identifier=f"{settings.client_id}-cli-{secrets.token_hex(3)}",
        protocol=aiomqtt.ProtocolVersion.V5,
        tls_context=tls_context(settings),
        timeout=_LOOK,
        socket_options=NO_DELAY,
    )
    async with contextlib.AsyncExitStack() as stack:
        try:
            await stack.enter_async_context(client)
        except aiomqtt.MqttError:
            yield None
            return
        await client.subscribe(topics.bridge_state, qos=1)
        online = False
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_LOOK):
                async for message in client.messages:
                    online = _text(message.payload) == "online"
                    break
        yield Remote(client, topics, time_limit) if online else None
