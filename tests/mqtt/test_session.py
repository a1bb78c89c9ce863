"""The MQTT 5 session in memory: packets built with the `mqtt5` codec in, events and the
bytes the session wants sent out; time given by the test. No socket, no loop, no sleep."""

from __future__ import annotations

from typing import Any

import mqtt5
import pytest

from setsmart.mqtt.errors import (
    BrokerDisconnected,
    ConnectRefused,
    KeepaliveTimeout,
    MqttError,
    ProtocolError,
)
from setsmart.mqtt.session import (
    Acked,
    Closed,
    Connected,
    ConnectOptions,
    Event,
    LastWill,
    Message,
    Session,
    SessionState,
    Subscribed,
    WindowFullError,
)

OPTIONS = ConnectOptions(
    "client-1",
    username="user",
    password="pass",
    will=LastWill("b/bridge/state", b"offline"),
    keep_alive=30,
    connect_timeout=10.0,
    window=3,
)
QOS1 = mqtt5.QoS.AT_LEAST_ONCE
Code = mqtt5.ConnAckReasonCode


def sent(session: Session) -> list[Any]:
    """The packets the session wants sent, parsed back."""
    data = b"".join(session.data_to_send())
    packets = []
    offset = 0
    while offset < len(data):
        packet, size = mqtt5.read(memoryview(data)[offset:])
        packets.append(packet)
        offset += size
    return packets


def wire(*packets: Any) -> bytes:
    return b"".join(packet.write() for packet in packets)


def connected(options: ConnectOptions = OPTIONS, **connack: Any) -> Session:
    session = Session(options)
    session.connect(0.0)
    session.receive_data(wire(mqtt5.ConnAckPacket(**connack)), 0.0)
    session.data_to_send()
    return session


def error_of(events: list[Event]) -> MqttError:
    assert events, "no event"
    last = events[-1]
    assert isinstance(last, Closed)
    assert last.error is not None
    return last.error


# Connecting -----------------------------------------------------------------------------


def test_connect_sends_the_will_the_credentials_and_a_clean_start() -> None:
    session = Session(OPTIONS)
    session.connect(0.0)
    (packet,) = sent(session)
    assert isinstance(packet, mqtt5.ConnectPacket)
    assert (packet.client_id, packet.username, packet.password) == ("client-1", "user", b"pass")
    assert (packet.clean_start, packet.keep_alive, packet.session_expiry_interval) == (True, 30, 0)
    assert packet.will is not None
    will = packet.will
    assert (will.topic, will.payload, int(will.qos), will.retain) == (
        "b/bridge/state",
        b"offline",
        1,
        True,
    )
    assert session.state is SessionState.CONNECTING


@pytest.mark.parametrize(
    ("connack", "expected"),
    [
        ({}, Connected(session_present=False, window=3, keep_alive=30)),
        ({"session_present": True}, Connected(session_present=True, window=3, keep_alive=30)),
        ({"receive_max": 2}, Connected(session_present=False, window=2, keep_alive=30)),
        ({"server_keep_alive": 10}, Connected(session_present=False, window=3, keep_alive=10)),
    ],
)
def test_an_accepting_connack_connects(connack: dict[str, Any], expected: Connected) -> None:
    session = Session(OPTIONS)
    session.connect(0.0)
    assert session.receive_data(wire(mqtt5.ConnAckPacket(**connack)), 0.0) == [expected]
    assert session.state is SessionState.CONNECTED
    assert session.window == expected.window


@pytest.mark.parametrize(
    ("code", "reason", "message"),
    [
        (Code.NOT_AUTHORIZED, None, "NOT_AUTHORIZED (reason code 135)"),
        (Code.BAD_USER_NAME_OR_PASSWORD, None, "BAD_USER_NAME_OR_PASSWORD (reason code 134)"),
        (Code.SERVER_UNAVAILABLE, "going down", "going down (reason code 136)"),
        (Code.CLIENT_ID_NOT_VALID, None, "CLIENT_ID_NOT_VALID (reason code 133)"),
    ],
)
def test_a_refusing_connack_closes_with_its_reason(
    code: mqtt5.ConnAckReasonCode, reason: str | None, message: str
) -> None:
    session = Session(OPTIONS)
    session.connect(0.0)
    session.data_to_send()
    refusal = mqtt5.ConnAckPacket(reason_code=code, reason_str=reason)
    events = session.receive_data(wire(refusal))
    error = error_of(events)
    assert isinstance(error, ConnectRefused)
    assert error.reason_code == int(code)
    assert str(error) == f"the broker refused the connection: {message}"
    assert session.state is SessionState.CLOSED
    assert sent(session) == []  # no DISCONNECT before a CONNACK that accepted us


def test_no_connack_by_the_connect_timeout_closes() -> None:
    session = Session(OPTIONS)
    session.connect(100.0)
    assert session.next_tick() == 110.0
    assert session.tick(109.9) == []
    error = error_of(session.tick(110.0))
    assert isinstance(error, KeepaliveTimeout)
    assert "CONNACK" in str(error)


