"""The client end of one MQTT 5 connection, as a sans-IO state machine on the `mqtt5` codec.

Rules (as in h11 and `setsmart.protocol.session`):
- Bytes in (`receive_data`), events out; every packet to send waits in `data_to_send()`.
- Time is given (`now`) to `connect` and `tick`; the session never reads a clock, touches a
  socket or starts a task. `next_tick()` says when `tick` is due.
- Anything that ends the connection (a refusal, a malformed or unexpected packet, the
  broker's DISCONNECT, an unanswered PINGREQ) is the last event, `Closed(error)`; a
  DISCONNECT with a reason may wait in `data_to_send()`, then the connection must be
  dropped. A closed session ignores what it is given.
- QoS 0 and 1 only: subscriptions ask for QoS 1 at most, so the broker never sends QoS 2.
  QoS 1 messages of ours awaiting their PUBACK are at most `window` (ours, or the
  broker's receive maximum if smaller); `publish` past that is a usage error, so callers
  wait for an `Acked` first (`window_open`).
- Keepalive: every half keepalive interval, a PINGREQ goes out unless packets went both
  ways since the last look; a PINGREQ still unanswered at the next look closes the
  session. So the broker hears from us within the interval, and a dead broker is noticed
  within about one and a half.

| state      | input                               | next       | events (and packets sent)  |
|------------|-------------------------------------|------------|----------------------------|
| IDLE       | connect(now)                        | CONNECTING | (CONNECT)                  |
| CONNECTING | CONNACK success                     | CONNECTED  | Connected                  |
| CONNECTING | CONNACK failure                     | CLOSED     | Closed(ConnectRefused)     |
| CONNECTING | tick past the connect timeout       | CLOSED     | Closed(KeepaliveTimeout)   |
| CONNECTED  | PUBLISH QoS 0 / 1                   | CONNECTED  | Message (PUBACK)           |
| CONNECTED  | PUBACK of a message in flight       | CONNECTED  | Acked                      |
| CONNECTED  | SUBACK of a pending SUBSCRIBE       | CONNECTED  | Subscribed                 |
| CONNECTED  | PINGRESP                            | CONNECTED  | -                          |
| CONNECTED  | tick with a PINGREQ unanswered      | CLOSED     | Closed(KeepaliveTimeout)   |
| CONNECTED  | DISCONNECT                          | CLOSED     | Closed(BrokerDisconnected) |
| CONNECTED  | disconnect()                        | CLOSED     | (DISCONNECT)               |
| any        | malformed bytes, bad packet  | CLOSED     | Closed(ProtocolError) (DISCONNECT) |
| CLOSED     | anything                            | CLOSED     | -                          |
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import mqtt5

from setsmart.mqtt.errors import (
    BrokerDisconnected,
    ConnectRefused,
    KeepaliveTimeout,
    MqttError,
    ProtocolError,
)


class SessionState(Enum):
    IDLE = "idle"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    CLOSED = "closed"


# Enum members read through their class are slow on 3.11 (see protocol/session.py): the
# checks made for every packet compare with these names.
_CONNECTED = SessionState.CONNECTED
_CLOSED = SessionState.CLOSED
_QOS0 = mqtt5.QoS.AT_MOST_ONCE
_QOS1 = mqtt5.QoS.AT_LEAST_ONCE
_FAILURE = 0x80  # reason codes from here on are failures
_MAX_PACKET_ID = 65_535


@dataclass(frozen=True, slots=True)
class LastWill:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


@dataclass(frozen=True, slots=True)
class ConnectOptions:
    """What CONNECT asks for. `window`: our QoS 1 messages awaiting PUBACK at most."""

    client_id: str
    username: str | None = None
    password: str | None = None
    will: LastWill | None = None
    clean_start: bool = True
    session_expiry: int = 0
    keep_alive: int = 30
    connect_timeout: float = 10.0
    window: int = 20


# Events ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Connected:
    session_present: bool
    window: int
    keep_alive: int


@dataclass(frozen=True, slots=True)
class Message:
    """An incoming PUBLISH (already acknowledged if QoS 1)."""

    topic: str
    payload: bytes
    response_topic: str | None = None
    correlation: bytes | None = None
    retain: bool = False
    qos: int = 0


@dataclass(frozen=True, slots=True)
class Acked:
    """The broker's PUBACK for one of our QoS 1 messages; a failure `reason_code` (0x80
    and up) means it refused the message."""

    packet_id: int
    topic: str
    reason_code: int


@dataclass(frozen=True, slots=True)
class Subscribed:
    packet_id: int
    reason_codes: tuple[int, ...]

    @property
    def refused(self) -> bool:
        return any(code >= _FAILURE for code in self.reason_codes)


@dataclass(frozen=True, slots=True)
class Closed:
    """The end: `error` is None when we disconnected ourselves."""

    error: MqttError | None


Event = Connected | Message | Acked | Subscribed | Closed


class WindowFullError(RuntimeError):
    """A QoS 1 publish while `window` messages await their PUBACK (a caller's mistake)."""


class Session:
    """See the module docstring."""

    def __init__(self, options: ConnectOptions) -> None:
        self.options = options
        self.state = SessionState.IDLE
        self.window = options.window
        self.keep_alive = options.keep_alive
        self._outbox: list[bytes] = []
        self._buffer = bytearray()
        self._in_flight: dict[int, str] = {}  # packet id -> topic, QoS 1 awaiting PUBACK
        self._subscribing: set[int] = set()
        self._next_id = 0
        self._next_tick = 0.0
        self._sent = False  # since the last tick
        self._received = False
        self._pinging = False

    # Queries ----------------------------------------------------------------------------

    @property
    def window_open(self) -> bool:
        return len(self._in_flight) < self.window

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def next_tick(self) -> float | None:
        """When `tick` must next be called; None when no timer is needed."""
        if self.state is _CLOSED or (self.state is _CONNECTED and not self.keep_alive):
            return None
        return self._next_tick

    def data_to_send(self) -> list[bytes]:
        out, self._outbox = self._outbox, []
        return out

    # Commands ---------------------------------------------------------------------------

    def connect(self, now: float) -> None:
        if self.state is not SessionState.IDLE:
            raise RuntimeError(f"connect() in state {self.state.value}")
        options = self.options
        will = None
        if options.will is not None:
            will = mqtt5.Will(
                options.will.topic,
                payload=options.will.payload,
                qos=_QOS1 if options.will.qos else _QOS0,
                retain=options.will.retain,
            )
        packet = mqtt5.ConnectPacket(
            options.client_id,
            username=options.username,
            password=None if options.password is None else options.password.encode(),
            clean_start=options.clean_start,
            will=will,
            keep_alive=options.keep_alive,
            session_expiry_interval=options.session_expiry,
        )
        self._send(packet.write())
        self.state = SessionState.CONNECTING
        self._next_tick = now + options.connect_timeout

    def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 0,
        retain: bool = False,
        response_topic: str | None = None,
        correlation: bytes | None = None,
    ) -> int | None:
        """Queue a PUBLISH; its packet id when QoS 1 (an `Acked` will carry it)."""
        if self.state is not _CONNECTED:
            raise RuntimeError(f"publish() in state {self.state.value}")
        packet_id = None
        if qos:
            if len(self._in_flight) >= self.window:
                raise WindowFullError(f"{self.window} messages await their PUBACK")
            packet_id = self._new_packet_id()
            self._in_flight[packet_id] = topic
        packet = mqtt5.PublishPacket(
            topic,
            payload,
            qos=_QOS1 if qos else _QOS0,
            retain=retain,
            packet_id=packet_id,
            response_topic=response_topic,
            correlation_data=correlation,
        )
        self._outbox.append(packet.write())
        self._sent = True
        return packet_id

    def subscribe(self, topics: Sequence[str]) -> int:
        """Queue a SUBSCRIBE of `topics` at QoS 1 at most; a `Subscribed` carries its id."""
        if self.state is not _CONNECTED:
            raise RuntimeError(f"subscribe() in state {self.state.value}")
        packet_id = self._new_packet_id()
        self._subscribing.add(packet_id)
        # The codec's default keeps the retain flag of live messages; MQTT's (and Home
        # Assistant's expectation: a retained message is an old one) clears it.
        filters = [
            mqtt5.TopicFilter(topic, max_qos=_QOS1, retain_as_published=False) for topic in topics
        ]
        self._send(mqtt5.SubscribePacket(packet_id, filters).write())
        return packet_id

    def disconnect(self) -> None:
        """A clean DISCONNECT (the broker discards the will)."""
        if self.state is _CONNECTED:
            self._send(mqtt5.DisconnectPacket().write())
        self.state = _CLOSED

    def tick(self, now: float) -> list[Event]:
        if self.state is _CLOSED or now < self._next_tick:
            return []
        if self.state is not _CONNECTED:
            return [self._close(KeepaliveTimeout("no CONNACK from the broker in time"))]
        if self._pinging:
            return [self._close(KeepaliveTimeout("the broker did not answer a PINGREQ in time"))]
        if not (self._sent and self._received):
            self._send(mqtt5.PingReqPacket().write())
            self._pinging = True
        self._sent = self._received = False
        self._next_tick = now + self.keep_alive / 2
        return []

    # Input ------------------------------------------------------------------------------

    def receive_data(self, data: bytes, now: float = 0.0) -> list[Event]:
        """Events for the packets completed by `data`; `now` matters only for the first
        CONNACK (it starts the keepalive timer)."""
        if self.state is _CLOSED:
            return []
        self._received = True
        buffer = self._buffer
        if buffer:
            buffer += data
            source: bytes | bytearray = buffer
        else:
            source = data
        events: list[Event] = []
        offset = 0
        with memoryview(source) as view:
            while offset < len(view):
                try:
                    packet, size = mqtt5.read(view[offset:])
                except IndexError:  # an incomplete packet: wait for more bytes
                    break
                except ValueError as error:
                    events.append(self._fail(f"malformed packet from the broker ({error})"))
                    return events
                offset += size
                event = self._handle(packet, now)
                if event is not None:
                    events.append(event)
                    if self.state is _CLOSED:
                        return events
        if buffer:
            del buffer[:offset]
        elif offset < len(data):
            buffer += data[offset:]
        return events

    def _handle(self, packet: mqtt5.Packet, now: float) -> Event | None:
        if self.state is not _CONNECTED:
            if isinstance(packet, mqtt5.ConnAckPacket):
                return self._connack(packet, now)
            return self._fail(f"{type(packet).__name__} before CONNACK")
        if isinstance(packet, mqtt5.PublishPacket):
            return self._incoming(packet)
        if isinstance(packet, mqtt5.PubAckPacket):
            topic = self._in_flight.pop(packet.packet_id, None)
            if topic is None:
                return self._fail(f"PUBACK for unknown packet id {packet.packet_id}")
            return Acked(packet.packet_id, topic, int(packet.reason_code))
        if isinstance(packet, mqtt5.PingRespPacket):
            self._pinging = False
            return None
        if isinstance(packet, mqtt5.SubAckPacket):
            if packet.packet_id not in self._subscribing:
                return self._fail(f"SUBACK for unknown packet id {packet.packet_id}")
            self._subscribing.discard(packet.packet_id)
            return Subscribed(packet.packet_id, tuple(int(code) for code in packet.reason_codes))
        if isinstance(packet, mqtt5.DisconnectPacket):
            code = packet.reason_code
            return self._close(BrokerDisconnected(int(code), packet.reason_str or code.name))
        return self._fail(f"unexpected {type(packet).__name__}")

    def _connack(self, packet: mqtt5.ConnAckPacket, now: float) -> Event:
        code = packet.reason_code
        if int(code) >= _FAILURE:
            return self._close(ConnectRefused(int(code), packet.reason_str or code.name))
        self.state = _CONNECTED
        self.window = max(1, min(self.options.window, packet.receive_max))
        if packet.server_keep_alive is not None:
            self.keep_alive = packet.server_keep_alive
        self._next_tick = now + self.keep_alive / 2
        self._sent = self._received = False
        return Connected(packet.session_present, self.window, self.keep_alive)

    def _incoming(self, packet: mqtt5.PublishPacket) -> Event:
        qos = packet.qos
        if qos is _QOS1:
            self._send(mqtt5.PubAckPacket(packet.packet_id or 0).write())
        elif qos is not _QOS0:
            return self._fail("PUBLISH with QoS 2 on a QoS 1 subscription")
        if packet.topic_alias is not None:
            return self._fail("PUBLISH with a topic alias, which we did not allow")
        return Message(
            packet.topic,
            packet.payload,
            packet.response_topic,
            packet.correlation_data,
            packet.retain,
            int(qos),
        )

    # Helpers ----------------------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        self._outbox.append(data)
        self._sent = True

    def _new_packet_id(self) -> int:
        while True:
            self._next_id = self._next_id % _MAX_PACKET_ID + 1
            if self._next_id not in self._in_flight and self._next_id not in self._subscribing:
                return self._next_id

    def _fail(self, reason: str) -> Closed:
        """A protocol error: tell the broker why (MQTT 5 asks for it), then close."""
        if self.state is not _CLOSED:
            code = (
                mqtt5.DisconnectReasonCode.MALFORMED_PACKET
                if reason.startswith("malformed")
                else mqtt5.DisconnectReasonCode.PROTOCOL_ERROR
            )
            if self.state is _CONNECTED:
                self._send(mqtt5.DisconnectPacket(reason_code=code).write())
        return self._close(ProtocolError(reason))

    def _close(self, error: MqttError) -> Closed:
        self.state = _CLOSED
        return Closed(error)
