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

from setsmart.config import MqttConfig
from setsmart.errors import SetsmartError
from setsmart.mqtt.bridge import endpoint
from setsmart.mqtt.connection import MqttConnection, connect
from setsmart.mqtt.errors import MqttError
from setsmart.mqtt.session import ConnectOptions, Message
from setsmart.mqtt.topics import Topics

_LOOK = 2.0  # seconds to find a daemon before going direct


class RemoteError(SetsmartError):
    """The daemon refused or did not answer."""


class Remote:
    """A connection to the broker through which a running daemon is asked."""

    def __init__(
        self,
        connection: MqttConnection,
        inbox: asyncio.Queue[Message],
        topics: Topics,
        time_limit: float,
    ) -> None:
        self.connection = connection
        self.inbox = inbox
        self.topics = topics
        self.time_limit = time_limit

    async def state(self, name: str) -> dict[str, object]:
        """The device's retained state; asks for a fresh read when there is none yet."""
        topic = self.topics.state(name)
        await self.connection.subscribe([topic])
        try:
            return await self._next_state(topic, within=_LOOK)
        except TimeoutError:
            self.connection.publish(self.topics.get(name), b"", qos=1)
            try:
                return await self._next_state(topic, within=self.time_limit)
            except TimeoutError:
                raise RemoteError(f"{name}: the daemon has no state for this device yet") from None

    async def set(self, name: str, payload: object) -> dict[str, object]:
        """Send a `/set` and wait for the daemon's answer; returns the state after it."""
        reply_topic = f"{self.topics.base}/cli/{secrets.token_hex(8)}"
        correlation = secrets.token_bytes(8)
        await self.connection.subscribe([reply_topic])
        body = payload if isinstance(payload, str) else json.dumps(payload)
        await self.connection.window()
        self.connection.publish(
            self.topics.set(name),
            body.encode(),
            qos=1,
            response_topic=reply_topic,
            correlation=correlation,
        )
        try:
            async with asyncio.timeout(self.time_limit + _LOOK):
                while (message := await self.inbox.get()).topic != reply_topic:
                    pass
        except TimeoutError:
            raise RemoteError(f"{name}: the daemon did not answer the command") from None
        answer = json.loads(message.payload)
        if answer.get("status") != "ok":
            raise RemoteError(str(answer.get("error", "the daemon refused the command")))
        return await self.state(name)

    async def _next_state(self, topic: str, *, within: float) -> dict[str, object]:
        async with asyncio.timeout(within):
            while True:
                message = await self.inbox.get()
                if message.topic == topic and message.payload:
                    document = json.loads(message.payload)
                    if isinstance(document, dict):
                        return document


@contextlib.asynccontextmanager
async def find_daemon(
    settings: MqttConfig, topics: Topics, time_limit: float
) -> AsyncIterator[Remote | None]:
    """A Remote when a daemon is online on the broker, else None (go direct)."""
    options = ConnectOptions(
        client_id=f"{settings.client_id}-cli-{secrets.token_hex(3)}",
        username=settings.username.reveal() if settings.username else None,
        password=settings.password.reveal() if settings.password else None,
        connect_timeout=_LOOK,
    )
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    try:
        connection = await connect(endpoint(settings), options, inbox.put_nowait)
    except MqttError:
        yield None
        return
    try:
        await connection.subscribe([topics.bridge_state])
        online = False
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_LOOK):
                online = (await inbox.get()).payload == b"online"
        yield Remote(connection, inbox, topics, time_limit) if online else None
    finally:
        connection.close()