def test_anything_but_a_connack_first_is_a_protocol_error() -> None:
    session = Session(OPTIONS)
    session.connect(0.0)
    error = error_of(session.receive_data(wire(mqtt5.PublishPacket("t", b"x"))))
    assert isinstance(error, ProtocolError)
    assert str(error) == "PublishPacket before CONNACK"


# Publishing -----------------------------------------------------------------------------


def test_qos1_publishes_fill_a_window_that_pubacks_open() -> None:
    session = connected()
    ids = [session.publish(f"t/{n}", b"x", qos=1) for n in range(3)]
    assert ids == [1, 2, 3]
    assert not session.window_open
    with pytest.raises(WindowFullError):
        session.publish("t/over", b"x", qos=1)
    assert session.publish("t/qos0", b"x") is None  # QoS 0 needs no window
    packets = sent(session)
    assert [(p.topic, int(p.qos), p.packet_id) for p in packets] == [
        ("t/0", 1, 1),
        ("t/1", 1, 2),
        ("t/2", 1, 3),
        ("t/qos0", 0, None),
    ]
    events = session.receive_data(wire(mqtt5.PubAckPacket(2), mqtt5.PubAckPacket(1)))
    assert events == [Acked(2, "t/1", 0), Acked(1, "t/0", 0)]
    assert (session.window_open, session.in_flight) == (True, 1)
    assert session.publish("t/3", b"x", qos=1) == 4


def test_a_window_is_the_brokers_receive_maximum_when_smaller() -> None:
    session = connected(receive_max=1)
    session.publish("t", b"x", qos=1)
    assert not session.window_open


def test_a_puback_with_a_failure_code_is_reported_with_its_topic() -> None:
    session = connected()
    packet_id = session.publish("t/denied", b"x", qos=1)
    assert packet_id is not None
    refused = mqtt5.PubAckPacket(packet_id, reason_code=mqtt5.PubAckReasonCode.NOT_AUTHORIZED)
    assert session.receive_data(wire(refused)) == [Acked(packet_id, "t/denied", 135)]


def test_publish_carries_retain_response_topic_and_correlation() -> None:
    session = connected()
    session.publish("t", b"body", retain=True, response_topic="r/1", correlation=b"\x00id")
    (packet,) = sent(session)
    assert (packet.retain, packet.response_topic, packet.correlation_data) == (
        True,
        "r/1",
        b"\x00id",
    )


def test_packet_ids_skip_those_still_in_flight() -> None:
    session = connected()
    first = session.publish("t", b"x", qos=1)
    for _ in range(65_534):  # wrap the counter around to just before `first` again
        session._new_packet_id()
    assert session.publish("t", b"x", qos=1) == 2
    assert first == 1


# Receiving ------------------------------------------------------------------------------


def test_incoming_messages_with_properties_and_their_pubacks() -> None:
    session = connected()
    data = wire(
        mqtt5.PublishPacket("in/0", b"zero"),
        mqtt5.PublishPacket(
            "in/1",
            b"one",
            qos=QOS1,
            packet_id=7,
            retain=True,
            response_topic="reply/here",
            correlation_data=b"\x01c",
        ),
    )
    events = session.receive_data(data)
    assert events == [
        Message("in/0", b"zero"),
        Message("in/1", b"one", "reply/here", b"\x01c", retain=True, qos=1),
    ]
    (ack,) = sent(session)
    assert isinstance(ack, mqtt5.PubAckPacket)
    assert ack.packet_id == 7


def test_a_packet_split_anywhere_is_put_together() -> None:
    session = connected()
    data = wire(mqtt5.PublishPacket("a", b"1" * 300), mqtt5.PublishPacket("b", b"2"))
    events: list[Event] = []
    for n in range(len(data)):
        events += session.receive_data(data[n : n + 1])
    assert events == [Message("a", b"1" * 300), Message("b", b"2")]


def test_subscribe_asks_for_qos1_and_live_messages_unretained() -> None:
    session = connected()
    packet_id = session.subscribe(["a/#", "b"])
    (packet,) = sent(session)
    assert isinstance(packet, mqtt5.SubscribePacket)
    assert [(f.pattern, int(f.max_qos), f.retain_as_published) for f in packet.topic_filters] == [
        ("a/#", 1, False),
        ("b", 1, False),
    ]
    granted = mqtt5.SubAckReasonCode.GRANTED_QOS_AT_LEAST_ONCE
    denied = mqtt5.SubAckReasonCode.NOT_AUTHORIZED
    (event,) = session.receive_data(wire(mqtt5.SubAckPacket(packet_id, [granted, denied])))
    assert event == Subscribed(packet_id, (1, 135))
    assert isinstance(event, Subscribed)
    assert event.refused


