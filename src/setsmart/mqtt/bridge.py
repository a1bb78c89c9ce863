"""The MQTT bridge: one connection to the broker kept up forever.

- `publish()` never blocks and never fails: retained messages are also kept in a cache
  (the latest per topic), which is published again after every reconnect because a broker
  without persistence forgets them; other messages published while disconnected wait in a
  short backlog (the newest `_BACKLOG` of them), so errors found at start-up are not lost.
- A payload may be a `Render`: made from the topic at the moment it is sent (and at each
  republish), so the cache and the queue hold a reference instead of the bytes, and a
  burst of them (every Home Assistant document at start-up or when HA comes online)
  costs what the socket's buffer holds at a time, as the broker takes them.
- The connection is our own (`setsmart.mqtt.connection`, a sans-IO session on the `mqtt5`
  codec): messages are written in order as the queue hands them over, with at most
  `_INFLIGHT` QoS 1 ones unacknowledged, and none while the socket's buffer is full.
  A message that would wait behind nothing is written at once, without the queue's hop
  through the pump task (every state update takes that path).
- The last will marks the bridge offline; `online_payload` is published on connect.
- Incoming messages on the subscriptions go to `on_message` (sync, must not block).
- After a lost connection: reconnect with capped backoff, subscribe again, republish the
  retained cache.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from setsmart._structlog import structlog
from setsmart.backoff import Backoff
from setsmart.config import MqttConfig
from setsmart.mqtt.connection import Endpoint, MqttConnection, connect
from setsmart.mqtt.errors import MqttError
from setsmart.mqtt.session import Acked, ConnectOptions, LastWill, Message

log = structlog.get_logger("setsmart.mqtt")

_QUEUE_LIMIT = 10_000
_BACKLOG = 200
# QoS 1 messages awaiting their PUBACK at most (mosquitto's default receive maximum).
_INFLIGHT = 20
_KEEPALIVE = 30
_CONNECT_TIMEOUT = 10.0

# What arrives on a subscription (the session's event, under the bridge's name).
Incoming = Message


class Render(Protocol):
    """A payload made when it is sent: the bytes for `topic`, never empty (clears are
    published as bytes), and the same bytes each time for the same topic."""

    def __call__(self, topic: str) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Outgoing:
    topic: str
    payload: bytes | Render
    qos: int = 0
    retain: bool = False
    correlation: bytes | None = None


class MqttBridge:
    """Keeps the broker connection; see the module docstring."""

    def __init__(
        self,
        settings: MqttConfig,
        *,
        status_topic: str,
        subscriptions: Sequence[str],
        on_message: Callable[[Incoming], None],
        on_connect: Callable[[], None] = lambda: None,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.status_topic = status_topic
        self.subscriptions = tuple(subscriptions)
        self.on_message = on_message
        self.on_connect = on_connect
        self.connected = asyncio.Event()
        self.connections = 0
        self._backoff = backoff or Backoff(base=0.5, cap=30.0)
        self._retained: dict[str, Outgoing] = {}
        self._queue: asyncio.Queue[Outgoing] = asyncio.Queue(_QUEUE_LIMIT)
        self._backlog: deque[Outgoing] = deque(maxlen=_BACKLOG)
        self._sleep = sleep
        self._connection: MqttConnection | None = None
        self._pump_holds = False  # the pump took a message and waits to write it

    # Publishing -------------------------------------------------------------------------

    def publish(
        self, topic: str, payload: str | bytes | Render, *, retain: bool = False, qos: int = 0
    ) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        clear = data == b""
        known = self._retained.get(topic) if retain else None
        # The cache's own copy of the topic (its key): not one more string per update.
        message = Outgoing(topic if known is None else known.topic, data, qos, retain)
        if retain:
            if clear:
                self._retained.pop(topic, None)
            else:
                self._retained[topic] = message
        if self.connected.is_set():
            self._enqueue(message)
        elif not retain:
            self._backlog.append(message)
        elif clear:
            # A clear must reach the broker even if we are offline now: keep it queued.
            self._enqueue(message)

    def respond(self, topic: str, payload: str, correlation: bytes | None) -> None:
        """An MQTT 5 response, to the request's response topic with its correlation data."""
        if self.connected.is_set():
            self._enqueue(Outgoing(topic, payload.encode(), 0, False, correlation))

    def holds(self, topic: str) -> bool:
        """Whether a retained message is kept for `topic`."""
        return topic in self._retained

    def retained(self, topic: str) -> bytes | None:
        message = self._retained.get(topic)
        return None if message is None else _bytes_of(message)

    def _enqueue(self, message: Outgoing) -> None:
        connection = self._connection
        if (
            connection is not None
            and not self._pump_holds
            and self._queue.empty()
            and connection.can_write(message.qos)
        ):
            self._write(connection, message)
            return
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            log.warning("mqtt outgoing queue full: dropping a message", topic=message.topic)

    # The connection -----------------------------------------------------------------------

    async def run(self) -> None:
        """Connect, serve, reconnect with capped backoff: forever."""
        while True:
            error = "the connection ended"
            try:
                await self._session()
            except* MqttError as failures:
                error = "; ".join(str(failure) for failure in failures.exceptions)
            finally:
                self.connected.clear()
                self._connection = None
            delay = self._backoff.next_delay()
            log.warning(
                "MQTT broker unreachable; retrying",
                broker=f"{self.settings.host}:{self.settings.port}",
                error=error,
                retry_in=round(delay, 1),
            )
            await self._sleep(delay)

    async def _session(self) -> None:
        # Messages arriving before on_connect() has run wait for it; from then on they go
        # straight to on_message.
        early: list[Incoming] = []
        connection = await connect(
            endpoint(self.settings), self._options(), early.append, on_refused=_refused
        )
        try:
            self._connection = connection
            self._backoff.reset()
            self.connections += 1
            self._drain_queue()
            connection.publish(self.status_topic, b"online", qos=1, retain=True)
            await connection.subscribe(self.subscriptions)
            # From here on publish() queues; the cache and the backlog go first, so that
            # nothing published while we were connecting is lost or overtaken.
            self.connected.set()
            for message in list(self._retained.values()):
                self._enqueue(message)
            while self._backlog:
                self._enqueue(self._backlog.popleft())
            log.info(
                "connected to the MQTT broker", broker=f"{self.settings.host}:{self.settings.port}"
            )
            self.on_connect()
            for incoming in early:
                self.on_message(incoming)
            early.clear()
            connection.on_message = self.on_message
            async with asyncio.TaskGroup() as group:
                group.create_task(self._pump(connection))
                await connection.closed()
                raise MqttError("the connection ended")
        finally:
            connection.close()

    def _options(self) -> ConnectOptions:
        settings = self.settings
        return ConnectOptions(
            client_id=settings.client_id,
            username=settings.username.reveal() if settings.username else None,
            password=settings.password.reveal() if settings.password else None,
            will=LastWill(self.status_topic, b"offline", qos=1, retain=True),
            keep_alive=_KEEPALIVE,
            connect_timeout=_CONNECT_TIMEOUT,
            window=_INFLIGHT,
        )

    def _drain_queue(self) -> None:
        while not self._queue.empty():
            message = self._queue.get_nowait()
            self._queue.task_done()
            if message.retain and message.payload == b"":
                self._retained.setdefault(message.topic, message)  # keep pending clears

    async def _pump(self, connection: MqttConnection) -> None:
        """Hand the queue to the connection in order. While `_INFLIGHT` QoS 1 messages
        await their PUBACK the queue waits (QoS 0 too, so nothing overtakes), and so does
        it while the socket's buffer is full: a burst of `Render` payloads is made a window
        at a time, not all at once."""
        queue = self._queue
        while True:
            message = await queue.get()
            self._pump_holds = True
            try:
                if message.qos and not connection.window_open:
                    await connection.window()
                if connection.paused:
                    await connection.writable()
                self._write(connection, message, batch=True)
            finally:
                self._pump_holds = False
                queue.task_done()

    def _write(self, connection: MqttConnection, message: Outgoing, *, batch: bool = False) -> None:
        payload = _bytes_of(message)
        connection.publish(
            message.topic,
            payload,
            qos=message.qos,
            retain=message.retain,
            correlation=message.correlation,
            batch=batch,
        )
        if message.retain and not payload:
            self._retained.pop(message.topic, None)

    async def flush(self, within: float) -> bool:
        """Wait until everything queued is sent and its QoS 1 messages acknowledged, for a
        clean shutdown; False on timeout."""
        connection = self._connection
        if connection is None or not self.connected.is_set():
            return False
        try:
            async with asyncio.timeout(within):
                await self._queue.join()
                await connection.settled()
        except (TimeoutError, MqttError):
            return False
        return True


def _refused(ack: Acked) -> None:
    log.warning("the MQTT broker refused a message", topic=ack.topic, reason_code=ack.reason_code)


def _bytes_of(message: Outgoing) -> bytes:
    payload = message.payload
    return payload if isinstance(payload, bytes) else payload(message.topic)


def endpoint(settings: MqttConfig) -> Endpoint:
    return Endpoint(settings.host, settings.port, tls_context(settings))


def tls_context(settings: MqttConfig) -> ssl.SSLContext | None:
    tls = settings.tls
    if tls is None:
        return None
    context = ssl.create_default_context(cafile=str(tls.ca_file) if tls.ca_file else None)
    if tls.cert_file is not None:
        context.load_cert_chain(str(tls.cert_file), str(tls.key_file) if tls.key_file else None)
    return context
