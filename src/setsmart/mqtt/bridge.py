"""The MQTT session: one connection kept up forever, with aiomqtt.

- `publish()` never blocks and never fails: retained messages are also kept in a cache
  (the latest per topic), which is published again after every reconnect because a broker
  without persistence forgets them; other messages published while disconnected wait in a
  short backlog (the newest `_BACKLOG` of them), so errors found at start-up are not lost.
- A payload may be a `Render`: made from the topic at the moment it is sent (and at each
  republish), so the cache and the queue hold a reference instead of the bytes, and a
  burst of them (every Home Assistant document at start-up or when HA comes online)
  costs a window of payloads at a time, as the broker acknowledges them.
- aiomqtt keeps the connection; the messages themselves go through its paho client
  directly (`fastpath`), in order, with at most `_INFLIGHT` QoS 1 ones unacknowledged.
- The last will marks the bridge offline; `online_payload` is published on connect.
- Incoming messages on the subscriptions go to `on_message` (sync, must not block).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import aiomqtt
import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from setsmart._structlog import structlog
from setsmart.backoff import Backoff
from setsmart.config import MqttConfig
from setsmart.mqtt import fastpath

log = structlog.get_logger("setsmart.mqtt")

_QUEUE_LIMIT = 10_000
# paho leaves Nagle on: a small publish would wait up to 40 ms for the broker's ACK.
NO_DELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)
_BACKLOG = 200
# QoS 1 messages awaiting their PUBACK at most (mosquitto's default receive maximum), and
# the seconds between looks at the oldest one's.
_INFLIGHT = 20
_ACK_POLL = 0.001


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


@dataclass(frozen=True, slots=True)
class Incoming:
    topic: str
    payload: bytes
    response_topic: str | None = None
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
        self._unacked: deque[mqtt.MQTTMessageInfo] = deque()  # QoS 1, oldest first

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

    def retained(self, topic: str) -> bytes | None:
        message = self._retained.get(topic)
        return None if message is None else _bytes_of(message)

    def _enqueue(self, message: Outgoing) -> None:
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
            except* aiomqtt.MqttError as failures:
                error = "; ".join(str(failure) for failure in failures.exceptions)
            finally:
                self.connected.clear()
            delay = self._backoff.next_delay()
            log.warning(
                "MQTT broker unreachable; retrying",
                broker=f"{self.settings.host}:{self.settings.port}",
                error=error,
                retry_in=round(delay, 1),
            )
            await asyncio.sleep(delay)

    async def _session(self) -> None:
        client = self._client()
        async with client:
            paho = fastpath.paho_of(client)
            fastpath.write_at_once(paho)
            self._backoff.reset()
            self.connections += 1
            self._unacked.clear()  # the previous connection's will never be acknowledged
            self._drain_queue()
            await client.publish(self.status_topic, b"online", qos=1, retain=True)
            fastpath.skip_publish_callbacks(paho)
            # Messages arriving before on_connect() has run wait for it, as they would
            # have in aiomqtt's queue.
            early: list[Incoming] = []
            held = True

            def deliver(message: mqtt.MQTTMessage) -> None:
                incoming = _incoming(message)
                if held:
                    early.append(incoming)
                else:
                    self.on_message(incoming)

            fastpath.deliver_at_once(paho, deliver)
            for topic in self.subscriptions:
                await client.subscribe(topic, qos=1)
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
            held = False
            for incoming in early:
                self.on_message(incoming)
            async with asyncio.TaskGroup() as group:
                group.create_task(self._pump(paho))
                await _until_disconnected(client)

    def _drain_queue(self) -> None:
        while not self._queue.empty():
            message = self._queue.get_nowait()
            self._queue.task_done()
            if message.retain and message.payload == b"":
                self._retained.setdefault(message.topic, message)  # keep pending clears

    async def _pump(self, paho: mqtt.Client) -> None:
        """Hand the queue to paho in order. At most `_INFLIGHT` QoS 1 messages await their
        PUBACK at a time: past that the queue waits (QoS 0 too, so nothing overtakes), and a
        burst of `Render` payloads is made a window at a time, not all at once."""
        while True:
            message = await self._queue.get()
            try:
                if message.qos:
                    await self._window_open()
                info = self._send(paho, message)
                if message.qos:
                    self._unacked.append(info)
            finally:
                self._queue.task_done()

    async def _window_open(self) -> None:
        unacked = self._unacked
        while True:
            while unacked and unacked[0].is_published():
                unacked.popleft()
            if len(unacked) < _INFLIGHT:
                return
            # paho tells of a PUBACK only through on_publish, which costs two objects for
            # every QoS 0 message it writes (fastpath.skip_publish_callbacks): look instead.
            # Only a burst (start-up, Home Assistant coming online) fills the window.
            await asyncio.sleep(_ACK_POLL)

    def _send(self, paho: mqtt.Client, message: Outgoing) -> mqtt.MQTTMessageInfo:
        properties = None
        if message.correlation is not None:
            properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            properties.CorrelationData = message.correlation
        payload = _bytes_of(message)
        info = paho.publish(
            message.topic,
            payload,
            qos=message.qos,
            retain=message.retain,
            properties=properties,
        )
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise aiomqtt.MqttCodeError(info.rc, f"could not publish on {message.topic}")
        if message.retain and not payload:
            self._retained.pop(message.topic, None)
        return info

    def _client(self) -> aiomqtt.Client:
        settings = self.settings
        will = aiomqtt.Will(self.status_topic, b"offline", qos=1, retain=True)
        return aiomqtt.Client(
            settings.host,
            settings.port,
            username=settings.username.reveal() if settings.username else None,
            password=settings.password.reveal() if settings.password else None,
            identifier=settings.client_id,
            protocol=aiomqtt.ProtocolVersion.V5,
            will=will,
            tls_context=tls_context(settings),
            timeout=10,
            keepalive=30,
            socket_options=NO_DELAY,
        )

    async def flush(self, within: float) -> bool:
        """Wait until everything queued is sent and its QoS 1 messages acknowledged, for a
        clean shutdown; False on timeout."""
        if not self.connected.is_set():
            return False
        try:
            async with asyncio.timeout(within):
                await self._queue.join()
                while self._unacked and not self._unacked[-1].is_published():  # noqa: ASYNC110 (see _window_open)
                    await asyncio.sleep(_ACK_POLL)
        except TimeoutError:
            return False
        return True


def _incoming(message: mqtt.MQTTMessage) -> Incoming:
    props = getattr(message, "properties", None)
    response = getattr(props, "ResponseTopic", None) if props is not None else None
    correlation = getattr(props, "CorrelationData", None) if props is not None else None
    return Incoming(message.topic, bytes(message.payload), response, correlation)


async def _until_disconnected(client: aiomqtt.Client) -> None:
    """Return never; raise MqttError when the connection ends (messages come through
    `fastpath.deliver_at_once`, so aiomqtt's iterator has none to give)."""
    async for _ in client.messages:
        pass
    raise aiomqtt.MqttError("the broker closed the connection")


def _bytes_of(message: Outgoing) -> bytes:
    payload = message.payload
    return payload if isinstance(payload, bytes) else payload(message.topic)


def tls_context(settings: MqttConfig) -> ssl.SSLContext | None:
    tls = settings.tls
    if tls is None:
        return None
    context = ssl.create_default_context(cafile=str(tls.ca_file) if tls.ca_file else None)
    if tls.cert_file is not None:
        context.load_cert_chain(str(tls.cert_file), str(tls.key_file) if tls.key_file else None)
    return context