# Keepalive ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "pings", "error"),
    [
        # (time, what happens) in order; "tick" asks the session's timer.
        ([(15, "tick")], 1, None),
        ([(15, "tick"), (20, "pingresp"), (30, "tick")], 2, None),
        ([(15, "tick"), (30, "tick")], 1, "the broker did not answer a PINGREQ in time"),
        ([(5, "publish"), (6, "message"), (15, "tick")], 0, None),
        ([(5, "publish"), (15, "tick")], 1, None),
        ([(5, "message"), (15, "tick")], 1, None),
        ([(14.9, "tick")], 0, None),
    ],
)
def test_keepalive(steps: list[tuple[float, str]], pings: int, error: str | None) -> None:
    session = connected()
    assert session.next_tick() == 15.0
    events: list[Event] = []
    count = 0
    for now, step in steps:
        if step == "tick":
            events += session.tick(now)
        elif step == "pingresp":
            events += session.receive_data(wire(mqtt5.PingRespPacket()), now)
        elif step == "publish":
            session.publish("t", b"x")
        else:
            events += session.receive_data(wire(mqtt5.PublishPacket("in", b"x")), now)
        count += sum(isinstance(p, mqtt5.PingReqPacket) for p in sent(session))
    assert count == pings
    closed = [e for e in events if isinstance(e, Closed)]
    if error is None:
        assert closed == []
    else:
        (end,) = closed
        assert isinstance(end.error, KeepaliveTimeout)
        assert str(end.error) == error
        assert session.next_tick() is None


def test_no_keepalive_means_no_timer_once_connected() -> None:
    session = connected(ConnectOptions("c", keep_alive=0))
    assert session.next_tick() is None


# Endings --------------------------------------------------------------------------------

MALFORMED = [
    pytest.param(b"\x30\xff\xff\xff\xff\x7f", id="remaining length too long"),
    pytest.param(b"\x20\x01\x00", id="connack too short"),
    pytest.param(b"\x31\x00", id="publish with qos flags and no body"),
    pytest.param(b"\xff\x00", id="reserved packet type"),
]


@pytest.mark.parametrize("data", MALFORMED)
def test_malformed_bytes_give_one_clear_error(data: bytes) -> None:
    session = connected()
    session.publish("t", b"x", qos=1)
    session.data_to_send()
    events = session.receive_data(wire(mqtt5.PublishPacket("ok", b"1")) + data + b"\x00" * 8)
    assert events[0] == Message("ok", b"1")
    assert len(events) == 2
    error = error_of(events)
    assert isinstance(error, ProtocolError)
    assert str(error).startswith("malformed packet from the broker (")
    (goodbye,) = sent(session)
    assert isinstance(goodbye, mqtt5.DisconnectPacket)
    assert goodbye.reason_code == mqtt5.DisconnectReasonCode.MALFORMED_PACKET
    assert session.receive_data(wire(mqtt5.PublishPacket("late", b"x"))) == []
    assert session.tick(1000.0) == []


@pytest.mark.parametrize(
    ("packet", "message"),
    [
        (mqtt5.PubAckPacket(9), "PUBACK for unknown packet id 9"),
        (mqtt5.SubAckPacket(9, []), "SUBACK for unknown packet id 9"),
        (
            mqtt5.PublishPacket("t", b"x", qos=mqtt5.QoS.EXACTLY_ONCE, packet_id=1),
            "PUBLISH with QoS 2 on a QoS 1 subscription",
        ),
        (
            mqtt5.PublishPacket("t", b"x", topic_alias=1),
            "PUBLISH with a topic alias, which we did not allow",
        ),
        (mqtt5.PingReqPacket(), "unexpected PingReqPacket"),
        (mqtt5.ConnAckPacket(), "unexpected ConnAckPacket"),
    ],
)
def test_a_packet_out_of_place_is_a_protocol_error(packet: Any, message: str) -> None:
    session = connected()
    error = error_of(session.receive_data(wire(packet)))
    assert isinstance(error, ProtocolError)
    assert str(error) == message
    (goodbye,) = sent(session)
    assert goodbye.reason_code == mqtt5.DisconnectReasonCode.PROTOCOL_ERROR


def test_the_brokers_disconnect_closes_with_its_reason() -> None:
    session = connected()
    packet = mqtt5.DisconnectPacket(reason_code=mqtt5.DisconnectReasonCode.SESSION_TAKEN_OVER)
    error = error_of(session.receive_data(wire(packet)))
    assert isinstance(error, BrokerDisconnected)
    assert str(error) == "the broker disconnected: SESSION_TAKEN_OVER (reason code 142)"
    assert sent(session) == []


def test_disconnect_says_goodbye_once() -> None:
    session = connected()
    session.disconnect()
    (goodbye,) = sent(session)
    assert isinstance(goodbye, mqtt5.DisconnectPacket)
    assert goodbye.reason_code == mqtt5.DisconnectReasonCode.NORMAL_DISCONNECTION
    session.disconnect()
    assert sent(session) == []
    with pytest.raises(RuntimeError):
        session.publish("t", b"x")
